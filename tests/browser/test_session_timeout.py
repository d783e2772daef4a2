"""An autosave after the session timed out: the page says so, keeps the work, and after signing
in again the person is back on the page with their words saved."""

from datetime import timedelta

import time_machine
from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from .conftest import visit

PASSWORD = "correct horse battery staple"


def sign_in(page, email, password=PASSWORD):
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.a11y.wait()


def test_an_autosave_after_the_idle_timeout_keeps_the_work_through_signing_in(
    page, base_url, world
):
    cycle = world.cycle
    with scope(authority=world.authority):
        element = cycle.framework.elements.get(number=1)
    element_path = f"/bathnes/cycles/{cycle.pk}/elements/{element.pk}/"
    # The server's clock moves (the live server runs in this process); the browser's does not.
    with time_machine.travel(timezone.now(), tick=True) as clock:
        visit(page, "/accounts/login/")
        sign_in(page, "school_coordinator@bathnes.test")
        visit(page, element_path)

        clock.shift(timedelta(minutes=31))
        page.get_by_label("What the school does").fill("Written after a long lunch.")
        status = page.locator("#save-status")
        expect(status).to_have_text(
            "Not saved: You were signed out after 30 minutes without activity. Your work is kept "
            "in this browser. Sign in again and it will be saved."
        )
        page.a11y.check()
        with scope(authority=world.authority):
            assert not cycle.answers.filter(practice="Written after a long lunch.").exists()

        status.get_by_role("link", name="Sign in again").click()
        page.a11y.wait()
        expect(page.get_by_role("status").first).to_have_text(
            "You were signed out after 30 minutes without activity. "
            "Sign in again to carry on where you were."
        )
        sign_in(page, "school_coordinator@bathnes.test")
        expect(page).to_have_url(base_url + element_path)
        expect(page.get_by_label("What the school does")).to_have_value(
            "Written after a long lunch."
        )
        expect(page.locator(".save-status")).to_contain_text("Saved at")
        with scope(authority=world.authority):
            assert cycle.answers.get(element=element).practice == "Written after a long lunch."

"""An authority admin registers a webhook endpoint in a real browser (axe on every page): the
form's errors (a private address refused), the secret shown once, the endpoint's page, its
change form."""

import re

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from webhooks.models import Endpoint

from .conftest import visit
from .test_self_review import sign_in


def test_an_admin_registers_an_endpoint_and_sees_its_secret_once(page, world):
    sign_in(page, world.people["authority_admin"].email)
    visit(page, "/bathnes/")
    nav = page.get_by_role("navigation", name="Bath & North East Somerset")
    nav.get_by_role("link", name="Webhooks", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")

    page.get_by_role("link", name="Register an endpoint").click()
    page.get_by_label("Name").fill("Data warehouse")
    page.get_by_label("Address (URL)").fill("https://10.0.0.7/iqm-events")
    page.get_by_label("A cycle moved to another state").check()
    page.get_by_role("button", name="Register the endpoint").click()
    expect(page).to_have_title(re.compile("^Error: Register an endpoint – "))
    expect(page.get_by_role("alert").first).to_contain_text("private")
    with scopes_disabled():
        assert not Endpoint.objects.exists()

    page.get_by_label("Address (URL)").fill("https://1.1.1.1/iqm-events")
    page.get_by_role("button", name="Register the endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data warehouse")
    secret_box = page.get_by_role("region", name="The endpoint's secret")
    expect(secret_box).to_be_visible()
    with scopes_disabled():
        endpoint = Endpoint.objects.get()
    assert endpoint.events == ["cycle.moved"]
    expect(page.get_by_text("A cycle moved to another state")).to_be_visible()
    expect(secret_box).to_contain_text(endpoint.secret)

    page.reload()
    expect(page.get_by_role("region", name="The endpoint's secret")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(endpoint.secret)

    page.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Data warehouse")
    page.get_by_label("The awarded-schools list was published").check()
    page.get_by_role("button", name="Save the endpoint").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Data warehouse")
    with scopes_disabled():
        endpoint.refresh_from_db()
    assert sorted(endpoint.events) == ["cycle.moved", "list.published"]

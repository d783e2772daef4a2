"""The authority admin records a plaque as ordered, then sent, and gets its artwork, with axe on
every page."""

import re
from datetime import timedelta

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect
from pypdf import PdfReader

from awards.models import Award, Tier

from .conftest import visit
from .test_self_review import sign_in


def test_the_admin_records_the_plaque_and_gets_its_artwork(page, base_url, world):
    today = timezone.localdate()
    with scope(authority=world.authority):
        Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.QUALITY_MARK,
            awarded_on=today - timedelta(days=30),
            expires_on=today + timedelta(days=3 * 365),
        )
    sign_in(page, "authority_admin@bathnes.test")
    visit(page, "/bathnes/")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Plaques"
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plaques")
    page.get_by_role(
        "link", name=re.compile(r"^Record as ordered\W+plaque of Chandag Infant$")
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Plaque: Chandag Infant")

    # Sent, but not ordered: refused, said at the field.
    page.get_by_label("Date sent").fill(str(today))
    page.get_by_role("button", name="Save the dates").click()
    page.a11y.wait()
    expect(page.get_by_role("alert")).to_contain_text(
        "Date sent: A plaque is sent once it is ordered: give the date it was ordered."
    )
    page.get_by_label("Date ordered").fill(str(today - timedelta(days=20)))
    page.get_by_label("Date sent").fill("")
    page.get_by_role("button", name="Save the dates").click()
    page.a11y.wait()
    expect(page.get_by_text("The plaque of Chandag Infant is saved.")).to_be_visible()
    page.get_by_role("link", name="Ordered (1)").click()
    page.a11y.wait()
    expect(page.get_by_role("table").get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("table")).to_contain_text("Chandag Infant")

    page.get_by_role(
        "link", name=re.compile(r"^Record as sent\W+plaque of Chandag Infant$")
    ).click()
    page.a11y.wait()
    expect(page.get_by_label("Date ordered")).to_have_value(str(today - timedelta(days=20)))
    page.get_by_role("button", name="Get the plaque artwork (PDF)").click()
    page.a11y.wait()
    expect(page.get_by_text("Your plaque artwork is ready (1 page).")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the PDF").click()
    reader = PdfReader(download.value.path())
    assert len(reader.pages) == 1
    assert reader.metadata.title == f"Plaque: Inclusion Quality Mark {today:%Y} – Chandag Infant"

    visit(page, f"/bathnes/schools/{world.school.pk}/")
    expect(page.locator("#plaque-heading + p")).to_contain_text(
        f"Ordered on {today - timedelta(days=20):%-d %B %Y}; not yet sent."
    )

"""Privacy (issue 14): the authority admin answers a subject access request, then erases the person,
in a real browser with axe on every page."""

import json
import re

from playwright.sync_api import expect

from .conftest import visit
from .test_accounts import PASSWORD, sign_in


def test_the_admin_exports_a_persons_data_then_erases_them(page, base_url, world):
    person = world.others["other_mentor"]
    visit(page, "/accounts/login/")
    sign_in(page, world.people["authority_admin"].email, PASSWORD)
    expect(page).to_have_url(f"{base_url}/bathnes/")

    visit(page, "/bathnes/people/")
    page.get_by_role("link", name="other mentor", exact=True).click()
    expect(page).to_have_url(f"{base_url}/bathnes/people/{person.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("other mentor")
    expect(page.get_by_role("heading", name="Privacy")).to_be_visible()

    page.get_by_role("link", name=re.compile("^Export their data")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export their data")
    expect(page.get_by_text("None has been asked for.")).to_be_visible()
    page.get_by_role("button", name="Request an export").click()
    page.a11y.wait()
    # The worker makes it (in-process here); the page then offers both files.
    json_link = page.get_by_role("link", name=re.compile("^Download the JSON"))
    expect(json_link).to_be_visible(timeout=30_000)
    page.a11y.check()
    with page.expect_download() as download:
        json_link.click()
    with open(download.value.path(), encoding="utf-8") as handle:
        exported = json.load(handle)
    assert exported["account"]["email"] == "other_mentor@bathnes.test"
    assert [r["role"] for r in _section(exported, "Their roles in the authority")] == ["Mentor"]

    visit(page, f"/bathnes/people/{person.pk}/")
    page.get_by_role("link", name=re.compile("^Erase this person")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Erase other mentor?")
    expect(page.get_by_role("heading", name="This cannot be undone")).to_be_visible()
    expect(page.get_by_text(f"Their name becomes “Erased person #{person.pk}”")).to_be_visible()
    page.get_by_role("button", name="Erase this person").click()
    page.a11y.wait()
    expect(page).to_have_url(f"{base_url}/bathnes/people/")
    expect(page.get_by_role("status")).to_have_text("other mentor has been erased.")
    expect(page.get_by_role("link", name="other mentor", exact=True)).to_have_count(0)

    person.refresh_from_db()
    assert (person.full_name, person.is_active) == (f"Erased person #{person.pk}", False)
    visit(page, "/bathnes/audit/")
    expect(page.get_by_text(f"Erased person #{person.pk}").first).to_be_visible()


def _section(data, title):
    return next(s["records"] for s in data["sections"] if s["title"] == title)

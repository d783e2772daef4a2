"""A school's lead starts its cluster from the school's page, adds partner schools and logs a
meeting; the school's page shows its history and eligibility. Axe checks every page."""

from datetime import date

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from awards.models import Award, Tier

from .conftest import visit
from .test_self_review import sign_in


def test_a_lead_builds_the_schools_cluster(page, base_url, world):
    with scopes_disabled():
        Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.QUALITY_MARK,
            awarded_on=date(2025, 7, 1),
            expires_on=date(2028, 7, 1),
        )
    sign_in(page, "head_teacher@bathnes.test")
    visit(page, f"/bathnes/schools/{world.school.pk}/")
    expect(page.get_by_role("table")).to_contain_text("Inclusion Quality Mark awarded")
    page.get_by_role("link", name="Start a cluster").click()
    page.a11y.wait()
    page.get_by_role("button", name="Start the cluster").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Chandag Infant cluster")
    for field, value in [
        ("URN of a school in the portal", world.outsider_school.urn),
        ("Or the name of a school outside the portal", "Longfields Primary School"),
    ]:
        page.get_by_role("link", name="Add a partner school").click()
        page.a11y.wait()
        page.get_by_label(field).fill(value)
        page.get_by_role("button", name="Add the partner school").click()
        page.a11y.wait()
    expect(page.get_by_role("table")).to_contain_text("Outsider Academy")
    page.get_by_role("link", name="Log an activity").click()
    page.a11y.wait()
    page.get_by_role("button", name="Save the activity").click()  # nothing filled in
    page.a11y.wait()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")
    page.get_by_label("Cluster meeting").check()
    page.get_by_label("Date").fill("2026-06-01")
    page.get_by_label("Title").fill("Summer cluster meeting")
    page.get_by_label("What happened").fill("Transition plans for Year 6.")
    page.get_by_label("Outsider Academy").check()
    page.get_by_label("People attending").fill("8")
    page.get_by_role("button", name="Save the activity").click()
    page.a11y.wait()
    expect(page.get_by_role("main")).to_contain_text("Outsider Academy; 8 people")
    expect(page.get_by_role("heading", level=3)).to_have_text("Summer cluster meeting")
    visit(page, f"/bathnes/schools/{world.school.pk}/")
    expect(page.get_by_role("main")).to_contain_text(
        "Leads Chandag Infant cluster, with 2 partner schools."
    )
    expect(page.get_by_role("main")).to_contain_text("Centre of Excellence")


def test_choosing_the_school_to_register_offers_only_the_kinds_it_may_have(page, base_url, world):
    sign_in(page, "authority_admin@bathnes.test")
    visit(page, "/bathnes/cycles/new/")
    kind = page.get_by_label("Kind of assessment")
    expect(kind.locator("option")).to_have_count(4)
    school = page.get_by_label("School")
    school.press_sequentially("cas")  # as typed: the suggestions come
    suggested = page.locator("#id_school_options option")
    castle = f"Castle Primary (URN {world.other_school.urn})"
    expect(suggested).to_have_count(1)
    expect(suggested).to_have_attribute("value", castle)
    school.fill(castle)  # the suggestion chosen (the browser's own list cannot be clicked)
    school.press("Tab")  # leaving the box brings the kinds the school may have
    expect(kind.locator("option")).to_have_count(2)
    expect(kind.locator("option")).to_have_text(["Initial assessment", "Reassessment"])
    expect(page.get_by_role("main")).to_contain_text(
        "Not offered to this school. Centre of Excellence review: Centre of Excellence needs"
    )
    expect(school).to_have_value(castle)
    expect(page.get_by_label("Kind of assessment")).to_be_focused()
    page.a11y.check()

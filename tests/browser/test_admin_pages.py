"""The rest of the admin's pages, checked with axe: frameworks, emails and their templates,
conflicts, self-reviews, and the forms to register a school, invite someone and add an area."""

from playwright.sync_api import expect

from .conftest import visit
from .test_self_review import sign_in


def test_admin_pages_are_accessible(page, base_url, world):
    sign_in(page, "authority_admin@bathnes.test")
    for path, heading in [
        ("/bathnes/frameworks/", "Framework versions"),
        ("/bathnes/notifications/outbox/", None),
        ("/bathnes/notifications/templates/", None),
        ("/bathnes/notifications/templates/cycle.registered/", None),
        ("/bathnes/moderation/", "Moderation"),
        ("/bathnes/moderation/conflicts/", "Conflicts of interest"),
        ("/bathnes/cycles/", "Self-reviews"),
        ("/bathnes/cycles/new/", "Register a school for assessment"),
        ("/bathnes/people/invite/", "Invite someone"),
        ("/bathnes/schools/areas/new/", "Add an area"),
        (f"/bathnes/cycles/{world.cycle.pk}/review/", "Mentor's validation: Chandag Infant"),
    ]:
        visit(page, path)
        if heading:
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # A form with errors, on a page with a select, radios and the school picker.
    visit(page, "/bathnes/cycles/new/")
    page.get_by_role("button", name="Register the school").click()
    page.a11y.wait()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")


def test_school_pages_are_accessible(page, base_url, world):
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/assignments/")
    page.get_by_label("Contributor").select_option(label="School contributor")
    page.get_by_label("Element").select_option(label="4. Staffing systems and organisation")
    page.get_by_role("button", name="Give the element").click()
    page.a11y.wait()
    expect(page.get_by_role("table")).to_contain_text("4. Staffing systems and organisation")
    visit(page, f"/bathnes/cycles/{world.cycle.pk}/portfolio/links/new/")
    page.get_by_role("button", name="Add the link").click()
    page.a11y.wait()
    expect(page.get_by_role("alert").get_by_role("heading")).to_have_text("There is a problem")
    visit(page, f"/bathnes/schools/{world.school.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Chandag Infant")


def test_a_mentor_chosen_while_the_kinds_refresh_is_kept(page, world):
    """Choosing the school refreshes the form with the kinds it may have; a mentor chosen before
    that refresh arrives stays chosen."""
    sign_in(page, "authority_admin@bathnes.test")
    visit(page, "/bathnes/cycles/new/")
    held = []  # the refresh waits here until released
    page.route("**/bathnes/cycles/new/?*", lambda route: held.append(route))
    page.get_by_label("School").fill("Chandag Infant")
    with page.expect_request("**/bathnes/cycles/new/?*"):
        page.get_by_label("School").press("Tab")  # leaving the box: the school is chosen
    page.get_by_label("Mentor").select_option(label="Mentor")
    held[0].continue_()
    expect(page.get_by_text("Not offered to this school.")).to_be_visible()
    expect(page.get_by_label("Mentor")).to_have_value(str(world.people["mentor"].pk))
    # The name typed comes back as a suggestion reads.
    expect(page.get_by_label("School")).to_have_value(f"Chandag Infant (URN {world.school.urn})")
    page.a11y.check()

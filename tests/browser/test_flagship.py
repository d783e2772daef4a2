"""A Flagship school's research project and the nine criteria in a browser: the head starts the
project and adds a key step and an output; the school writes its evidence; the visiting moderator
confirms, and a "not yet" without a comment is explained. Axe checks every page."""

from django_scopes import scopes_disabled
from playwright.sync_api import expect

from assessments.models import Cycle
from flagship.models import CRITERIA
from moderation.models import Visit

from ..test_flagship import flagship_review
from .conftest import visit
from .test_self_review import sign_in


def test_the_head_keeps_the_research_project(page, world):
    flagship_review(world, Cycle.State.ANNUAL_UPDATE)
    sign_in(page, "head_teacher@bathnes.test")
    visit(page, f"/bathnes/schools/{world.school.pk}/")
    page.get_by_role("link", name="Start the school's research project").click()
    page.a11y.wait()
    page.get_by_role("link", name="Start a research project").click()
    page.a11y.wait()
    page.get_by_role("button", name="Save the research project").click()
    page.a11y.wait()
    expect(page.get_by_role("alert")).to_contain_text("Research question: This field is required.")
    page.get_by_label("Research question").fill("Does a shared transition week help?")
    page.get_by_label("Why this question").fill("Pupils worry about moving up.")
    page.get_by_label("Started on").fill("2025-09-01")
    page.get_by_role("button", name="Save the research project").click()
    page.a11y.wait()
    page.get_by_role("link", name="Add a key step").click()
    page.a11y.wait()
    page.get_by_label("Key step").fill("Survey pupils")
    page.get_by_label("Owner").fill("Head of Year 7")
    page.get_by_label("Start").fill("2025-10-01")
    page.get_by_label("Due").fill("2025-12-01")
    page.get_by_role("button", name="Save the key step").click()
    page.a11y.wait()
    page.get_by_role("link", name="Add an output").click()
    page.a11y.wait()
    page.get_by_label("Title").fill("Moving up together")
    page.get_by_label("Kind").select_option(label="Case study")
    page.get_by_label("Where it was published").fill("IQM newsletter")
    page.get_by_label("Year").fill("2026")
    page.get_by_role("button", name="Save the output").click()
    page.a11y.wait()
    expect(page.get_by_role("table", name="Outputs in 2026")).to_contain_text("Moving up together")
    expect(page.get_by_role("row", name="Survey pupils")).to_contain_text("Not started")


def test_the_school_writes_evidence_and_the_moderator_confirms(page, world):
    review = flagship_review(world, Cycle.State.ANNUAL_UPDATE)
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, f"/bathnes/cycles/{review.pk}/")
    page.get_by_role("link", name="Flagship criteria").click()
    page.a11y.wait()
    for number in range(1, len(CRITERIA) + 1):
        page.get_by_label(f"Evidence for criterion {number}").fill(f"Evidence {number}.")
    page.get_by_role("button", name="Save the evidence").click()
    page.a11y.wait()
    expect(page.get_by_text("The evidence is saved.")).to_be_visible()

    with scopes_disabled():
        Cycle.objects.filter(pk=review.pk).update(state=Cycle.State.VISIT_PLANNED)
        visit_ = Visit.objects.create(
            cycle=review, date=review.created_at.date(), planned_by=world.people["panel_chair"]
        )
        visit_.moderators.set([world.people["moderator"], world.people["moderator2"]])
    page.context.clear_cookies()
    sign_in(page, "moderator@bathnes.test")
    visit(page, f"/bathnes/cycles/{review.pk}/flagship-criteria/")
    expect(page.get_by_text("Evidence 3.")).to_be_visible()
    page.get_by_role("group", name="Is criterion 1 met?").get_by_label("Not yet").check()
    page.get_by_role("button", name="Save my verdicts").click()
    page.a11y.wait()
    page.get_by_role("link", name="Comment on criterion 1: Say what the school still needs").click()
    expect(page.get_by_label("Comment on criterion 1")).to_be_focused()
    for number in range(1, 10):
        page.get_by_role("group", name=f"Is criterion {number} met?").get_by_label(
            "Confirmed"
        ).check()
    page.get_by_role("button", name="Save my verdicts").click()
    page.a11y.wait()
    expect(page.get_by_text("9 of 9 criteria confirmed")).to_be_visible()

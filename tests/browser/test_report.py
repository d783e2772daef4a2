"""The moderators' report in a browser: each section saves as a moderator types; when the other
moderator saved the same section meanwhile, both versions are shown inline, beside the field and
not over it, to keep one or the other; axe on every page and after each change in place.
Screenshots of the report at 1280 and 320 px go to test-results/screenshots/ (ignored by git)."""

import re
from datetime import date, timedelta
from pathlib import Path

from django_scopes import scope
from playwright.sync_api import expect

from assessments.models import Cycle
from moderation import domain
from moderation.models import Report

from ..journey import advance
from .conftest import visit
from .test_self_review import sign_in

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-results" / "screenshots"


def screenshot(page, name):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 320):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        # Nothing wider than the screen: no two-way scrolling.
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.set_viewport_size({"width": 1280, "height": 900})


def test_the_report_saves_as_you_type_and_shows_a_conflict_inline(page, world):
    cycle = advance(world, Cycle.State.READY_FOR_VISIT)
    second = world.people["moderator2"]
    with scope(authority=world.authority):
        domain.plan_visit(
            cycle=cycle,
            by=world.people["panel_chair"],
            moderators=[world.people["moderator"], second],
            visit_date=date.today() + timedelta(days=1),
        )
        domain.add_note(
            cycle=cycle,
            by=second,
            kind="pupils",
            who="School council",
            notes="Everyone has a friend at play.",
            elements=list(cycle.framework.elements.filter(number=2)),
        )
    sign_in(page, "moderator@bathnes.test")
    visit(page, f"/bathnes/cycles/{cycle.pk}/report/")
    element = page.get_by_role("region", name="2. Pupil attitudes, values and personal development")
    beside = element.get_by_role("complementary")
    expect(beside).to_contain_text("Meeting with pupils: School council")
    expect(beside.get_by_role("link", name="Edit the note")).to_have_count(1)

    # A finding saves as the moderator types.
    element.get_by_label("Judgement").select_option(label="Met")
    expect(element.get_by_role("status")).to_contain_text("Saved at")
    with scope(authority=world.authority):
        finding = Report.objects.get(cycle=cycle).findings.get(element__number=2)
        assert (finding.judgement, finding.version) == ("met", 1)

    # The context saves; then the co-moderator saves their own context from another copy.
    context = page.get_by_role("region", name="Context")
    context.get_by_label("The school's context").fill("An infant school of 180 pupils.")
    expect(context.get_by_role("status")).to_contain_text("Saved at")
    with scope(authority=world.authority):
        theirs = domain.save_section(
            cycle=cycle,
            by=second,
            section="context",
            version=Report.objects.get(cycle=cycle).context_version,
            data={"context": "An infant school in Keynsham."},
        )

    # Typing into the stale copy shows both versions, inline, and saves nothing.
    context.get_by_label("The school's context").fill("An infant school of 180 pupils, in Bath.")
    conflict = context.get_by_role("alert")
    expect(conflict.get_by_role("heading", level=3)).to_have_text(
        "This section was saved by someone else after you opened it"
    )
    expect(conflict).to_contain_text("An infant school in Keynsham.")
    expect(conflict).to_contain_text("An infant school of 180 pupils, in Bath.")
    expect(conflict).to_be_focused()
    page.a11y.check()
    # The message sits above the field, not over it: the field is still there to type in.
    box, field = (
        conflict.bounding_box(),
        context.get_by_label("The school's context").bounding_box(),
    )
    assert box["y"] + box["height"] <= field["y"]
    screenshot(page, "report-conflict")
    with scope(authority=world.authority):
        assert Report.objects.get(cycle=cycle).context == "An infant school in Keynsham."

    # Keeping mine saves it over theirs, now knowingly.
    conflict.get_by_role("button", name="Keep my version").click()
    expect(context.get_by_role("status")).to_contain_text("Saved at")
    expect(context.get_by_role("alert")).to_have_count(0)
    page.a11y.check()
    with scope(authority=world.authority):
        report = Report.objects.get(cycle=cycle)
        assert (report.context, report.context_version) == (
            "An infant school of 180 pupils, in Bath.",
            theirs.context_version + 1,
        )

    # Using theirs loads the page afresh at the section, with their text at their version.
    with scope(authority=world.authority):
        theirs = domain.save_section(
            cycle=cycle,
            by=second,
            section="context",
            version=Report.objects.get(cycle=cycle).context_version,
            data={"context": "An infant school in Keynsham, of 180 pupils."},
        )
    context.get_by_label("The school's context").fill("Mine, which I will let go.")
    context.get_by_role("alert").get_by_role("link", name="Use their version").click()
    page.a11y.wait()
    expect(page).to_have_url(re.compile(r"/report/#\w+$"))
    expect(context.get_by_label("The school's context")).to_have_value(
        "An infant school in Keynsham, of 180 pupils."
    )
    expect(context.get_by_role("alert")).to_have_count(0)
    with page.expect_response(lambda response: response.request.method == "POST"):
        context.get_by_label("The school's context").fill(
            "An infant school in Keynsham, 180 pupils."
        )
    expect(context.get_by_role("status")).to_contain_text("Saved at")
    with scope(authority=world.authority):
        report = Report.objects.get(cycle=cycle)
        assert (report.context, report.context_version) == (
            "An infant school in Keynsham, 180 pupils.",
            theirs.context_version + 1,
        )

    # Signing too early lists what is still to write, each linked to its field.
    page.get_by_role("link", name="Sign the report").click()
    page.a11y.wait()
    summary = page.get_by_role("alert").filter(has_text="The report cannot be signed yet")
    expect(summary.get_by_role("link")).to_have_count(10)  # nine judgements, a recommendation
    expect(
        summary.get_by_role("link", name="Make a recommendation: award, defer or not award.")
    ).to_have_attribute("href", "#id_recommendation")
    expect(page.get_by_role("combobox", name="Recommendation")).to_have_attribute(
        "id", "id_recommendation"
    )
    screenshot(page, "report")

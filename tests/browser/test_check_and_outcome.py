"""Issue 13 in a browser, with axe on every page: the portfolio's check page before it is
submitted (what happens, who is told, the elements without evidence), then the school's dashboard
telling the award, with its downloads, and the case named for its result."""

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from assessments.models import Cycle

from ..journey import ORDER, REACH, advance
from .conftest import visit
from .test_self_review import sign_in

State = Cycle.State


def test_the_portfolio_is_checked_before_it_is_sent_and_the_award_is_told(page, world):
    cycle = advance(world, State.VALIDATED)  # one link of evidence, linked to no element
    portfolio = f"/bathnes/cycles/{cycle.pk}/portfolio/"
    sign_in(page, "school_coordinator@bathnes.test")
    visit(page, portfolio)
    page.get_by_role("link", name="Submit the portfolio").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Submit the portfolio for moderation?"
    )
    warning = page.get_by_role("region", name="10 elements without evidence")
    expect(warning.get_by_role("link")).to_have_count(10)
    expect(
        page.get_by_text("The case moves from “Validated” to “Portfolio submitted”.")
    ).to_be_visible()
    expect(page.get_by_role("list", name="Who is told").get_by_role("listitem")).to_have_text(
        ["Authority admin", "Mentor", "Panel chair"]
    )
    # Going back changes nothing.
    page.get_by_role("link", name="Go back").click()
    page.a11y.wait()
    cycle.refresh_from_db()
    assert cycle.state == State.VALIDATED
    page.get_by_role("link", name="Submit the portfolio").click()
    page.a11y.wait()
    page.get_by_role("button", name="Submit the portfolio").click()
    page.a11y.wait()
    expect(page.get_by_role("status").filter(has_text="submitted")).to_have_text(
        "The portfolio has been submitted for moderation. It can no longer be changed."
    )

    with scope(authority=world.authority):
        for state in ORDER[
            ORDER.index(State.PORTFOLIO_SUBMITTED) + 1 : ORDER.index(State.DECIDED) + 1
        ]:
            REACH[state](world, cycle, world.people)
    visit(page, "/bathnes/")
    today = timezone.localdate()
    outcome = page.get_by_role(
        "region", name=f"Awarded the Inclusion Quality Mark on {today:%-d %B %Y}"
    )
    expect(outcome.locator("blockquote")).to_have_text("Clear.")
    for name in ("Get the certificate (PDF)", "Get the assessment report (PDF)"):
        expect(outcome.get_by_role("button", name=name)).to_be_visible()
    for name in ("Logo (SVG)", "Logo (PNG)"):
        expect(outcome.get_by_role("link", name=name)).to_be_visible()
    name = f"Chandag Infant: Inclusion Quality Mark assessment {today.year} – awarded"
    page.get_by_role("link", name=name).click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)

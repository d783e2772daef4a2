"""From a submitted portfolio to an award, in a browser: desk check, two moderators, visit notes
on a phone-sized screen, the report signed by both, the vote with a conflict shown, the decision,
the school's page showing its tier and expiry, and the documents: the certificate, the report and
the self-review summary as PDFs."""

from datetime import date, timedelta

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from accounts.models import Role
from awards.models import Tier
from moderation import domain
from moderation.models import Outcome

from ..assessment_helpers import submit_portfolio
from ..factories import MembershipFactory
from .conftest import visit
from .test_self_review import second_tab, sign_in


def test_from_submitted_portfolio_to_award(page, browser, axe, base_url, world):
    submit_portfolio(world)
    second_moderator = world.people["moderator2"]
    voters = [world.people["panel2"], world.people["panel3"]]
    MembershipFactory(
        authority=world.authority, user=world.people["moderator"], role=Role.PANEL_MEMBER
    )
    cycle = world.cycle
    visit_day = date.today() + timedelta(days=14)

    # The chair accepts the portfolio from the queue and plans the visit.
    sign_in(page, "panel_chair@bathnes.test")
    page.get_by_role("navigation", name="Bath & North East Somerset").get_by_role(
        "link", name="Moderation"
    ).click()
    page.a11y.wait()
    expect(page.get_by_role("region", name="Chandag Infant")).to_contain_text("waiting 0 days")
    page.get_by_role("region", name="Chandag Infant").get_by_role(
        "button", name="Accept for a visit"
    ).click()
    page.a11y.wait()
    page.get_by_role("row", name="Chandag Infant").get_by_role("link", name="Visit").click()
    page.a11y.wait()
    moderators = page.get_by_role("group", name="Moderators")
    moderators.get_by_label("Moderator", exact=True).check()
    moderators.get_by_label("Moderator2").check()
    page.get_by_label("Date of the visit").fill(visit_day.isoformat())
    page.get_by_role("button", name="Plan the visit").click()
    page.a11y.wait()
    expect(page.get_by_role("definition").filter(has_text="Moderator2")).to_have_text(
        "Moderator and Moderator2"
    )

    # A moderator records a meeting on a phone-sized screen.
    phone = second_tab(browser, axe, base_url)
    phone.set_viewport_size({"width": 390, "height": 844})
    sign_in(phone, "moderator@bathnes.test")
    visit(phone, f"/bathnes/cycles/{cycle.pk}/visit/")
    phone.get_by_label("Kind").select_option(label="Meeting with pupils")
    phone.get_by_label("Who or which class").fill("School council, Years 1 and 2")
    phone.get_by_label("Notes").fill(
        "Pupils describe the buddy bench and say everyone has a friend at play."
    )
    phone.get_by_role("group", name="Elements it bears on").get_by_label(
        "2. Pupil attitudes, values and personal development"
    ).check()
    phone.get_by_role("button", name="Save the note").click()
    phone.a11y.wait()
    expect(phone.get_by_role("article")).to_contain_text(
        "Meeting with pupils: School council, Years 1 and 2"
    )

    # The moderator writes the report and signs it; the second moderator signs too.
    visit(phone, f"/bathnes/cycles/{cycle.pk}/report/")
    phone.get_by_label("The school's context").fill("An infant school of 180 pupils in Keynsham.")
    phone.get_by_role("combobox", name="Recommendation").select_option(label="Award")
    phone.get_by_label("Tier").select_option(label="Inclusion Quality Mark")
    for judgement in phone.get_by_label("Judgement").all():
        judgement.select_option(label="Met")
    # Each section saves itself: the context, each element and the recommendation.
    expect(phone.locator(".save-status").filter(has_text="Saved at")).to_have_count(12)
    phone.get_by_role("link", name="Sign the report").click()
    phone.a11y.wait()
    phone.get_by_role("button", name="Sign the report").click()
    phone.a11y.wait()
    expect(phone.get_by_text("Signed by 1 of 2 moderators.")).to_be_visible()
    with scope(authority=world.authority):
        domain.sign_report(cycle=cycle, by=second_moderator)

    # The chair opens the vote; a visiting moderator, also on the panel, is shown why they
    # cannot vote.
    visit(page, f"/bathnes/cycles/{cycle.pk}/panel/")
    page.get_by_role("button", name="Open the vote").click()
    page.a11y.wait()
    moderator_tab = second_tab(browser, axe, base_url)
    sign_in(moderator_tab, "moderator@bathnes.test")
    visit(moderator_tab, f"/bathnes/cycles/{cycle.pk}/panel/")
    expect(
        moderator_tab.get_by_text(
            "You cannot vote on this case: a visiting moderator, who may speak but not vote."
        )
    ).to_be_visible()
    expect(moderator_tab.get_by_role("button", name="Cast my vote")).to_have_count(0)

    voter = second_tab(browser, axe, base_url)
    sign_in(voter, "panel_member@bathnes.test")
    visit(voter, f"/bathnes/cycles/{cycle.pk}/panel/")
    expect(voter.get_by_role("table")).to_have_count(0)  # no one's votes before one's own
    voter.get_by_label("Award: Inclusion Quality Mark").check()
    voter.get_by_role("button", name="Cast my vote").click()
    voter.a11y.wait()
    expect(voter.get_by_role("table")).to_contain_text("Award: Inclusion Quality Mark")
    with scope(authority=world.authority):
        for other in voters:
            domain.cast_ballot(cycle=cycle, by=other, outcome=Outcome.AWARD, tier=Tier.QUALITY_MARK)

    visit(page, f"/bathnes/cycles/{cycle.pk}/panel/")
    page.get_by_role("link", name="Record the decision").click()
    page.a11y.wait()
    page.get_by_label("The panel's reasons").fill(
        "A clear, well-evidenced report; every element met."
    )
    page.get_by_role("button", name="Record the decision").click()
    page.a11y.wait()
    expect(page.get_by_role("article")).to_contain_text("Award: Inclusion Quality Mark")

    # The school's page shows its tier and expiry.
    school = second_tab(browser, axe, base_url)
    sign_in(school, "school_coordinator@bathnes.test")
    visit(school, f"/bathnes/schools/{world.school.pk}/")
    today = timezone.localdate()
    expires = today.replace(year=today.year + 3)
    expect(school.get_by_role("definition").first).to_have_text(
        f"Inclusion Quality Mark, awarded {today.day} {today:%B %Y}, "
        f"expires {expires.day} {expires:%B %Y}"
    )

    # The school asks for its certificate; a worker renders it and the page offers the download.
    school.get_by_role("button", name="Get the certificate (PDF)").click()
    school.a11y.wait()
    expect(school.get_by_role("link", name="Download", exact=False)).to_be_visible(timeout=15000)

    # From the cycle's page, the school gets the moderators' report and a moderator the self-review
    # summary.
    for tab, document in ((school, "assessment report"), (moderator_tab, "self-review summary")):
        visit(tab, f"/bathnes/cycles/{cycle.pk}/")
        tab.get_by_role("button", name=f"Get the {document} (PDF)").click()
        tab.a11y.wait()
        expect(tab.get_by_text(f"Your {document} is ready")).to_be_visible(timeout=15000)
        with tab.expect_download() as download:
            tab.get_by_role("link", name="Download the PDF").click()
        with open(download.value.path(), "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"

    for tab in (phone, moderator_tab, voter, school):
        tab.a11y.finish()
        tab.context.close()

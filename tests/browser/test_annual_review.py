"""A Centre of Excellence review in a browser, from the school's annual update (saved as it is
typed) through the chair's planning of a one-moderator visit and the moderator's ratification
with the development plan, to the panel's renewal: the school then holds a new Centre of
Excellence award."""

import re

from django.utils import timezone
from django_scopes import scope
from playwright.sync_api import expect

from assessments.models import Cycle
from awards.domain import years_after
from awards.models import Tier
from moderation import domain as moderation
from moderation.models import Outcome

from ..journey import TOMORROW, make_review, write_update
from .conftest import visit
from .test_self_review import second_tab, sign_in


def test_annual_review_from_update_to_renewal(page, browser, axe, base_url, world):
    cycle = make_review(world, Cycle.Kind.CENTRE_OF_EXCELLENCE)
    review = f"/bathnes/cycles/{cycle.pk}/"

    # The head teacher writes element 1 of the update: it saves as they type.
    sign_in(page, "head_teacher@bathnes.test")
    visit(page, review)
    expect(page.get_by_role("heading", level=1)).to_have_text("Chandag Infant: annual update")
    page.get_by_role("link", name="1. Pupil progress").click()
    page.a11y.wait()
    page.get_by_label("Progress this year").fill("Every pupil's progress is tracked termly.")
    page.get_by_label("Plans for next year").fill("Share the tracking with the cluster.")
    expect(page.locator("#save-status")).to_contain_text("Saved at", timeout=10_000)
    page.a11y.check()
    with scope(authority=world.authority):
        assert cycle.updates.get().progress == "Every pupil's progress is tracked termly."
        write_update(world, cycle)  # the other nine elements, as colleagues would
    visit(page, review)
    expect(page.get_by_text("10 of 10 elements complete")).to_be_visible()
    page.get_by_role("button", name="Submit the annual update").click()
    page.a11y.wait()
    expect(page.get_by_text("Annual update submitted", exact=True)).to_be_visible()

    # The chair plans the annual visit with one moderator.
    chair = second_tab(browser, axe, base_url)
    sign_in(chair, "panel_chair@bathnes.test")
    visit(chair, f"{review}visit/")
    chair.get_by_role("group", name="Moderators").get_by_label("Moderator", exact=True).check()
    chair.get_by_label("Date of the visit").fill(TOMORROW.isoformat())
    chair.get_by_role("button", name="Plan the visit").click()
    chair.a11y.wait()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Annual visit")

    # The moderator ratifies every element, agrees a priority and signs.
    moderator = second_tab(browser, axe, base_url)
    sign_in(moderator, "moderator@bathnes.test")
    visit(moderator, f"{review}annual-review/ratification/")
    for number in range(1, 11):
        moderator.get_by_label(re.compile(rf"^{number}\. Progress")).select_option(label="Ratified")
    moderator.get_by_label("Summary of the visit").fill("A year of real progress, shared widely.")
    moderator.get_by_label("Recommendation").select_option(label="Renew")
    moderator.get_by_role("button", name="Save the ratification").click()
    moderator.a11y.wait()
    moderator.get_by_text("Add a priority").click()
    moderator.get_by_label("Element").select_option(label="8. Parents and carers")
    moderator.get_by_label("Action").fill("Family learning open to the cluster's parents.")
    moderator.get_by_label("Lead person").fill("The head teacher")
    moderator.get_by_label("By when").fill(TOMORROW.isoformat())
    moderator.get_by_role("button", name="Add the priority").click()
    moderator.a11y.wait()
    expect(moderator.get_by_role("table", name="Annual development plan")).to_contain_text(
        "Family learning open to the cluster's parents."
    )
    moderator.get_by_role("button", name="Sign the ratification").click()
    moderator.a11y.wait()
    expect(moderator.get_by_role("main").get_by_role("paragraph").first).to_contain_text(
        "Ratified Signed by Moderator on"
    )

    # The chair opens the vote; a panel member votes to renew; the chair records the renewal.
    visit(chair, f"{review}panel/")
    chair.get_by_role("button", name="Open the vote").click()
    chair.a11y.wait()
    voter = second_tab(browser, axe, base_url)
    sign_in(voter, "panel_member@bathnes.test")
    visit(voter, f"{review}panel/")
    voter.get_by_label("Renew: Centre of Excellence").check()
    voter.get_by_role("button", name="Cast my vote").click()
    voter.a11y.wait()
    expect(voter.get_by_role("table")).to_contain_text("Renew")
    with scope(authority=world.authority):
        for member in ("panel2", "panel3"):
            moderation.cast_ballot(
                cycle=cycle,
                by=world.people[member],
                outcome=Outcome.AWARD,
                tier=Tier.CENTRE_OF_EXCELLENCE,
            )
    visit(chair, f"{review}panel/")
    chair.get_by_role("link", name="Record the decision").click()
    chair.a11y.wait()
    chair.get_by_label("The panel's reasons").fill("Progress ratified on every element.")
    chair.get_by_role("button", name="Record the decision").click()
    chair.a11y.wait()
    expect(chair.get_by_role("article")).to_contain_text("Renew: Centre of Excellence")

    # The school holds a new Centre of Excellence award, from today.
    visit(page, f"/bathnes/schools/{world.school.pk}/")
    today = timezone.localdate()
    expires = years_after(today, world.authority.centre_of_excellence_years)
    expect(page.get_by_role("definition").first).to_have_text(
        f"Centre of Excellence, awarded {today.day} {today:%B %Y}, "
        f"expires {expires.day} {expires:%B %Y}"
    )

    for tab in (chair, moderator, voter):
        tab.a11y.finish()
        tab.context.close()

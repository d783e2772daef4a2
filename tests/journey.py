"""The world's cycle brought to any state of the workflow the way people bring it there: through
the domain functions, with what that state has (answers, reviews, evidence, a visit by the
world's two moderators, a complete report, the panel's ballots, a decision)."""

from datetime import date, timedelta

from django_scopes import scope

from assessments import domain
from assessments.models import Cycle
from awards.models import Tier
from moderation import domain as moderation
from moderation.models import Outcome
from portfolios import domain as portfolios

from .assessment_helpers import complete_self_review, review_all, submit

State = Cycle.State
ORDER = list(State)
TOMORROW = date.today() + timedelta(days=1)
# Three ballots make the default quorum; panel_member and the chair have not voted.
EARLY_VOTERS = ("panel2", "panel3", "panel4")


def _self_review(world, cycle, people):
    complete_self_review(world)


def _submitted(world, cycle, people):
    submit(world)


def _validated(world, cycle, people):
    review_all(world)
    domain.validate(cycle=cycle, by=people["mentor"])


def _portfolio_submitted(world, cycle, people):
    portfolios.submit_portfolio(cycle=cycle, by=people["school_coordinator"])


def _ready_for_visit(world, cycle, people):
    moderation.accept_for_visit(cycle=cycle, by=people["panel_chair"])


def _visit_planned(world, cycle, people):
    moderation.plan_visit(
        cycle=cycle,
        by=people["panel_chair"],
        moderators=[people["moderator"], people["moderator2"]],
        visit_date=TOMORROW,
    )
    moderation.save_report(
        cycle=cycle,
        by=people["moderator"],
        version=0,
        context="A primary school of 200 pupils.",
        strengths="Warmth.",
        next_steps="Share practice.",
        recommendation=Outcome.AWARD,
        tier=Tier.QUALITY_MARK,
        revisit_by=None,
        findings={e.pk: ("Good.", "More.", "met") for e in cycle.framework.elements.all()},
    )
    moderation.sign_report(cycle=cycle, by=people["moderator2"])


def _reported(world, cycle, people):
    moderation.sign_report(cycle=cycle, by=people["moderator"])


def _with_panel(world, cycle, people):
    moderation.open_vote(cycle=cycle, by=people["panel_chair"])
    for member in EARLY_VOTERS:
        moderation.cast_ballot(
            cycle=cycle, by=people[member], outcome=Outcome.AWARD, tier=Tier.QUALITY_MARK
        )


def _decided(world, cycle, people):
    moderation.record_decision(cycle=cycle, by=people["panel_chair"], rationale="Clear.")


REACH = {
    State.SELF_REVIEW: _self_review,
    State.SUBMITTED: _submitted,
    State.VALIDATED: _validated,
    State.PORTFOLIO_SUBMITTED: _portfolio_submitted,
    State.READY_FOR_VISIT: _ready_for_visit,
    State.VISIT_PLANNED: _visit_planned,
    State.REPORTED: _reported,
    State.WITH_PANEL: _with_panel,
    State.DECIDED: _decided,
}


def advance(world, state) -> Cycle:
    """Bring the world's cycle to `state`. On the way, the coordinator gives element 1 to the
    contributor and adds a link to the portfolio."""
    with scope(authority=world.authority):
        cycle, coordinator = world.cycle, world.people["school_coordinator"]
        domain.assign_element(
            cycle=cycle,
            element=cycle.framework.elements.get(number=1),
            person=world.people["school_contributor"],
            by=coordinator,
        )
        portfolios.add_link(
            cycle=cycle,
            by=coordinator,
            url="https://school.example/inclusion",
            title="Inclusion policy",
        )
        for reached in ORDER[1 : ORDER.index(state) + 1]:
            REACH[reached](world, cycle, world.people)
        cycle.refresh_from_db()
        assert cycle.state == state
        return cycle

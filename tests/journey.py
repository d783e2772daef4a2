"""The world's cycle brought to any state of the workflow the way people bring it there: through
the domain functions, with what that state has (answers, reviews, evidence, a visit by the
world's two moderators, a complete report, the panel's ballots, a decision). A Centre of
Excellence or Flagship review goes through the annual review instead (an update of every element,
an annual visit by one moderator, its ratification, the panel's ballots to renew, a decision)."""

from datetime import date, timedelta

from django_scopes import scope

from assessments import domain
from assessments.domain import TIER_OF_KIND
from assessments.models import Cycle
from assessments.workflow import REVIEW_KINDS
from awards.domain import years_after
from awards.models import Award, Tier
from flagship import domain as flagship
from flagship.models import CRITERIA
from moderation import domain as moderation
from moderation.models import Outcome
from portfolios import domain as portfolios
from reviews import domain as reviews

from .assessment_helpers import complete_self_review, review_all, submit
from .factories import SchoolFactory, give_partners

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


# The annual review


REVIEW_ORDER = [
    State.REGISTERED,
    State.ANNUAL_UPDATE,
    State.UPDATE_SUBMITTED,
    State.VISIT_PLANNED,
    State.RATIFIED,
    State.WITH_PANEL,
    State.DECIDED,
]


def make_review(world, kind):
    """The world's school made eligible for the review of `kind` (a current Quality Mark, two
    partner schools, and for Flagship an earlier Quality Mark and a Centre of Excellence held for
    four years) and its cycle,
    only just registered, made that review."""
    today = date.today()
    with scope(authority=world.authority):
        school = world.school
        awards = [(Tier.QUALITY_MARK, years_after(today, -5), years_after(today, 1))]
        if kind == Cycle.Kind.FLAGSHIP:
            awards += (
                [(Tier.QUALITY_MARK, years_after(today, -8), years_after(today, -5))]
                + [
                    (Tier.CENTRE_OF_EXCELLENCE, years_after(today, -n), years_after(today, 1 - n))
                    for n in range(4, 0, -1)
                ]
                + [(Tier.FLAGSHIP, years_after(today, -1), today + timedelta(days=30))]
            )
        else:
            awards.append(
                (Tier.CENTRE_OF_EXCELLENCE, years_after(today, -1), today + timedelta(days=30))
            )
        for tier, awarded_on, expires_on in awards:
            Award.objects.create(
                authority=world.authority,
                school=school,
                tier=tier,
                awarded_on=awarded_on,
                expires_on=expires_on,
            )
        give_partners(
            school,
            *(
                SchoolFactory(authority=world.authority, area=world.area, name=name)
                for name in ("Partner One Primary", "Partner Two Primary")
            ),
        )
        Cycle.objects.filter(pk=world.cycle.pk).update(kind=kind)
        world.cycle.refresh_from_db()
    return world.cycle


def update_data(element):
    return {"progress": f"This year on element {element.number}.", "plans": "Next: more."}


def write_update(world, cycle):
    """Every element's update written, as the coordinator."""
    coordinator = world.people["school_coordinator"]
    for element in cycle.framework.elements.all():
        update = cycle.updates.filter(element=element).first()
        reviews.save_update(
            cycle=cycle,
            element=element,
            by=coordinator,
            version=update.version if update else 0,
            data=update_data(element),
        )


def write_ratification(cycle, by):
    """A complete ratification: every element ratified, a summary, one priority, renew."""
    reviews.save_ratification(
        cycle=cycle,
        by=by,
        version=getattr(getattr(cycle, "ratification", None), "version", 0),
        summary="A strong year.",
        recommendation="renew",
        progress={e.pk: ("ratified", "Seen.") for e in cycle.framework.elements.all()},
    )
    reviews.add_priority(
        cycle=cycle,
        by=by,
        element=cycle.framework.elements.get(number=1),
        action="Share the tracking with the cluster.",
        lead="The SENCo",
        by_when=TOMORROW,
    )


def _annual_update(world, cycle, people):
    write_update(world, cycle)


def _update_submitted(world, cycle, people):
    reviews.submit_update(cycle=cycle, by=people["head_teacher"])


def _annual_visit_planned(world, cycle, people):
    moderation.plan_visit(
        cycle=cycle, by=people["panel_chair"], moderators=[people["moderator"]], visit_date=TOMORROW
    )
    write_ratification(cycle, people["moderator"])
    if cycle.kind == Cycle.Kind.FLAGSHIP:
        flagship.confirm_criteria(
            cycle=cycle,
            by=people["moderator"],
            verdicts={key: ("confirmed", "Seen.") for key, _ in CRITERIA},
        )


def _ratified(world, cycle, people):
    reviews.ratify(cycle=cycle, by=people["moderator"])


def _review_with_panel(world, cycle, people):
    moderation.open_vote(cycle=cycle, by=people["panel_chair"])
    for member in EARLY_VOTERS:
        moderation.cast_ballot(
            cycle=cycle, by=people[member], outcome=Outcome.AWARD, tier=TIER_OF_KIND[cycle.kind]
        )


REVIEW_REACH = {
    State.ANNUAL_UPDATE: _annual_update,
    State.UPDATE_SUBMITTED: _update_submitted,
    State.VISIT_PLANNED: _annual_visit_planned,
    State.RATIFIED: _ratified,
    State.WITH_PANEL: _review_with_panel,
    State.DECIDED: _decided,
}


def advance(world, state, kind=Cycle.Kind.INITIAL) -> Cycle:
    """Bring the world's cycle, of `kind`, to `state`. On the way through an assessment, the
    coordinator gives element 1 to the contributor and adds a link to the portfolio."""
    if kind in REVIEW_KINDS:
        cycle = make_review(world, kind)
        with scope(authority=world.authority):
            for reached in REVIEW_ORDER[1 : REVIEW_ORDER.index(state) + 1]:
                REVIEW_REACH[reached](world, cycle, world.people)
            cycle.refresh_from_db()
            assert cycle.state == state
            return cycle
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

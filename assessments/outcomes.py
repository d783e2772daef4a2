"""What has happened to a case and what comes next, in words: for the dashboard and the case's own
page. Later layers' records (the visit, the report, the panel's decisions and their awards) are
read through the cycle's reverse relations, as the workflow reads them, not imported."""

from dataclasses import dataclass

from django.db.models import Prefetch, prefetch_related_objects
from django.utils.formats import date_format
from django.utils.timezone import localdate

from .domain import TIER_OF_KIND
from .models import Cycle
from .workflow import REVIEW_KINDS

State = Cycle.State
Kind = Cycle.Kind

# How a decided case is named: "Inclusion Quality Mark assessment 2026 – awarded".
RESULT_WORDS = {
    "awarded": "awarded",
    "renewed": "renewed",
    "deferred": "deferred",
    "not_awarded": "not awarded",
    "lapsed": "lapsed",
}


@dataclass
class Outcome:
    key: str  # a state, or what a step's result was: returned, validated, awarded, deferred...
    happened: str
    next: str = ""
    reasons: str = ""  # the mentor's or the panel's own words
    reasons_by: str = ""  # whose words they are
    decision: object = None
    award: object = None
    report: object = None  # the final report, for an assessment


def _date(value) -> str:
    return date_format(localdate(value) if hasattr(value, "tzinfo") else value, "j F Y")


MODERATORS = "read_moderators"  # of a cycle's visit, by read_outcomes_of
DECISIONS = "read_decisions"  # of a cycle, in the order recorded, by read_outcomes_of


def read_outcomes_of(cycles) -> None:
    """What `outcome_of` reads of each cycle beyond its row, its visit and its report, for a list
    of cycles at once (a page of the dashboard): the moderators of a planned visit, and the
    decisions with their awards. The decisions are read for every case, decided or not (a query
    that finds nothing when none is decided): whether a decided case is on the page then changes
    nothing in what the page asks; a planned visit's moderators are read only when one is. Both are
    kept as lists on their cycle or visit, the decisions read by a plain query: a prefetch into the
    relations' managers builds a queryset for each cycle only to hold its rows."""
    cycles = list(cycles)
    prefetch_related_objects(
        [cycle for cycle in cycles if cycle.state == State.VISIT_PLANNED],
        Prefetch("visit__moderators", to_attr=MODERATORS),
    )
    decided = {cycle.pk: [] for cycle in cycles}
    decisions = Cycle.decisions.field.model.objects.filter(cycle__in=decided)
    for decision in decisions.select_related("award"):
        decided[decision.cycle_id].append(decision)
    for cycle in cycles:
        setattr(cycle, DECISIONS, decided[cycle.pk])


def _read(instance, attribute, relation) -> list:
    """What read_outcomes_of read of a page's cycles, else the relation's rows, read now (the
    case's own page reads one cycle's)."""
    found = getattr(instance, attribute, None)
    return list(relation.all()) if found is None else found


def _latest_decision(cycle):
    decisions = _read(cycle, DECISIONS, cycle.decisions)  # a correction comes last
    return decisions[-1] if decisions else None


def _final_report(cycle):
    report = getattr(cycle, "report", None)
    return report if report is not None and report.finalised_at else None


def _award_of(decision):
    return getattr(decision, "award", None)


def case_name(cycle, outcome: Outcome) -> str:
    """The case's name, with its result (its `outcome_of`) once decided: "Flagship review 2027 –
    renewed"."""
    tier = TIER_OF_KIND[cycle.kind].label
    what = {
        Kind.INITIAL: f"{tier} assessment",
        Kind.REASSESSMENT: f"{tier} reassessment",
    }.get(cycle.kind, f"{tier} review")
    name = f"{what} {localdate(cycle.created_at).year}"
    if cycle.state == State.DECIDED and outcome.key in RESULT_WORDS:
        name += f" – {RESULT_WORDS[outcome.key]}"
    return name


def outcome_of(cycle, for_school=False) -> Outcome:
    """What happened last and what comes next. `for_school`: worded for the school's own staff."""
    if cycle.state == State.DECIDED:
        return _decided(cycle)
    mentor = str(cycle.mentor)
    the_school = "you" if for_school else "the school"
    s = "" if for_school else "s"  # the verbs' ending after the_school
    if cycle.state == State.REGISTERED:
        kind = cycle.get_kind_display().lower()
        return Outcome(
            "registered",
            f"Registered for {'an' if kind[0] in 'aeiou' else 'a'} {kind} on "
            f"{_date(cycle.created_at)}, with {mentor} as mentor.",
            "The head teacher or the coordinator writes the annual update."
            if cycle.kind in REVIEW_KINDS
            else f"Next, {the_school} start{s} the self-review: for each "
            "element, rate the statements and say what the school does.",
        )
    if cycle.state == State.SELF_REVIEW and cycle.return_comment:
        return Outcome(
            "returned",
            f"Returned by {mentor}" + (", your mentor." if for_school else " to the school."),
            f"Next, {the_school} change{s} the self-review where the mentor asks, and "
            f"submit{s} it again.",
            reasons=cycle.return_comment,
            reasons_by="The mentor's comments",
        )
    if cycle.state == State.VALIDATED and cycle.return_comment:
        return Outcome(
            "portfolio_returned",
            "The panel returned the portfolio: it is not yet ready for a visit.",
            f"Next, {the_school} change{s} the portfolio and submit{s} it again.",
            reasons=cycle.return_comment,
            reasons_by="The panel's reasons",
        )
    if cycle.state == State.VALIDATED:
        return Outcome(
            "validated",
            f"Validated by {mentor} on {_date(cycle.validated_at)}.",
            f"Next, {the_school} build{s} the portfolio of evidence and submit{s} it for "
            "moderation.",
        )
    if cycle.state == State.VISIT_PLANNED:
        visit = cycle.visit
        moderators = " and ".join(str(m) for m in _read(visit, MODERATORS, visit.moderators))
        return Outcome(
            "visit_planned",
            f"The visit is planned for {_date(visit.date)}, with {moderators}.",
            "After the visit the moderators ratify the year's progress."
            if cycle.kind in REVIEW_KINDS
            else "After the visit the moderators write the report; it is final once both have "
            "signed it.",
        )
    happened, next_ = {
        State.SELF_REVIEW: (
            "The self-review is under way.",
            "When every element is complete, the head teacher or the coordinator submits it to "
            "the mentor.",
        ),
        State.SUBMITTED: (
            f"Submitted to {mentor}"
            + (f" on {_date(cycle.submitted_at)}." if cycle.submitted_at else "."),
            f"Next, {mentor} validates it, or returns it with comments.",
        ),
        State.PORTFOLIO_SUBMITTED: (
            "The portfolio is submitted for moderation.",
            "Next, the panel checks it is ready for a visit, or returns it with its reasons.",
        ),
        State.READY_FOR_VISIT: (
            "The panel accepted the portfolio for a visit.",
            "Next, the panel chair sets the date of the visit and its two moderators.",
        ),
        State.REPORTED: (
            "The moderators' report is signed and final.",
            "Next, the panel votes on it.",
        ),
        State.WITH_PANEL: (
            "The panel is voting.",
            "Next, the panel chair records the panel's decision, and "
            f"{the_school} {'are' if for_school else 'is'} told.",
        ),
        State.ANNUAL_UPDATE: (
            "The annual update is under way.",
            "When every element is written, the head teacher or the coordinator submits it.",
        ),
        State.UPDATE_SUBMITTED: (
            "The annual update is submitted.",
            "Next, the panel chair plans the annual visit.",
        ),
        State.RATIFIED: (
            "The annual visit is ratified.",
            "Next, the panel votes on the renewal.",
        ),
    }[cycle.state]
    return Outcome(cycle.state, happened, next_)


def _decided(cycle) -> Outcome:
    decision = _latest_decision(cycle)
    report = _final_report(cycle)
    if decision is None:  # not reached through the workflow
        return Outcome("decided", "Decided.")
    review = cycle.kind in REVIEW_KINDS
    on = _date(decision.recorded_at)
    common = {
        "reasons": decision.rationale,
        "reasons_by": "The panel's reasons",
        "decision": decision,
        "report": report,
    }
    if decision.outcome == "award":
        award = _award_of(decision)
        until = f", until {_date(award.expires_on)}" if award else ""
        tier = decision.get_tier_display()
        return Outcome(
            "renewed" if review else "awarded",
            (f"Renewed: the {tier}" if review else f"Awarded the {tier}") + f" on {on}{until}.",
            "The certificate and the logo are ready to download. The school appears on the "
            "authority's list of awarded schools when the list is next published.",
            award=award,
            **common,
        )
    if decision.outcome == "defer":
        revisit = report.revisit_by if report else None
        then = f"; the moderators revisit by {_date(revisit)}" if revisit else " before a revisit"
        return Outcome(
            "deferred",
            f"Deferred by the panel on {on}.",
            f"Next, the school closes the gaps the panel names{then}.",
            **common,
        )
    if review:
        return Outcome(
            "lapsed",
            f"Not renewed by the panel on {on}: the {TIER_OF_KIND[cycle.kind].label} runs to its "
            "expiry.",
            "The school may apply again once it is eligible.",
            **common,
        )
    return Outcome(
        "not_awarded",
        f"Not awarded by the panel on {on}.",
        "The school can be registered for a new assessment when it is ready.",
        **common,
    )

"""The workflow's table walked: every step, from every state, by every person of the world.
Each attempt goes through the step's domain function: where the table allows it, it succeeds and
leaves the cycle in the state the table names; where it does not, it is refused with a message
and nothing changes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_scopes import scope

from accounts.models import User
from assessments import domain
from assessments.models import Cycle, Rating, Target
from assessments.workflow import NEXT_STATES, STEPS, TransitionError
from audit.models import AuditEntry
from flagship import domain as flagship
from moderation import domain as moderation
from moderation.models import Decision, Outcome
from portfolios import domain as portfolios

from .assessment_helpers import complete_answer_data, review_all
from .journey import TOMORROW, advance

State = Cycle.State


def _element(cycle, number=1):
    return cycle.framework.elements.prefetch_related("descriptors").get(number=number)


def _save_answer(world, cycle, by):
    element = _element(cycle)
    answer = cycle.answers.filter(element=element).first()
    return domain.save_answer(
        cycle=cycle,
        element=element,
        by=by,
        version=answer.version if answer else 0,
        data=complete_answer_data(element, Rating.EMBEDDED),
    )


TAKE = {
    "edit_answers": _save_answer,
    "assign_elements": lambda w, c, by: domain.assign_element(
        cycle=c, element=_element(c, 2), person=w.people["school_contributor"], by=by
    ),
    "submit": lambda w, c, by: domain.submit_to_mentor(cycle=c, by=by),
    "review": lambda w, c, by: domain.review_element(
        cycle=c, element=_element(c), by=by, rating=Rating.EMBEDDED, comment="Agreed."
    ),
    "return": lambda w, c, by: domain.return_to_school(cycle=c, by=by, comment="More, please."),
    "validate": lambda w, c, by: domain.validate(cycle=c, by=by),
    "plan_targets": lambda w, c, by: domain.save_target(
        cycle=c,
        by=by,
        target=Target(
            element=_element(c),
            action="Act",
            lead="Lee",
            deadline=TOMORROW,
            success_criteria="Done",
        ),
    ),
    "add_evidence": lambda w, c, by: portfolios.add_link(
        cycle=c, by=by, url="https://school.example/more", title="More"
    ),
    "comment_evidence": lambda w, c, by: portfolios.add_comment(
        item=c.evidence.get(), by=by, body="Seen."
    ),
    "submit_portfolio": lambda w, c, by: portfolios.submit_portfolio(cycle=c, by=by),
    "accept_for_visit": lambda w, c, by: moderation.accept_for_visit(cycle=c, by=by),
    "return_portfolio": lambda w, c, by: moderation.return_portfolio(
        cycle=c, by=by, reasons="Add the pupils' voice."
    ),
    "plan_visit": lambda w, c, by: moderation.plan_visit(
        cycle=c,
        by=by,
        moderators=[w.people["moderator"], w.people["moderator2"]],
        visit_date=TOMORROW,
    ),
    "write_report": lambda w, c, by: moderation.add_note(
        cycle=c, by=by, kind="staff", who="The SENCo", notes="Met the SENCo."
    ),
    "sign_report": lambda w, c, by: moderation.sign_report(cycle=c, by=by),
    "open_vote": lambda w, c, by: moderation.open_vote(cycle=c, by=by),
    "vote": lambda w, c, by: moderation.cast_ballot(cycle=c, by=by, outcome=Outcome.DEFER),
    "decide": lambda w, c, by: moderation.record_decision(cycle=c, by=by, rationale="Clear."),
    "correct_decision": lambda w, c, by: moderation.correct_decision(
        decision=c.decisions.last() or Decision(cycle=c),
        by=by,
        outcome=Outcome.DEFER,
        tier="",
        rationale="Gaps.",
        reason="The tally was miscounted.",
    ),
    # B2: the Flagship criteria; refused on this assessment (tests/test_flagship.py walks them
    # through a Flagship review's states).
    "write_flagship_evidence": lambda w, c, by: flagship.save_evidence(
        cycle=c, by=by, evidence={"assessments": "Assessed in 2014 and 2017."}
    ),
    "confirm_criteria": lambda w, c, by: flagship.confirm_criteria(
        cycle=c, by=by, verdicts={"assessments": ("confirmed", "")}
    ),
}


def test_every_step_of_the_table_is_walked():
    # register: start_cycle's own tests; start_self_review: the first save, as edit_answers.
    assert sorted(TAKE) == sorted(set(STEPS) - {"register", "start_self_review"})


def test_the_state_machine_reads_its_next_states_from_the_steps():
    assert NEXT_STATES == {
        State.REGISTERED: {State.SELF_REVIEW},
        State.SELF_REVIEW: {State.SUBMITTED},
        State.SUBMITTED: {State.SELF_REVIEW, State.VALIDATED},
        State.VALIDATED: {State.PORTFOLIO_SUBMITTED},
        State.PORTFOLIO_SUBMITTED: {State.READY_FOR_VISIT, State.VALIDATED},
        State.READY_FOR_VISIT: {State.VISIT_PLANNED},
        State.VISIT_PLANNED: {State.REPORTED},
        State.REPORTED: {State.WITH_PANEL},
        State.WITH_PANEL: {State.DECIDED},
        State.DECIDED: set(),
    }


def fingerprint(cycle):
    """What a step could change, read afresh."""
    cycle = Cycle.objects.get(pk=cycle.pk)
    vote = getattr(cycle, "panel_vote", None)
    return (
        cycle.state,
        sorted(cycle.answers.values_list("version", flat=True)),
        cycle.assignments.count(),
        sorted(cycle.reviews.values_list("rating", flat=True)),
        cycle.targets.count(),
        cycle.evidence.count(),
        sum(item.comments.count() for item in cycle.evidence.all()),
        cycle.visit.notes.count() if hasattr(cycle, "visit") else None,
        sorted(cycle.report.signed_by.values_list("pk", flat=True))
        if hasattr(cycle, "report")
        else None,
        vote.ballots.count() if vote else None,
        cycle.decisions.count(),
        AuditEntry.objects.count(),
    )


class _Undo(Exception):
    """Rolls back one attempt, so each starts from the same cycle."""


def walk(world, cycle):
    """Every step by every person: the (step, person) pairs done, and what went against the
    table."""
    people = {**world.people, **world.others}
    done, problems = set(), []
    for name in TAKE:
        step = STEPS[name]
        for who, person in people.items():
            try:
                with transaction.atomic():
                    fresh, by = Cycle.objects.get(pk=cycle.pk), User.objects.get(pk=person.pk)
                    may = step.test(by, fresh)
                    before = fingerprint(fresh)
                    try:
                        TAKE[name](world, fresh, by)
                    except (TransitionError, PermissionDenied, ValidationError) as refusal:
                        said = " ".join(getattr(refusal, "messages", [str(refusal)]))
                        if may:
                            problems.append(f"{name} by {who}: allowed, but refused: {said}")
                        elif not said.strip():
                            problems.append(f"{name} by {who}: refused without a message")
                        elif fingerprint(fresh) != before:
                            problems.append(f"{name} by {who}: refused, but data changed")
                    else:
                        done.add((name, who))
                        after = fingerprint(fresh)
                        target = step.target or before[0]
                        if name == "edit_answers" and before[0] == State.REGISTERED:
                            target = STEPS["start_self_review"].target
                        if name == "sign_report" and len(set(before[8]) | {by.pk}) < 2:
                            target = before[0]  # the report is final at the second signature
                        if not may:
                            problems.append(f"{name} by {who}: refused by the table, but done")
                        elif after[0] != target:
                            problems.append(
                                f"{name} by {who}: left {after[0]}, table says {target}"
                            )
                        elif after == before:
                            problems.append(f"{name} by {who}: allowed, but nothing changed")
                    raise _Undo
            except _Undo:
                pass
    return done, problems


LEADS = {"school_coordinator", "head_teacher"}
SCHOOL = LEADS | {"school_contributor"}
DESK = {"panel_chair", "authority_admin"}
EVERY_STATE = {("plan_targets", p) for p in LEADS | {"mentor"}} | {
    ("comment_evidence", p) for p in SCHOOL | {"mentor"}
}
PORTFOLIO_OPEN = {("add_evidence", p) for p in SCHOOL}


def _pairs(step, people):
    return {(step, p) for p in people}


# Who does what, in each state, written from DOMAIN.md's roles and workflow rather than read
# from the table: the walk checks the table and the domain functions against it.
EXPECTED = {
    State.REGISTERED: PORTFOLIO_OPEN
    | _pairs("edit_answers", SCHOOL)
    | _pairs("assign_elements", LEADS),
    State.SELF_REVIEW: PORTFOLIO_OPEN
    | _pairs("edit_answers", SCHOOL)
    | _pairs("assign_elements", LEADS)
    | _pairs("submit", LEADS),
    State.SUBMITTED: PORTFOLIO_OPEN
    | {("review", "mentor"), ("return", "mentor"), ("validate", "mentor")},
    State.VALIDATED: PORTFOLIO_OPEN | _pairs("submit_portfolio", LEADS),
    State.PORTFOLIO_SUBMITTED: _pairs("accept_for_visit", DESK) | _pairs("return_portfolio", DESK),
    State.READY_FOR_VISIT: _pairs("plan_visit", DESK),
    # The two assigned moderators, not the other one (moderator2 has signed: the moderator's
    # signature makes the report final).
    State.VISIT_PLANNED: _pairs("write_report", {"moderator", "moderator2"})
    | _pairs("sign_report", {"moderator", "moderator2"}),
    State.REPORTED: {("open_vote", "panel_chair")},
    # panel2 to panel4 have voted; the conflicted member may not.
    State.WITH_PANEL: _pairs("vote", {"panel_member", "panel_chair"}) | {("decide", "panel_chair")},
    State.DECIDED: {("correct_decision", "panel_chair")},
}


@pytest.mark.parametrize("state", list(State))
def test_every_step_by_every_person_from_this_state_is_as_the_table_says(world, state):
    cycle = advance(world, state)
    with scope(authority=world.authority):
        if state == State.SUBMITTED:
            review_all(world)  # so the mentor may validate
        done, problems = walk(world, cycle)
    assert problems == []
    assert sorted(done) == sorted(EXPECTED[state] | EVERY_STATE)

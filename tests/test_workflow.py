"""The workflow's table walked: every step, from every state, by every person of the world.
Each attempt goes through the step's domain function: where the table allows it, it succeeds and
leaves the cycle in the state the table names; where it does not, it is refused with a message
and nothing changes."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_scopes import scope

from accounts.models import User
from assessments import domain, workflow
from assessments.models import Cycle, Rating, Target
from assessments.workflow import NEXT_STATES, STEPS, TransitionError, allowed
from audit.models import AuditEntry
from flagship import domain as flagship
from moderation import domain as moderation
from moderation.models import Decision, Outcome
from portfolios import domain as portfolios
from reviews import domain as reviews

from .assessment_helpers import complete_answer_data, review_all
from .conftest import start_cycle_for
from .factories import ConflictFactory
from .journey import REVIEW_ORDER, TOMORROW, advance, make_review, update_data, write_ratification

State = Cycle.State
Kind = Cycle.Kind


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
            lead=w.people["head_teacher"],
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
    "vote": lambda w, c, by: moderation.cast_ballot(cycle=c, by=by, outcome=Outcome.NOT_AWARD),
    "decide": lambda w, c, by: moderation.record_decision(cycle=c, by=by, rationale="Clear."),
    "correct_decision": lambda w, c, by: moderation.correct_decision(
        decision=c.decisions.last() or Decision(cycle=c),
        by=by,
        outcome=Outcome.NOT_AWARD,
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
        cycle=c, by=by, verdicts={"assessments": ("not_yet", "Show the second assessment.")}
    ),
    # The annual review
    "write_update": lambda w, c, by: reviews.save_update(
        cycle=c,
        element=_element(c),
        by=by,
        version=getattr(c.updates.filter(element=_element(c)).first(), "version", 0),
        data=update_data(_element(c)),
    ),
    "submit_update": lambda w, c, by: reviews.submit_update(cycle=c, by=by),
    "plan_annual_visit": lambda w, c, by: moderation.plan_visit(
        cycle=c, by=by, moderators=[w.people["moderator2"]], visit_date=TOMORROW
    ),
    "write_ratification": lambda w, c, by: write_ratification(c, by),
    "ratify": lambda w, c, by: reviews.ratify(cycle=c, by=by),
    "open_review_vote": lambda w, c, by: moderation.open_vote(cycle=c, by=by),
}


def test_every_step_of_the_table_is_walked():
    # register: start_cycle's own tests; start_self_review and start_update: the first save, as
    # edit_answers and write_update.
    assert sorted(TAKE) == sorted(set(STEPS) - {"register", "start_self_review", "start_update"})


ASSESSMENT_STATES = [
    State.REGISTERED,
    State.SELF_REVIEW,
    State.SUBMITTED,
    State.VALIDATED,
    State.PORTFOLIO_SUBMITTED,
    State.READY_FOR_VISIT,
    State.VISIT_PLANNED,
    State.REPORTED,
    State.WITH_PANEL,
    State.DECIDED,
]
REVIEW_NEXT_STATES = {
    State.REGISTERED: {State.ANNUAL_UPDATE},
    State.ANNUAL_UPDATE: {State.UPDATE_SUBMITTED},
    State.UPDATE_SUBMITTED: {State.VISIT_PLANNED},
    State.VISIT_PLANNED: {State.RATIFIED},
    State.RATIFIED: {State.WITH_PANEL},
    State.WITH_PANEL: {State.DECIDED},
}


def _moves(kind):
    return {state: targets for state, targets in NEXT_STATES[kind].items() if targets}


@pytest.mark.parametrize("kind", [Kind.CENTRE_OF_EXCELLENCE, Kind.FLAGSHIP])
def test_a_review_runs_the_annual_review(kind):
    assert _moves(kind) == REVIEW_NEXT_STATES


@pytest.mark.parametrize("kind", [Kind.INITIAL, Kind.REASSESSMENT])
def test_the_state_machine_reads_its_next_states_from_the_steps(kind):
    assert _moves(kind) == {
        State.REGISTERED: {State.SELF_REVIEW},
        State.SELF_REVIEW: {State.SUBMITTED},
        State.SUBMITTED: {State.SELF_REVIEW, State.VALIDATED},
        State.VALIDATED: {State.PORTFOLIO_SUBMITTED},
        State.PORTFOLIO_SUBMITTED: {State.READY_FOR_VISIT, State.VALIDATED},
        State.READY_FOR_VISIT: {State.VISIT_PLANNED},
        State.VISIT_PLANNED: {State.REPORTED},
        State.REPORTED: {State.WITH_PANEL},
        State.WITH_PANEL: {State.DECIDED},
    }


def fingerprint(cycle):
    """What a step could change, read afresh."""
    cycle = Cycle.objects.get(pk=cycle.pk)
    vote = getattr(cycle, "panel_vote", None)
    ratification = getattr(cycle, "ratification", None)
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
        sorted(cycle.updates.values_list("version", flat=True)),
        (
            ratification.version,
            sorted(ratification.signed_by.values_list("pk", flat=True)),
            ratification.priorities.count(),
        )
        if ratification
        else None,
    )


class _Undo(Exception):
    """Rolls back one attempt, so each starts from the same cycle."""


def walk(world, cycle):
    """Every step by every person: the (step, person) pairs done, and what went against the
    table."""
    people = {**world.people, **world.others}
    done, problems = set(), []
    # Steps of another kind of cycle are walked by test_a_step_of_another_kind_is_refused: a
    # domain function shared by two kinds (planning the visit, opening the vote) takes the step
    # of the cycle's own kind.
    for name in [n for n in TAKE if cycle.kind in STEPS[n].kinds]:
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
                        if name == "write_update" and before[0] == State.REGISTERED:
                            target = STEPS["start_update"].target
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


def differ_from_the_steps(world, cycle):
    """The people for whom `allowed` (each step's predicate called as a function, as every list
    asks it) names other steps than each step's own `test`, which the walk holds to the table."""
    fresh = Cycle.objects.get(pk=cycle.pk)
    differ = []
    for who, person in {**world.people, **world.others}.items():
        by = User.objects.get(pk=person.pk)
        if allowed(by, fresh) != {name for name, step in STEPS.items() if step.test(by, fresh)}:
            differ.append(who)
    return differ


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


@pytest.mark.parametrize("state", ASSESSMENT_STATES)
def test_every_step_by_every_person_from_this_state_is_as_the_table_says(world, state):
    cycle = advance(world, state)
    with scope(authority=world.authority):
        if state == State.SUBMITTED:
            review_all(world)  # so the mentor may validate
        done, problems = walk(world, cycle)
        differ = differ_from_the_steps(world, cycle)
    assert problems == []
    assert sorted(done) == sorted(EXPECTED[state] | EVERY_STATE)
    assert differ == []


# The annual review of a Centre of Excellence or Flagship school, from the issue: the school's
# leads write and submit the update; the chair or an admin plans the visit with one moderator;
# the visiting moderator ratifies; the chair opens the vote; the panel renews or lapses.
REVIEW_EXPECTED = {
    State.REGISTERED: _pairs("write_update", LEADS),
    State.ANNUAL_UPDATE: _pairs("write_update", LEADS) | _pairs("submit_update", LEADS),
    State.UPDATE_SUBMITTED: _pairs("plan_annual_visit", DESK),
    # One moderator visits; moderator2 was not assigned.
    State.VISIT_PLANNED: _pairs("write_ratification", {"moderator"})
    | _pairs("ratify", {"moderator"}),
    State.RATIFIED: {("open_review_vote", "panel_chair")},
    State.WITH_PANEL: _pairs("vote", {"panel_member", "panel_chair"}) | {("decide", "panel_chair")},
    State.DECIDED: {("correct_decision", "panel_chair")},
}


# A Flagship review adds the nine criteria: the leads write the evidence with the update, and the
# visiting moderator confirms them.
FLAGSHIP_EXPECTED = {
    State.REGISTERED: _pairs("write_flagship_evidence", LEADS),
    State.ANNUAL_UPDATE: _pairs("write_flagship_evidence", LEADS),
    State.VISIT_PLANNED: {("confirm_criteria", "moderator")},
}


@pytest.mark.parametrize("kind", [Kind.CENTRE_OF_EXCELLENCE, Kind.FLAGSHIP])
@pytest.mark.parametrize("state", REVIEW_ORDER)
def test_every_step_of_a_review_by_every_person_is_as_the_table_says(world, kind, state):
    cycle = advance(world, state, kind)
    with scope(authority=world.authority):
        done, problems = walk(world, cycle)
        differ = differ_from_the_steps(world, cycle)
    assert problems == []
    flagship = FLAGSHIP_EXPECTED.get(state, set()) if kind == Kind.FLAGSHIP else set()
    assert sorted(done) == sorted(REVIEW_EXPECTED[state] | flagship)
    assert differ == []


def test_a_step_of_another_kind_is_refused(world):
    """The self-review, portfolio and report are not a review's; the annual update is not an
    assessment's."""
    coordinator = world.people["school_coordinator"]
    with scope(authority=world.authority):
        element = _element(world.cycle)
        with pytest.raises(TransitionError, match="in an initial assessment"):
            reviews.save_update(
                cycle=world.cycle, element=element, by=coordinator, version=0, data={}
            )
    cycle = make_review(world, Kind.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        with pytest.raises(TransitionError, match="in a centre of excellence review"):
            _save_answer(world, cycle, coordinator)
        with pytest.raises(TransitionError, match="in a centre of excellence review"):
            portfolios.add_link(cycle=cycle, by=coordinator, url="https://a.example/", title="A")
        assert cycle.answers.count() == 0
        assert cycle.evidence.count() == 0
        assert cycle.updates.count() == 0


def _facts(cycle):
    return (
        workflow.moderator_ids(cycle),
        workflow.voter_ids(cycle),
        workflow._given_to(cycle),
        workflow.conflicts(cycle),
    )


def test_the_facts_of_a_list_read_at_once_are_each_cycle_s_own(world):
    """`read_facts`, for a list of cycles in one query, finds for each what its facts read alone
    find: the visit's moderators, the panel's voters, the contributors given elements, and the
    conflicts (the mentor first, then each conflict declared with the cycle's school, which is
    every listed cycle of that school's)."""
    cycle = advance(world, State.WITH_PANEL)
    people, others = world.people, world.others
    other = start_cycle_for(world.authority, world.other_school, others["other_mentor"])
    for person, reason in [(people["panel2"], "Parent"), (others["other_mentor"], "Governor")]:
        ConflictFactory(
            authority=world.authority, person=person, school=world.other_school, reason=reason
        )
    with scope(authority=world.authority):
        # An earlier cycle of the same school, with another mentor.
        earlier = Cycle.objects.create(
            authority=world.authority,
            school=world.school,
            framework=cycle.framework,
            mentor=others["other_mentor"],
            state=State.DECIDED,
        )
        listed = list(Cycle.objects.filter(pk__in=[cycle.pk, other.pk, earlier.pk]))
        workflow.read_facts(listed)
        at_once = {c.pk: _facts(c) for c in listed}
        alone = {pk: _facts(Cycle.objects.get(pk=pk)) for pk in at_once}
    ids = lambda *keys: frozenset(people[key].pk for key in keys)  # noqa: E731
    governor = {others["conflicted_panel_member"].pk: "declared: Governor of the school"}
    assert at_once == alone
    assert at_once[cycle.pk] == (
        ids("moderator", "moderator2"),
        ids("panel2", "panel3", "panel4"),
        ids("school_contributor"),
        {people["mentor"].pk: "the school's mentor", **governor},
    )
    assert at_once[earlier.pk] == (
        frozenset(),
        frozenset(),
        frozenset(),
        {others["other_mentor"].pk: "the school's mentor", **governor},
    )
    assert at_once[other.pk] == (
        frozenset(),
        frozenset(),
        frozenset(),
        {others["other_mentor"].pk: "the school's mentor", people["panel2"].pk: "declared: Parent"},
    )

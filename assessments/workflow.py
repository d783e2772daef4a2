"""The assessment's workflow, written once: for each step of a cycle, the states it may start
from, the state it leads to, who may take it and who is told; and who may see a cycle and its
drafts. Domain functions check a step here before they change anything, views and templates show
only the steps it allows, "my work" lists them, and the notifications are sent to the people it
names. The predicates are django-rules predicates on (person, cycle), so the API can use them too.

Later layers (moderation, portfolios) keep their records in their own apps; the predicates read
them through the cycle's reverse relations (`cycle.visit`, `cycle.report`, `cycle.panel_vote`,
`school.conflicts`) rather than importing those apps.
"""

import itertools
from dataclasses import dataclass
from functools import cache

import rules
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Q

from accounts.models import Membership, Role, User
from accounts.roles import (
    SCHOOL_LEADS,
    is_authority_admin,
    is_desk_checker,
    is_on_panel,
    is_panel_chair,
    leads_school,
    memberships,
    remember,
    school_ids,
    school_roles,
)
from schools.models import School

from .models import Assignment, Cycle

State = Cycle.State
Kind = Cycle.Kind
# An initial assessment or reassessment runs the self-review, portfolio and two-moderator visit;
# a Centre of Excellence or Flagship review runs the annual review instead.
ASSESSMENT_KINDS = frozenset({Kind.INITIAL, Kind.REASSESSMENT})
REVIEW_KINDS = frozenset({Kind.CENTRE_OF_EXCELLENCE, Kind.FLAGSHIP})


class TransitionError(Exception):
    """A step that the cycle's state does not allow; the message says why."""


def _once(cycle, name, compute):
    """A fact about the cycle, read once for this cycle object (it is re-read when the cycle is)."""
    if name not in cycle.__dict__:
        cycle.__dict__[name] = compute()
    return cycle.__dict__[name]


def moderator_ids(cycle) -> frozenset:
    def compute():
        visit = getattr(cycle, "visit", None)
        return frozenset(m.pk for m in visit.moderators.all()) if visit else frozenset()

    return _once(cycle, "_moderator_ids", compute)


def conflicts(cycle) -> dict:
    """Person id -> why they may neither moderate nor vote on this school."""

    def compute():
        reasons = {cycle.mentor_id: "the school's mentor"}
        for conflict in cycle.school.conflicts.all():
            reasons.setdefault(conflict.person_id, f"declared: {conflict.reason}")
        return reasons

    return _once(cycle, "_conflicts", compute)


def voter_ids(cycle) -> frozenset:
    def compute():
        vote = getattr(cycle, "panel_vote", None)
        return frozenset(b.member_id for b in vote.ballots.all()) if vote else frozenset()

    return _once(cycle, "_voter_ids", compute)


@cache
def _facts_sql(using: str) -> str:
    """The statement of `read_facts`, with "{cycles}" and "{schools}" for its placeholders: each
    fact read from its own table by the cycles' ids (the conflicts by their schools' ids), built
    from the models' own names. The ORM took several milliseconds to build and compile the same
    union on every call, where PostgreSQL takes one or two to answer it."""
    quote = connections[using].ops.quote_name
    visit = Cycle.visit.related.related_model
    vote = Cycle.panel_vote.related.related_model
    conflict = School.conflicts.field.model

    def name(model, field=None):
        return quote(model._meta.get_field(field).column if field else model._meta.db_table)

    moderators = visit.moderators.through
    ballot = vote.ballots.field.model
    return " UNION ALL ".join(
        [
            f"SELECT v.{name(visit, 'cycle')}, '_moderator_ids', m.{name(moderators, 'user')}, '' "
            f"FROM {name(moderators)} m JOIN {name(visit)} v "
            f"ON v.{name(visit, 'id')} = m.{name(moderators, 'visit')} "
            f"WHERE v.{name(visit, 'cycle')} IN ({{cycles}})",
            f"SELECT p.{name(vote, 'cycle')}, '_voter_ids', b.{name(ballot, 'member')}, '' "
            f"FROM {name(ballot)} b JOIN {name(vote)} p "
            f"ON p.{name(vote, 'id')} = b.{name(ballot, 'vote')} "
            f"WHERE p.{name(vote, 'cycle')} IN ({{cycles}})",
            f"SELECT {name(Assignment, 'cycle')}, '_given_to', {name(Assignment, 'person')}, '' "
            f"FROM {name(Assignment)} WHERE {name(Assignment, 'cycle')} IN ({{cycles}})",
            f"SELECT {name(conflict, 'school')}, '_conflicts', {name(conflict, 'person')}, "
            f"{name(conflict, 'reason')} FROM {name(conflict)} "
            f"WHERE {name(conflict, 'school')} IN ({{schools}})",
        ]
    )


# The people a cycle keeps as facts (`_once`), as `read_facts` reads them (and `_conflicts`).
PEOPLE_FACTS = ("_moderator_ids", "_voter_ids", "_given_to")


def read_facts(cycles) -> None:
    """The facts above for a whole list of cycles, in one query: a prefetch would read each kind
    of related row apart, and build a related queryset for every cycle.

    The statement is SQL, which django-scopes does not see: it reads only the rows of these cycles
    and of their schools, which were read in the scope, and row-level security holds it to the
    scope as it does every statement (authorities/rls.py)."""
    by_pk = {cycle.pk: cycle for cycle in cycles}
    if not by_pk:
        return
    Cycle.objects.all()  # outside a scope, django-scopes raises here, as on the ORM's queries
    of_school = {}
    for cycle in by_pk.values():
        of_school.setdefault(cycle.school_id, []).append(cycle.pk)
    facts = {pk: {fact: set() for fact in PEOPLE_FACTS} for pk in by_pk}
    reasons = {pk: {cycle.mentor_id: "the school's mentor"} for pk, cycle in by_pk.items()}
    using = Cycle.objects.db
    sql = _facts_sql(using).format(
        cycles=", ".join(["%s"] * len(by_pk)), schools=", ".join(["%s"] * len(of_school))
    )
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [*by_pk] * 3 + [*of_school])
        for key, fact, person, reason in cursor.fetchall():
            if fact == "_conflicts":
                for pk in of_school[key]:
                    reasons[pk].setdefault(person, f"declared: {reason}")
            else:
                facts[key][fact].add(person)
    for pk, cycle in by_pk.items():
        cycle.__dict__.update(
            {fact: frozenset(ids) for fact, ids in facts[pk].items()}, _conflicts=reasons[pk]
        )


# Who the person is to this cycle


def _at_school(user, cycle):
    return school_roles(user, cycle.school_id, cycle.authority_id)


@rules.predicate
def is_school_lead(user, cycle):
    """The school's head teacher or coordinator."""
    return bool(_at_school(user, cycle) & SCHOOL_LEADS)


@rules.predicate
def is_school_staff(user, cycle):
    """Anyone with a role at the cycle's school, contributors included."""
    return bool(_at_school(user, cycle))


# Who may be given elements of a self-review: the school's contributors.
GIVEN_ELEMENTS = Role.SCHOOL_CONTRIBUTOR


@rules.predicate
def is_given_elements(user, cycle):
    """A contributor at the school to whom the coordinator has given elements of this cycle."""
    return GIVEN_ELEMENTS in _at_school(user, cycle) and user.pk in _given_to(cycle)


def _given_to(cycle) -> frozenset:
    """(Read through `.all()`, so a prefetch of the cycles' `assignments` serves a whole list.)"""
    return _once(
        cycle, "_given_to", lambda: frozenset(a.person_id for a in cycle.assignments.all())
    )


@rules.predicate
def is_cycle_mentor(user, cycle):
    return cycle.mentor_id == user.pk


@rules.predicate
def is_assigned_moderator(user, cycle):
    """One of the two moderators of the cycle's visit."""
    return user.pk in moderator_ids(cycle)


@rules.predicate
def is_conflicted(user, cycle):
    """The school's mentor, or someone who declared a conflict with the school."""
    return user.pk in conflicts(cycle)


@rules.predicate
def has_voted(user, cycle):
    return user.pk in voter_ids(cycle)


@rules.predicate
def is_validated(user, cycle):
    return cycle.validated_at is not None


@rules.predicate
def report_is_final(user, cycle):
    report = getattr(cycle, "report", None)
    return bool(report and report.finalised_at)


@rules.predicate
def is_ratified(user, cycle):
    """A review's visit ratified: signed by every moderator of the visit."""
    ratification = getattr(cycle, "ratification", None)
    return bool(ratification and ratification.ratified_at)


# A panel member who visited the school may speak at the panel but does not vote on it.
may_vote_on = is_on_panel & ~is_conflicted & ~is_assigned_moderator & ~has_voted
is_acting_chair = is_panel_chair & ~is_conflicted
# The desk check and the visit's planning: the admin, or a chair with no conflict with the school.
may_desk_check = is_authority_admin | (is_desk_checker & ~is_conflicted)
# A moderator who declares a conflict after being assigned moderates no further.
is_acting_moderator = is_assigned_moderator & ~is_conflicted

# Who sees what (DOMAIN.md, "who sees what")

# The panel sees a case at the desk check and at the panel (a review's once ratified); the chair
# also while the visit is planned and made, as they plan it (a review's from its update).
PANEL_STATES = frozenset(
    {State.PORTFOLIO_SUBMITTED, State.REPORTED, State.RATIFIED, State.WITH_PANEL, State.DECIDED}
)
PLANNING_STATES = frozenset({State.READY_FOR_VISIT, State.UPDATE_SUBMITTED, State.VISIT_PLANNED})
AUTHORITY_STAGES = PANEL_STATES | PLANNING_STATES


@rules.predicate
def at_panel_stage(user, cycle):
    return cycle.state in PANEL_STATES


@rules.predicate
def at_planning_stage(user, cycle):
    return cycle.state in PLANNING_STATES


may_view_cycle = (
    is_authority_admin
    | is_school_staff
    | is_cycle_mentor
    | is_assigned_moderator
    | (is_on_panel & at_panel_stage & ~is_conflicted)
    | (is_panel_chair & at_planning_stage & ~is_conflicted)
)
# Drafts stay private until final: the mentor's ratings until validation, the report and the
# visit notes until both moderators have signed, a review's ratification until every moderator of
# its visit has.
may_see_mentor_review = is_cycle_mentor | is_authority_admin | (is_validated & may_view_cycle)
may_see_report = is_authority_admin | (report_is_final & may_view_cycle) | is_assigned_moderator
may_see_ratification = is_authority_admin | (is_ratified & may_view_cycle) | is_assigned_moderator
may_see_visit_notes = (
    is_assigned_moderator
    | is_authority_admin
    | ((report_is_final | is_ratified) & is_on_panel & ~is_conflicted)
)
may_see_panel = is_authority_admin | is_assigned_moderator | (is_on_panel & ~is_conflicted)


def has_part_in(user, authority) -> Q:
    """The cycles the person has a part in: their school's, those they mentor, those they visit."""
    return (
        Q(school__in=school_ids(user, authority.pk))
        | Q(mentor=user.pk)
        | Q(pk__in=Cycle.objects.filter(visit__moderators=user.pk).values("pk"))
    )


def cycles_with_part(user, authority):
    """The cycles the person has a part in, as a query: all of them cycles the person may see
    (`visible_cycles` is these and more), so they need no second test."""
    if not user.is_authenticated:
        return Cycle.objects.none()
    return Cycle.objects.filter(has_part_in(user, authority))


def visible_cycles(user, authority, *, states_without_part=None):
    """The cycles of the active authority that the person may see: `may_view_cycle` as a query.
    With `states_without_part`, of the cycles they have no part in only those in these states."""
    if not user.is_authenticated:
        return Cycle.objects.none()
    if is_authority_admin(user, authority):
        if states_without_part is None:
            return Cycle.objects.all()
        return Cycle.objects.filter(has_part_in(user, authority) | Q(state__in=states_without_part))
    seen = has_part_in(user, authority)
    if is_on_panel(user, authority):
        states = PANEL_STATES | (PLANNING_STATES if is_panel_chair(user, authority) else set())
        if states_without_part is not None:
            states &= states_without_part
        seen |= (
            Q(state__in=states)
            & ~Q(mentor=user.pk)
            & ~Q(
                school__in=Cycle.objects.filter(school__conflicts__person=user.pk).values("school")
            )
        )
    return Cycle.objects.filter(seen)


def of_visible_cycles(queryset, user, authority):
    """The rows of `queryset` (of a model with a `cycle`) whose cycle the person may see. The admin
    sees every cycle of the authority, so needs no filter (the queryset's scoped manager and
    row-level security keep it to the authority): a subquery of all of them, which the planner
    misjudges under row-level security, made the admin's list scan the authority's cycles once per
    row."""
    if is_authority_admin(user, authority):
        return queryset
    return queryset.filter(cycle__in=visible_cycles(user, authority))


def desk_checks(user, authority):
    """The portfolios the person may desk-check now: the `accept_for_visit` step as a query, for
    a queue to page through."""
    step = STEPS["accept_for_visit"]
    cycles = visible_cycles(user, authority).filter(state__in=step.sources, kind__in=step.kinds)
    if is_authority_admin(user, authority):
        return cycles
    if not is_desk_checker(user, authority):
        return cycles.none()
    # ~is_conflicted
    return cycles.exclude(mentor=user.pk).exclude(school__conflicts__person=user.pk)


def visible_schools(user, authority):
    """The schools of the active authority that the person may see: `may_view_school` as a query."""
    if is_authority_admin(user, authority):
        return School.objects.all()
    seen = visible_cycles(user, authority).values("school")
    return School.objects.filter(Q(pk__in=school_ids(user, authority.pk)) | Q(pk__in=seen))


@rules.predicate
def may_view_school(user, school):
    """The school's own staff, the authority admin, and whoever may see one of its cycles."""
    if is_authority_admin(user, school) or school.pk in school_ids(user, school.authority_id):
        return True
    return visible_cycles(user, school.authority).filter(school=school).exists()


# The steps


ALL_STATES = frozenset(State)
SCHOOL_EDITS = frozenset({State.REGISTERED, State.SELF_REVIEW})
UPDATE_EDITS = frozenset({State.REGISTERED, State.ANNUAL_UPDATE})
# The portfolio can change until it is submitted; from then on everyone sees what was submitted.
PORTFOLIO_OPEN = frozenset({State.REGISTERED, State.SELF_REVIEW, State.SUBMITTED, State.VALIDATED})


@dataclass(frozen=True)
class Step:
    name: str
    label: str  # what it does, e.g. "submit the self-review"
    sources: frozenset  # the states it may be taken from
    who: rules.Predicate
    refusal: str  # what someone else is told
    target: State | None = None  # the state it leads to; None: it leaves the state as it is
    tell: tuple = ()  # predicates naming who is told when it is taken
    event: str = ""  # the audit log's name for it, cycle.<event>; the step's name if empty
    task: str = ""  # what "my work" asks of the people who may take it
    page: str = ""  # the URL name (with the cycle's pk) where they take it
    kinds: frozenset = frozenset(Kind)  # the kinds of cycle it belongs to

    def applies(self, kind, state) -> bool:
        """Whether it is part of this kind of cycle and may be taken from this state."""
        return kind in self.kinds and state in self.sources

    def test(self, user, cycle) -> bool:
        return self.applies(cycle.kind, cycle.state) and self.who.test(user, cycle)


STEPS = {
    step.name: step
    for step in [
        Step(
            "register",
            "register the school",
            frozenset(),  # it makes the cycle: the view lets only authority admins register
            is_authority_admin,
            "Only an authority admin registers a school.",
            target=State.REGISTERED,
            tell=(is_school_lead, is_cycle_mentor),
            event="registered",
        ),
        Step(
            "edit_answers",
            "edit the self-review",
            SCHOOL_EDITS,
            is_school_lead | is_given_elements,
            "Only the school's staff can edit its self-review.",
            task="work on the self-review",
            page="assessments:cycle",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "start_self_review",
            "start the self-review",
            frozenset({State.REGISTERED}),
            is_school_lead | is_given_elements,
            "Only the school's staff can edit its self-review.",
            target=State.SELF_REVIEW,
            event="self_review_started",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "assign_elements",
            "give elements to colleagues",
            SCHOOL_EDITS,
            is_school_lead,
            "Only the head teacher or the coordinator can give elements to colleagues.",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "submit",
            "submit the self-review",
            frozenset({State.SELF_REVIEW}),
            is_school_lead,
            "Only the head teacher or the coordinator can submit the self-review.",
            target=State.SUBMITTED,
            tell=(is_cycle_mentor,),
            event="submitted",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "review",
            "review the self-review",
            frozenset({State.SUBMITTED}),
            is_cycle_mentor,
            "Only the school's mentor can do this.",
            task="validate the self-review",
            page="assessments:review",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "return",
            "return the self-review",
            frozenset({State.SUBMITTED}),
            is_cycle_mentor,
            "Only the school's mentor can do this.",
            target=State.SELF_REVIEW,
            tell=(is_school_lead,),
            event="returned",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "validate",
            "validate the self-review",
            frozenset({State.SUBMITTED}),
            is_cycle_mentor,
            "Only the school's mentor can do this.",
            target=State.VALIDATED,
            tell=(is_school_lead,),
            event="validated",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "plan_targets",
            "change the action plan",
            ALL_STATES,
            is_school_lead | is_cycle_mentor,
            "Only the school's head teacher, its coordinator and its mentor write the action plan.",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "add_evidence",
            "change the portfolio",
            PORTFOLIO_OPEN,
            is_school_staff,
            "Only the school's staff can add evidence.",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "comment_evidence",
            "comment on evidence",
            ALL_STATES,
            is_school_staff | is_cycle_mentor,
            "Only the school's staff and its mentor can comment on evidence.",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "submit_portfolio",
            "submit the portfolio",
            frozenset({State.VALIDATED}),
            is_school_lead,
            "Only the head teacher or the coordinator can submit the portfolio.",
            target=State.PORTFOLIO_SUBMITTED,
            tell=(is_cycle_mentor, may_desk_check),
            task="build and submit the portfolio of evidence",
            page="portfolios:portfolio",
            event="portfolio_submitted",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "accept_for_visit",
            "accept the portfolio for a visit",
            frozenset({State.PORTFOLIO_SUBMITTED}),
            may_desk_check,
            "Only the panel chair or an authority admin can do this.",
            target=State.READY_FOR_VISIT,
            task="desk-check the portfolio",
            page="moderation:queue",
            event="ready_for_visit",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "return_portfolio",
            "return the portfolio",
            frozenset({State.PORTFOLIO_SUBMITTED}),
            may_desk_check,
            "Only the panel chair or an authority admin can do this.",
            target=State.VALIDATED,
            tell=(is_school_lead, is_cycle_mentor),
            event="portfolio_returned",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "plan_visit",
            "plan the visit",
            frozenset({State.READY_FOR_VISIT}),
            may_desk_check,
            "Only the panel chair or an authority admin can do this.",
            target=State.VISIT_PLANNED,
            tell=(is_school_lead, is_assigned_moderator),
            task="assign two moderators and a date",
            page="moderation:visit",
            event="visit_planned",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "write_report",
            "write the visit's notes and report",
            frozenset({State.VISIT_PLANNED}),
            is_acting_moderator,
            "Only the two moderators of this visit, with no conflict with the school, can do this.",
            task="record the visit and write the report",
            page="moderation:report",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "sign_report",
            "sign the report",
            frozenset({State.VISIT_PLANNED}),
            is_acting_moderator,
            "Only the two moderators of this visit, with no conflict with the school, can do this.",
            target=State.REPORTED,
            tell=(may_desk_check,),
            event="reported",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "open_vote",
            "open the panel's vote",
            frozenset({State.REPORTED}),
            is_acting_chair,
            "Only the panel chair, with no conflict with the school, can open a vote.",
            target=State.WITH_PANEL,
            tell=(may_vote_on,),
            task="open the panel's vote",
            page="moderation:panel",
            event="with_panel",
            kinds=ASSESSMENT_KINDS,
        ),
        Step(
            "vote",
            "vote",
            frozenset({State.WITH_PANEL}),
            may_vote_on,
            "Only the authority's panel members vote, once each, and not on a school they have a "
            "conflict with or visited.",
            task="cast your vote",
            page="moderation:panel",
        ),
        Step(
            "decide",
            "record the panel's decision",
            frozenset({State.WITH_PANEL}),
            is_acting_chair,
            "Only the panel chair, with no conflict with the school, records the panel's decision.",
            target=State.DECIDED,
            tell=(is_school_lead, is_cycle_mentor, is_assigned_moderator),
            task="record the panel's decision",
            page="moderation:panel",
            event="decided",
        ),
        Step(
            "correct_decision",
            "correct the panel's decision",
            frozenset({State.DECIDED}),
            is_acting_chair,
            "Only the panel chair, with no conflict with the school, records a correction.",
            tell=(is_school_lead, is_cycle_mentor, is_assigned_moderator, is_authority_admin),
            event="decision_corrected",
        ),
        # The annual review of a Centre of Excellence or Flagship school.
        Step(
            "write_update",
            "write the annual update",
            UPDATE_EDITS,
            is_school_lead,
            "Only the head teacher or the coordinator writes the school's annual update.",
            task="write the annual update",
            page="reviews:update",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "start_update",
            "start the annual update",
            frozenset({State.REGISTERED}),
            is_school_lead,
            "Only the head teacher or the coordinator writes the school's annual update.",
            target=State.ANNUAL_UPDATE,
            event="annual_update_started",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "submit_update",
            "submit the annual update",
            frozenset({State.ANNUAL_UPDATE}),  # the first save has started it
            is_school_lead,
            "Only the head teacher or the coordinator can submit the annual update.",
            target=State.UPDATE_SUBMITTED,
            tell=(is_cycle_mentor, may_desk_check),
            event="update_submitted",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "plan_annual_visit",
            "plan the annual visit",
            frozenset({State.UPDATE_SUBMITTED}),
            may_desk_check,
            "Only the panel chair or an authority admin can do this.",
            target=State.VISIT_PLANNED,
            tell=(is_school_lead, is_assigned_moderator),
            task="assign a moderator and a date for the annual visit",
            page="moderation:visit",
            event="annual_visit_planned",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "write_ratification",
            "write the visit's ratification",
            frozenset({State.VISIT_PLANNED}),
            is_acting_moderator,
            "Only the moderators of this visit, with no conflict with the school, can do this.",
            task="ratify the year's progress and agree the development plan",
            page="reviews:ratification",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "ratify",
            "sign the ratification",
            frozenset({State.VISIT_PLANNED}),
            is_acting_moderator,
            "Only the moderators of this visit, with no conflict with the school, can do this.",
            target=State.RATIFIED,
            tell=(may_desk_check,),
            event="ratified",
            kinds=REVIEW_KINDS,
        ),
        Step(
            "open_review_vote",
            "open the panel's vote",
            frozenset({State.RATIFIED}),
            is_acting_chair,
            "Only the panel chair, with no conflict with the school, can open a vote.",
            target=State.WITH_PANEL,
            tell=(may_vote_on,),
            task="open the panel's vote on the renewal",
            page="moderation:panel",
            event="with_panel",
            kinds=REVIEW_KINDS,
        ),
        # The Flagship review's checklist of the nine criteria (flagship app): the school writes
        # its evidence during the annual update; the visiting moderator confirms each criterion.
        # "My work" asks for the update and the ratification, whose pages link to the criteria.
        Step(
            "write_flagship_evidence",
            "write the evidence for the Flagship criteria",
            frozenset({State.REGISTERED, State.ANNUAL_UPDATE}),
            is_school_lead,
            "Only the head teacher or the coordinator writes the school's evidence for the "
            "Flagship criteria.",
            kinds=frozenset({Kind.FLAGSHIP}),
        ),
        Step(
            "confirm_criteria",
            "confirm the Flagship criteria",
            frozenset({State.VISIT_PLANNED}),
            is_acting_moderator,
            "Only the visiting moderators, with no conflict with the school, confirm the Flagship "
            "criteria.",
            kinds=frozenset({Kind.FLAGSHIP}),
        ),
    ]
}

# The state machine, as pretalx keeps it: for each kind of cycle, each state's valid next states,
# read from the steps.
NEXT_STATES = {
    kind: {
        state: frozenset(s.target for s in STEPS.values() if s.applies(kind, state) and s.target)
        for state in State
    }
    for kind in Kind
}

# The states a return leaves a cycle in, with its reasons in `return_comment` until submitted again.
RETURN_STATES = frozenset(STEPS[name].target for name in ("return", "return_portfolio"))

for _step in STEPS.values():
    rules.add_perm(f"assessments.{_step.name}", rules.Predicate(_step.test, name=_step.name))
rules.add_perm("assessments.view_cycle", may_view_cycle)
rules.add_perm("schools.view_school", may_view_school)


# The steps each kind of cycle may take from each state, in STEPS's order: `allowed` asks only
# their predicates (a list of 50 cycles asked 30 steps each).
STEPS_FROM = {
    (kind, state): tuple(step for step in STEPS.values() if step.applies(kind, state))
    for kind in Kind
    for state in State
}


def allowed(user, cycle) -> frozenset:
    """The names of the steps the person may take on the cycle now.

    Each step's predicate is called as a function, so it takes (person, cycle) as they are: a list
    asks this of every row, and rules' `test` pushes a context for predicates that read one, which
    none of the workflow's do. tests/test_workflow.py holds it to each step's `test`."""
    return frozenset(
        step.name for step in STEPS_FROM[cycle.kind, cycle.state] if step.who(user, cycle)
    )


def pages(user, cycle, actions) -> dict:
    """Which of the cycle's moderation pages the person may open now, for the cycle's links."""
    return {
        "visit": bool({"plan_visit", "plan_annual_visit"} & actions) or hasattr(cycle, "visit"),
        "report": hasattr(cycle, "report") and may_see_report.test(user, cycle),
        "ratification": "write_ratification" in actions
        or (hasattr(cycle, "ratification") and may_see_ratification.test(user, cycle)),
        "panel": (bool({"open_vote", "open_review_vote"} & actions) or hasattr(cycle, "panel_vote"))
        and may_see_panel.test(user, cycle),
    }


def step_of(cycle, *names) -> str:
    """Of steps that do the same in different kinds of cycle, the one of this cycle's kind."""
    return next(name for name in names if cycle.kind in STEPS[name].kinds)


def check_kind(name, cycle) -> None:
    """Refuse a step that is not part of this kind of cycle."""
    step = STEPS[name]
    if cycle.kind not in step.kinds:
        kind = cycle.get_kind_display().lower()
        raise TransitionError(
            f"You cannot {step.label} in {'an' if kind[0] in 'aeiou' else 'a'} {kind}."
        )


def check(user, name, cycle) -> None:
    """Refuse, changing nothing, a step the cycle's kind, its state or the person's part does not
    allow."""
    check_kind(name, cycle)
    step = STEPS[name]
    if cycle.state not in step.sources:
        raise TransitionError(
            f"You cannot {step.label} while the case is “{cycle.get_state_display().lower()}”."
        )
    if not step.who.test(user, cycle):
        raise PermissionDenied(step.refusal)


# Who is told of an award, beside the decision's own people.
AWARD_TOLD = (is_school_lead, is_authority_admin)


def people_told(cycle, tell) -> list[User]:
    """The members of the authority (this school's people and the authority's staff) for whom
    one of the `tell` predicates holds: who is told of a step on the cycle."""
    candidates = Membership.objects.filter(
        Q(school=cycle.school_id) | Q(school__isnull=True), authority=cycle.authority_id
    ).values("user")
    people = list(User.objects.filter(pk__in=candidates, is_active=True).order_by("email"))
    found = {}
    for membership in Membership.objects.filter(user__in=people, authority=cycle.authority_id):
        found.setdefault(membership.user_id, []).append(membership)
    told = []
    for person in people:
        remember(person, cycle.authority_id, found.get(person.pk, []))
        if any(predicate.test(person, cycle) for predicate in tell):
            told.append(person)
    return told


def told_of(cycle, name, *also) -> list[User]:
    """Who will be told if the step `name` is taken on the cycle now (with `also`, more
    predicates, such as AWARD_TOLD for a decision that awards): what a check page lists."""
    return people_told(cycle, STEPS[name].tell + also)


# The steps that ask someone to act ("my work"), and the states they ask in.
ASKING = tuple(step for step in STEPS.values() if step.task)
ASKING_STATES = frozenset().union(*(step.sources for step in ASKING))


def asked_without_part(user, authority) -> frozenset:
    """The states in which a step may ask the person about a cycle they have no part in (not its
    school's staff, mentor or moderator): each asking step tried on a stand-in cycle of the
    authority in each of its kinds and states, with none of those parts and no conflict or vote.
    That holds while the asking steps' predicates read only the person's roles, their part in the
    cycle and facts that a conflict or a vote can only make false (tests/test_moderation.py holds
    the steps to these predicates, and "my work" to every step's test on real cycles)."""
    stand_in = Cycle(authority_id=authority.pk, school_id=0)  # 0: no school's id
    stand_in.__dict__.update({fact: frozenset() for fact in PEOPLE_FACTS}, _conflicts={})
    found = set()
    for step in ASKING:
        for kind, state in itertools.product(step.kinds, step.sources - found):
            stand_in.kind, stand_in.state = kind, state
            if step.who(user, stand_in):
                found.add(state)
    return frozenset(found)


def tasks(user, authority) -> list[tuple[Cycle, Step]]:
    """ "My work": each cycle the person may see with the first step that asks for them."""
    if not memberships(user, authority.pk):
        return []
    # The admin and the panel may see cycles they have no part in, most of which wait for someone
    # else: of those, only the ones in a state where a step may ask them are read.
    asked = visible_cycles(user, authority, states_without_part=asked_without_part(user, authority))
    cycles = list(
        asked.filter(state__in=ASKING_STATES)
        .select_related("school")
        .order_by("school__name", "pk")
    )
    read_facts(cycles)
    found = []
    for cycle in cycles:
        step = next((s for s in ASKING if s.test(user, cycle)), None)
        if step:
            found.append((cycle, step))
    return found


# Who the daily reminders tell (notifications/reminders.py): of an award expiring, its annual
# review due or its lapse, AWARD_TOLD (the predicates ask only the award's school and authority);
# of action-plan targets overdue, these.
TARGETS_OVERDUE_TOLD = (is_school_lead, is_cycle_mentor)
# The Flagship criteria and research project (flagship app)

# The moderator's verdicts on the criteria are a draft of the visit until it is ratified.
may_see_verdicts = is_assigned_moderator | is_authority_admin | (is_ratified & may_view_cycle)


def flagship_review_under_way(school) -> Cycle | None:
    """The school's Flagship review not yet decided, from its cycles (newest first; prefetched
    with the school on its page, else read in one query)."""
    under_way = (c for c in school.cycles.all() if c.kind == Kind.FLAGSHIP)
    return next((c for c in under_way if c.state != State.DECIDED), None)


@rules.predicate
def research_is_open(user, school):
    """Research goes on all year, so the school keeps its project up to date whenever no Flagship
    review is past its annual update; from the update's submission until the panel decides, the
    moderator and the panel read the project as it was submitted."""
    review = flagship_review_under_way(school)
    return review is None or review.state in STEPS["write_flagship_evidence"].sources


@rules.predicate
def may_view_research(user, school):
    """The school's staff, the authority admin, and whoever may see one of the school's Flagship
    reviews: its mentor, the visiting moderators, the panel deciding the renewal."""
    if is_authority_admin(user, school) or school.pk in school_ids(user, school.authority_id):
        return True
    reviews = visible_cycles(user, school.authority).filter(school=school, kind=Kind.FLAGSHIP)
    return reviews.exists()


may_edit_research = leads_school & research_is_open
rules.add_perm("flagship.view_research", may_view_research)
rules.add_perm("flagship.edit_research", may_edit_research)

"""Moderation and the panel's vote (DOMAIN.md, steps 6 to 9). One function per step: rule,
save, audit log and notification, in one transaction; who may take each step, in which state,
and who is told is the workflow's (assessments/workflow.py)."""

from collections import Counter
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, FilteredRelation, Q, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from accounts.models import Membership, Role
from assessments.domain import TIER_OF_KIND, Stale, lock_cycle, take
from assessments.models import Cycle, Element
from assessments.workflow import (
    REVIEW_KINDS,
    STEPS,
    TransitionError,
    check,
    conflicts,
    moderator_ids,
    step_of,
)
from audit.domain import record, snapshot
from awards.domain import make_award, require_eligible, withdraw_awards
from awards.models import Tier

from .models import (
    Ballot,
    Conflict,
    Decision,
    Finding,
    Outcome,
    PanelVote,
    Report,
    Visit,
    VisitNote,
)

State = Cycle.State


# Desk check


@transaction.atomic
def accept_for_visit(*, cycle, by) -> Cycle:
    cycle = lock_cycle(cycle)
    check(by, "accept_for_visit", cycle)
    return take("accept_for_visit", cycle, by)


@transaction.atomic
def return_portfolio(*, cycle, by, reasons) -> Cycle:
    """Back to the school with reasons, shown on its pages until it submits again; the portfolio
    unlocks and its submission history stays."""
    cycle = lock_cycle(cycle)
    check(by, "return_portfolio", cycle)
    if not reasons.strip():
        raise ValidationError(
            {"reasons": "Tell the school why the portfolio is not ready for a visit."}
        )
    return take("return_portfolio", cycle, by, return_comment=reasons.strip())


# Conflicts and the visit


@transaction.atomic
def declare_conflict(*, authority, person, school, reason) -> Conflict:
    """From now on the person neither moderates nor votes on the school: a ballot they cast on
    a vote still open is withdrawn, so it is not counted."""
    if not reason.strip():
        raise ValidationError({"reason": "Say briefly what the conflict is."})
    try:
        with transaction.atomic():
            conflict = Conflict.objects.create(
                authority=authority, person=person, school=school, reason=reason.strip()
            )
    except IntegrityError:
        raise ValidationError(
            {"school": "You have already declared a conflict with this school."}
        ) from None
    record(
        authority=authority,
        actor=person,
        action="conflict.declared",
        obj=conflict,
        school=school,
        person=person,
        after={"reason": conflict.reason},
    )
    # The school's cases at the panel are locked first, so no decision counts the ballot meanwhile.
    list(Cycle.objects.select_for_update().filter(school=school, state=State.WITH_PANEL))
    open_ballots = Ballot.objects.filter(
        member=person, vote__cycle__school=school, vote__closed_at=None
    ).select_related("vote__cycle")
    for ballot in open_ballots:
        record(
            authority=authority,
            actor=person,
            action="ballot.withdrawn",
            obj=ballot.vote.cycle,
            school=school,
            person=person,
            before={"outcome": ballot.outcome, "tier": ballot.tier},
        )
        ballot.delete()
    return conflict


def renewal_tier(cycle) -> Tier | None:
    """The tier a review renews; None for an assessment."""
    return TIER_OF_KIND[cycle.kind] if cycle.kind in REVIEW_KINDS else None


@transaction.atomic
def plan_visit(*, cycle, by, moderators, visit_date) -> Visit:
    """An assessment's visit has exactly two moderators, a review's annual visit one (or two);
    none of them the school's mentor nor anyone with a declared conflict."""
    cycle = lock_cycle(cycle)
    step = step_of(cycle, "plan_visit", "plan_annual_visit")
    check(by, step, cycle)
    moderators = list(dict.fromkeys(moderators))
    review = renewal_tier(cycle) is not None
    if review and len(moderators) not in (1, 2):
        raise ValidationError({"moderators": "Choose one moderator (or two) for the annual visit."})
    if not review and len(moderators) != 2:
        raise ValidationError({"moderators": "Choose exactly two moderators: every visit has two."})
    allowed = set(Membership.objects.filter(role=Role.MODERATOR).values_list("user", flat=True))
    conflicted = conflicts(cycle)
    for person in moderators:
        if person.pk not in allowed:
            raise ValidationError({"moderators": f"{person} is not a moderator of this authority."})
        if person.pk in conflicted:
            raise ValidationError(
                {
                    "moderators": f"{person} cannot moderate {cycle.school} "
                    f"(conflict of interest: {conflicted[person.pk]})."
                }
            )
    if visit_date < timezone.localdate():
        raise ValidationError({"visit_date": "The visit date cannot be in the past."})
    visit = Visit.objects.create(cycle=cycle, date=visit_date, planned_by=by)
    visit.moderators.set(moderators)
    if not review:  # a review's visit is written up as its ratification (reviews)
        Report.objects.create(cycle=cycle)
    record(
        authority=cycle.authority,
        actor=by,
        action="visit.planned",
        obj=visit,
        school=cycle.school,
        after={"date": visit_date.isoformat(), "moderators": sorted(m.pk for m in moderators)},
    )
    return take(step, cycle, by)


@transaction.atomic
def add_note(
    *, cycle, by, kind, who, notes, subject="", focus="", elements=(), client_id=None
) -> VisitNote:
    """Add a visit note. A note sent again with the `client_id` it was first sent with (by a phone
    that lost its signal before the answer came) is not added twice: the first one is returned."""
    cycle = lock_cycle(cycle)  # one note at a time per cycle, so a retry finds the first
    if client_id is not None:
        sent = VisitNote.objects.filter(visit__cycle=cycle, client_id=client_id).first()
        if sent is not None:
            if sent.author_id != by.pk:
                raise ValidationError("This note was sent by someone else.")
            sent.signatures_taken_back = False
            return sent
    check(by, step_of(cycle, "write_report", "write_ratification"), cycle)
    note = VisitNote.objects.create(
        visit=cycle.visit,
        kind=kind,
        who=who,
        notes=notes,
        subject=subject,
        focus=focus,
        author=by,
        client_id=client_id,
    )
    note.elements.set(elements)
    note.signatures_taken_back = take_back_signatures(cycle)
    return note


def take_back_signatures(cycle) -> bool:
    """A change to the draft report, or to the visit notes it rests on, takes back any signature:
    the report is signed as it stands. Says whether there was one to take back."""
    signatures = Report.signed_by.through.objects.filter(
        report__cycle=cycle, report__finalised_at__isnull=True
    )
    return signatures.delete()[0] > 0


NOTE_FIELDS = ("kind", "who", "subject", "focus", "notes")


def check_notes_open(cycle, by) -> None:
    """Notes are changed by the moderators who may write them, until the visit's report (or a
    review's ratification) is signed."""
    step = step_of(cycle, "write_report", "write_ratification")
    if cycle.state not in STEPS[step].sources:
        raise TransitionError(
            "The report is signed: its visit notes are part of the record and cannot be changed."
        )
    check(by, step, cycle)


def _note_snapshot(note):
    return {
        **snapshot(note, NOTE_FIELDS),
        "elements": sorted(e.pk for e in note.elements.all()),
    }


@transaction.atomic
def edit_note(*, note, by, kind, who, notes, subject="", focus="", elements=()) -> VisitNote:
    cycle = lock_cycle(note.visit.cycle)
    check_notes_open(cycle, by)
    before = _note_snapshot(note)
    note.kind, note.who, note.notes, note.subject, note.focus = kind, who, notes, subject, focus
    note.save()
    note.elements.set(elements)
    record(
        authority=cycle.authority,
        actor=by,
        action="visit_note.edited",
        obj=note,
        school=cycle.school,
        before=before,
        after=_note_snapshot(note),
    )
    note.signatures_taken_back = take_back_signatures(cycle)
    return note


@transaction.atomic
def delete_note(*, note, by) -> bool:
    """Delete a note; says whether a signature on the report was taken back."""
    cycle = lock_cycle(note.visit.cycle)
    check_notes_open(cycle, by)
    record(
        authority=cycle.authority,
        actor=by,
        action="visit_note.deleted",
        obj=note,
        school=cycle.school,
        before=_note_snapshot(note),
    )
    note.delete()
    return take_back_signatures(cycle)


# The report


BESIDE_EVIDENCE = 10  # items of evidence listed beside an element; the portfolio lists them all
BESIDE_NOTES = 10  # visit notes listed beside an element, the first written; the visit lists all


@dataclass(frozen=True)
class Evidence:
    """An item of evidence as the report lists it beside an element."""

    pk: int
    title: str
    url: str


def report_elements(cycle, report) -> list:
    """The cycle's elements, each with its finding in the report, the school's answer and the
    mentor's review (`finding`, `answer` and `review`; None where there is none yet), in one
    query."""
    elements = list(
        Element.objects.filter(framework=cycle.framework_id)
        .annotate(
            finding=FilteredRelation("findings", condition=Q(findings__report=report)),
            answer=FilteredRelation("answers", condition=Q(answers__cycle=cycle)),
            review=FilteredRelation("reviews", condition=Q(reviews__cycle=cycle)),
        )
        .select_related("finding", "answer", "review")
    )
    for element in elements:  # select_related sets each only where there is one
        for name in ("finding", "answer", "review"):
            setattr(element, name, getattr(element, name, None))
    return elements


def beside_elements(cycle, elements) -> dict:
    """Element id to what the moderators write its finding beside: the school's rating (its
    answer), the mentor's validated rating (its review), the visit notes tied to it (the first
    BESIDE_NOTES written, and how many there are) and its evidence (the first BESIDE_EVIDENCE
    items by title, and how many there are). The elements are `report_elements`', read with
    their answers and reviews; the same few queries whatever the number of notes and items; the
    evidence's links are read as ids, not prefetched."""
    beside = {
        e.pk: {
            "answer": e.answer,
            "review": e.review,
            "notes": [],
            "notes_count": 0,
            "evidence": [],
            "evidence_count": 0,
        }
        for e in elements
    }
    # Each tie of a note to an element, with its note: the first few of each element's, counted.
    each_element = {"partition_by": F("element_id")}
    ties = (
        VisitNote.elements.through.objects.filter(visitnote__visit__cycle=cycle)
        .select_related("visitnote__author")
        .annotate(
            place=Window(
                RowNumber(),
                order_by=[F("visitnote__created_at"), F("visitnote_id")],
                **each_element,
            ),
            of=Window(Count("pk"), **each_element),
        )
        .filter(place__lte=BESIDE_NOTES)
        .order_by("element_id", "place")
    )
    for tie in ties:
        row = beside[tie.element_id]
        row["notes"].append(tie.visitnote)
        row["notes_count"] = tie.of
    # (The portfolio is a sibling app's: read through the cycle's relation.)
    linked = (
        Cycle.objects.filter(pk=cycle.pk, evidence__elements__isnull=False)
        .order_by("evidence__title", "evidence__pk")
        .values_list("evidence__elements", "evidence__pk", "evidence__title", "evidence__url")
    )
    for element_pk, *item in linked:
        row = beside[element_pk]
        row["evidence_count"] += 1
        if len(row["evidence"]) < BESIDE_EVIDENCE:
            row["evidence"].append(Evidence(*item))
    return beside


REPORT_SECTIONS = {  # section: (its version field, its fields)
    "context": ("context_version", ("context",)),
    "overall": ("version", ("strengths", "next_steps", "recommendation", "tier", "revisit_by")),
}
FINDING_FIELDS = ("strengths", "development", "judgement")


def save_section(*, cycle, by, section, version, data) -> Report | Finding:
    """Autosave of one section of the draft report: its "context", its "overall" judgement and
    recommendation, or an element's finding (`section` is then the Element). Refused, changing
    nothing, once the report is final, or when `version` is not the section's saved one (Stale,
    with what was saved): the two moderators write at once and neither overwrites the other
    unseen. A change takes back any signature: the report is signed as it stands."""
    with transaction.atomic():
        cycle = lock_cycle(cycle)
        check(by, "write_report", cycle)
        report = Report.objects.select_for_update().get(cycle=cycle)
        if report.finalised_at:
            raise TransitionError(
                "The report is signed by both moderators: it is final and cannot be changed."
            )
        if section in REPORT_SECTIONS:
            row, (version_field, fields) = report, REPORT_SECTIONS[section]
        elif getattr(section, "framework_id", None) == cycle.framework_id:
            row, _ = Finding.objects.select_for_update().get_or_create(
                report=report, element=section
            )
            version_field, fields = "version", FINDING_FIELDS
        else:
            raise ValidationError("This is not a section of the report.")
        if getattr(row, version_field) != version:
            raise Stale(row)
        if all(getattr(row, field) == data[field] for field in fields):
            return row  # nothing changed (a field left, say): the signatures stand
        if section == "overall":
            _check_recommendation(cycle, data["recommendation"], data["tier"])
        for field in fields:
            setattr(row, field, data[field])
        setattr(row, version_field, version + 1)
        row.save()
        take_back_signatures(cycle)
    return row


@transaction.atomic
def save_report(
    *,
    cycle,
    by,
    version,
    context,
    strengths,
    next_steps,
    recommendation,
    tier,
    revisit_by,
    findings,
) -> Report:
    """The whole draft at once, for the demo and tests: each section through save_section, the
    overall one at `version`, the context and the findings (element id to strengths, development
    and judgement) at their saved versions."""
    report = Report.objects.get(cycle=cycle)
    save_section(
        cycle=cycle,
        by=by,
        section="context",
        version=report.context_version,
        data={"context": context},
    )
    overall = {"strengths": strengths, "next_steps": next_steps, "recommendation": recommendation}
    save_section(
        cycle=cycle,
        by=by,
        section="overall",
        version=version,
        data={**overall, "tier": tier, "revisit_by": revisit_by},
    )
    saved = {f.element_id: f.version for f in report.findings.all()}
    for element in cycle.framework.elements.filter(pk__in=findings):
        save_section(
            cycle=cycle,
            by=by,
            section=element,
            version=saved.get(element.pk, 0),
            data=dict(zip(FINDING_FIELDS, findings[element.pk], strict=True)),
        )
    report.refresh_from_db()
    return report


def _check_recommendation(cycle, recommendation, tier):
    """A draft may name no tier yet (signing needs one); a tier named is one the school may be
    awarded, and only with an award."""
    if tier and recommendation != Outcome.AWARD:
        raise ValidationError(
            {"tier": "Only an award has a tier: choose “–”, or recommend an award."}
        )
    if tier:
        require_eligible(cycle.school, tier)


def sign_errors(cycle, report) -> dict:
    """What is still to write before the report can be signed: field name to message, for each
    field the form labels "required to sign"."""
    errors = {}
    if not report.context.strip():
        errors["context"] = "Write the school's context."
    judged = set(report.findings.exclude(judgement="").values_list("element", flat=True))
    for element in cycle.framework.elements.all():
        if element.pk not in judged:
            errors[f"element-{element.pk}-judgement"] = (
                f"Give element {element.number}, {element.title}, a judgement."
            )
    if not report.recommendation:
        errors["recommendation"] = "Make a recommendation: award, defer or not award."
    elif report.recommendation == Outcome.AWARD and not report.tier:
        errors["tier"] = "Choose the tier the moderators recommend."
    elif report.recommendation == Outcome.DEFER and report.revisit_by is None:
        errors["revisit_by"] = "A deferral needs the date of the revisit."
    return errors


@transaction.atomic
def sign_report(*, cycle, by) -> Report:
    """A moderator signs; when both have, the report is final and the case goes to the panel.
    Refused with every field still to write (ValidationError, by field) until it is complete."""
    cycle = lock_cycle(cycle)
    check(by, "sign_report", cycle)
    report = Report.objects.select_for_update().get(cycle=cycle)
    if errors := sign_errors(cycle, report):
        raise ValidationError(errors)
    report.signed_by.add(by)
    record(
        authority=cycle.authority, actor=by, action="report.signed", obj=report, school=cycle.school
    )
    if report.signed_by.count() == 2:
        report.finalised_at = timezone.now()
        report.save(update_fields=["finalised_at"])
        take("sign_report", cycle, by)
    return report


# The panel


def why_not_voting(user, cycle) -> str | None:
    """Why a panel member may not vote on this case (the workflow's `may_vote_on`), in words."""
    if reason := conflicts(cycle).get(user.pk):
        return reason
    if user.pk in moderator_ids(cycle):
        return "a visiting moderator, who may speak but not vote"
    return None


@transaction.atomic
def open_vote(*, cycle, by) -> PanelVote:
    cycle = lock_cycle(cycle)
    step = step_of(cycle, "open_vote", "open_review_vote")
    check(by, step, cycle)
    vote = PanelVote.objects.create(cycle=cycle, opened_by=by)
    take(step, cycle, by)
    return vote


@transaction.atomic
def cast_ballot(*, cycle, by, outcome, tier="", comment="") -> Ballot:
    cycle = lock_cycle(cycle)
    if cycle.state == State.WITH_PANEL and (reason := why_not_voting(by, cycle)):
        raise PermissionDenied(
            f"You cannot vote on {cycle.school} (conflict of interest: {reason})."
        )
    if cycle.state == State.WITH_PANEL and by.pk in cycle.panel_vote.ballots.values_list(
        "member", flat=True
    ):
        raise ValidationError("You have already voted on this case.")
    check(by, "vote", cycle)
    _check_review_option(cycle, outcome, tier)
    if outcome == Outcome.AWARD and not tier:
        raise ValidationError({"tier": "Choose the tier you vote to award."})
    if outcome == Outcome.AWARD:
        require_eligible(cycle.school, tier)
    try:
        with transaction.atomic():
            ballot = Ballot.objects.create(
                vote=cycle.panel_vote,
                member=by,
                outcome=outcome,
                tier=tier if outcome == Outcome.AWARD else "",
                comment=comment,
            )
    except IntegrityError:
        raise ValidationError("You have already voted on this case.") from None
    record(
        authority=cycle.authority, actor=by, action="ballot.cast", obj=cycle, school=cycle.school
    )
    return ballot


def _check_review_option(cycle, outcome, tier):
    """A review renews its own tier (an award of it) or lets it lapse (not award)."""
    renewing = renewal_tier(cycle)
    if renewing is None:
        return
    if outcome == Outcome.DEFER:
        raise ValidationError("A review is renewed or lapses: choose one of those.")
    if outcome == Outcome.AWARD and tier != renewing:
        raise ValidationError({"tier": f"This review can renew only the {renewing.label}."})


def tally(cycle) -> Counter:
    return Counter(ballot.option for ballot in cycle.panel_vote.ballots.all())


def option_label(option, review=False):
    outcome, tier = option
    if review:
        return "renew" if outcome == Outcome.AWARD else "lapse"
    return (
        f"award: {Tier(tier).label}" if outcome == Outcome.AWARD else Outcome(outcome).label.lower()
    )


@dataclass(frozen=True)
class VoteResult:
    ranked: list  # (option, votes), most votes first
    top: list  # the options with the most votes: one, or those tied
    short_of_quorum: str  # why the panel cannot decide yet; empty once it can


def vote_result(cycle) -> VoteResult:
    """Where the vote stands: what a decision recorded now would be (the chair's check page reads
    it; record_decision acts on it)."""
    ranked = tally(cycle).most_common()
    cast, quorum = sum(n for _, n in ranked), cycle.authority.panel_quorum
    return VoteResult(
        ranked=ranked,
        top=[option for option, count in ranked if count == ranked[0][1]],
        short_of_quorum=""
        if cast >= quorum
        else f"The panel needs {quorum} votes to decide; {cast} have been cast.",
    )


@transaction.atomic
def record_decision(*, cycle, by, rationale, casting=None) -> Decision:
    """The chair closes the vote and records the decision: it needs the quorum and a simple
    majority; on a tie the chair's casting vote, one of the tied options, decides."""
    cycle = lock_cycle(cycle)
    check(by, "decide", cycle)
    if not rationale.strip():
        raise ValidationError({"rationale": "Record the panel's reasons with its decision."})
    review = renewal_tier(cycle) is not None
    result = vote_result(cycle)
    if result.short_of_quorum:
        raise TransitionError(result.short_of_quorum)
    if len(result.top) == 1:
        option = result.top[0]
    elif casting in result.top:
        option = casting
    else:
        raise TransitionError(
            "The vote is tied between "
            + " and ".join(option_label(o, review) for o in result.top)
            + ": as chair, give the casting vote."
        )
    ranked = result.ranked
    outcome, tier = option
    decision = Decision.objects.create(
        cycle=cycle,
        outcome=outcome,
        tier=tier,
        rationale=rationale.strip(),
        votes={option_label(o, review): n for o, n in ranked},
        recorded_by=by,
    )
    PanelVote.objects.filter(pk=cycle.panel_vote.pk).update(closed_at=timezone.now())
    record(
        authority=cycle.authority,
        actor=by,
        action="decision.recorded",
        obj=decision,
        school=cycle.school,
        after={"outcome": outcome, "tier": tier, "votes": decision.votes},
    )
    if outcome == Outcome.AWARD:
        make_award(school=cycle.school, tier=tier, decision=decision, by=by)
    take("decide", cycle, by)
    return decision


@transaction.atomic
def correct_decision(*, decision, by, outcome, tier, rationale, reason) -> Decision:
    """A recorded decision stays as it was; the correction is a new decision linked to it."""
    cycle = lock_cycle(decision.cycle)
    check(by, "correct_decision", cycle)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the decision is being corrected."})
    if Decision.objects.filter(corrects=decision).exists():
        raise TransitionError("This decision has already been corrected: correct the newest one.")
    if outcome == Outcome.AWARD and not tier:
        raise ValidationError({"tier": "Choose the tier the corrected decision awards."})
    _check_review_option(cycle, outcome, tier)
    correction = Decision.objects.create(
        cycle=cycle,
        outcome=outcome,
        tier=tier if outcome == Outcome.AWARD else "",
        rationale=rationale,
        votes=decision.votes,
        recorded_by=by,
        corrects=decision,
        correction_reason=reason.strip(),
    )
    withdraw_awards(decision)
    if outcome == Outcome.AWARD:
        make_award(school=cycle.school, tier=correction.tier, decision=correction, by=by)
    record(
        authority=cycle.authority,
        actor=by,
        action="decision.corrected",
        obj=correction,
        school=cycle.school,
        before={"decision": decision.pk, "outcome": decision.outcome, "tier": decision.tier},
        after={
            "outcome": correction.outcome,
            "tier": correction.tier,
            "reason": correction.correction_reason,
        },
    )
    take("correct_decision", cycle, by)
    return correction

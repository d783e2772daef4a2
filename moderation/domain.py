"""Moderation, the panel's vote and the award (DOMAIN.md, steps 6 to 10). One function per state
change: rule, save, audit log and notification, in one transaction."""

from collections import Counter
from datetime import date

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from assessments.domain import TransitionError, lock_cycle, move_cycle
from assessments.models import Cycle
from assessments.notify import recipients
from audit.domain import record
from notifications.domain import notify

from .models import (
    Award,
    Ballot,
    Conflict,
    Decision,
    Finding,
    Outcome,
    PanelVote,
    Report,
    Tier,
    Visit,
    VisitNote,
)

State = Cycle.State
CHAIRS = {Role.PANEL_CHAIR, Role.AUTHORITY_ADMIN}


def _roles(user, authority):
    return set(
        Membership.objects.filter(user=user, authority=authority).values_list("role", flat=True)
    )


def _require_chair_or_admin(user, authority):
    if not _roles(user, authority) & CHAIRS:
        raise PermissionDenied("Only the panel chair or an authority admin can do this.")


def _require_state(cycle, state, doing):
    if cycle.state != state:
        raise TransitionError(
            f"This case cannot be {doing} while it is “{cycle.get_state_display().lower()}”."
        )


# Desk check


@transaction.atomic
def accept_for_visit(*, cycle, by) -> Cycle:
    cycle = lock_cycle(cycle)
    _require_chair_or_admin(by, cycle.authority)
    _require_state(cycle, State.PORTFOLIO_SUBMITTED, "accepted for a visit")
    return move_cycle(cycle, by, State.READY_FOR_VISIT, "ready_for_visit")


@transaction.atomic
def return_portfolio(*, cycle, by, reasons) -> Cycle:
    """Back to the school with reasons; the portfolio unlocks and its submission history stays."""
    cycle = lock_cycle(cycle)
    _require_chair_or_admin(by, cycle.authority)
    _require_state(cycle, State.PORTFOLIO_SUBMITTED, "returned")
    if not reasons.strip():
        raise ValidationError(
            {"reasons": "Tell the school why the portfolio is not ready for a visit."}
        )
    return move_cycle(
        cycle, by, State.VALIDATED, "portfolio_returned", return_comment=reasons.strip()
    )


# Conflicts and the visit


def conflicted_people(cycle) -> dict:
    """Person id -> why they may neither moderate nor vote on this school."""
    reasons = {cycle.mentor_id: "the school's mentor"}
    for conflict in Conflict.objects.filter(school=cycle.school_id):
        reasons.setdefault(conflict.person_id, f"declared: {conflict.reason}")
    return reasons


@transaction.atomic
def declare_conflict(*, authority, person, school, reason) -> Conflict:
    if not reason.strip():
        raise ValidationError({"reason": "Say briefly what the conflict is."})
    try:
        with transaction.atomic():
            conflict = Conflict.objects.create(
                authority=authority, person=person, school=school, reason=reason.strip()
            )
    except IntegrityError:
        raise ValidationError({"school": "You have already declared a conflict with this school."})
    record(
        authority=authority,
        actor=person,
        action="conflict.declared",
        obj=conflict,
        school=school,
        person=person,
        after={"reason": conflict.reason},
    )
    return conflict


@transaction.atomic
def plan_visit(*, cycle, by, moderators, visit_date) -> Visit:
    """Exactly two moderators, neither the school's mentor nor anyone with a declared conflict."""
    cycle = lock_cycle(cycle)
    _require_chair_or_admin(by, cycle.authority)
    _require_state(cycle, State.READY_FOR_VISIT, "given a visit")
    moderators = list(dict.fromkeys(moderators))
    if len(moderators) != 2:
        raise ValidationError({"moderators": "Choose exactly two moderators: every visit has two."})
    moderator_ids = set(
        Membership.objects.filter(role=Role.MODERATOR).values_list("user", flat=True)
    )
    conflicts = conflicted_people(cycle)
    for person in moderators:
        if person.pk not in moderator_ids:
            raise ValidationError({"moderators": f"{person} is not a moderator of this authority."})
        if person.pk in conflicts:
            raise ValidationError(
                {
                    "moderators": f"{person} cannot moderate {cycle.school} (conflict of interest: {conflicts[person.pk]})."
                }
            )
    if visit_date < timezone.localdate():
        raise ValidationError({"visit_date": "The visit date cannot be in the past."})
    visit = Visit.objects.create(cycle=cycle, date=visit_date, planned_by=by)
    visit.moderators.set(moderators)
    Report.objects.create(cycle=cycle)
    record(
        authority=cycle.authority,
        actor=by,
        action="visit.planned",
        obj=visit,
        school=cycle.school,
        after={"date": visit_date.isoformat(), "moderators": sorted(m.pk for m in moderators)},
    )
    return move_cycle(cycle, by, State.VISIT_PLANNED, "visit_planned")


def _require_moderator(cycle, by):
    if not hasattr(cycle, "visit") or not cycle.visit.moderators.filter(pk=by.pk).exists():
        raise PermissionDenied("Only the two moderators of this visit can do this.")


@transaction.atomic
def add_note(*, cycle, by, kind, who, notes, subject="", focus="", elements=()) -> VisitNote:
    cycle = lock_cycle(cycle)
    _require_moderator(cycle, by)
    if cycle.state not in (State.VISIT_PLANNED,):
        raise TransitionError("Notes can be added until the report is signed.")
    note = VisitNote.objects.create(
        visit=cycle.visit, kind=kind, who=who, notes=notes, subject=subject, focus=focus, author=by
    )
    note.elements.set(elements)
    return note


# The report


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
    """Save the draft; `findings` maps element id to (strengths, development, judgement).
    A save from an out-of-date copy is refused, so two moderators do not overwrite each other."""
    with transaction.atomic():
        cycle = lock_cycle(cycle)
        _require_moderator(cycle, by)
        report = Report.objects.select_for_update().get(cycle=cycle)
        if report.finalised_at:
            raise TransitionError(
                "The report is signed by both moderators: it is final and cannot be changed."
            )
        if report.version != version:
            raise TransitionError(
                "Your co-moderator saved the report since you opened it: reload it to see their changes."
            )
        _check_recommendation(recommendation, tier, revisit_by)
        report.context, report.strengths, report.next_steps = context, strengths, next_steps
        report.recommendation, report.tier, report.revisit_by = recommendation, tier, revisit_by
        report.version += 1
        report.save()
        report.signed_by.clear()  # a change needs both signatures again
        for element_id, (element_strengths, development, judgement) in findings.items():
            Finding.objects.update_or_create(
                report=report,
                element_id=element_id,
                defaults={
                    "strengths": element_strengths,
                    "development": development,
                    "judgement": judgement,
                },
            )
    return report


def _check_recommendation(recommendation, tier, revisit_by):
    if recommendation == Outcome.AWARD and not tier:
        raise ValidationError({"tier": "Choose the tier the moderators recommend."})
    if recommendation != Outcome.AWARD and tier:
        raise ValidationError({"tier": "Only an award has a tier."})
    if recommendation == Outcome.DEFER and revisit_by is None:
        raise ValidationError({"revisit_by": "A deferral needs the date of the revisit."})


@transaction.atomic
def sign_report(*, cycle, by) -> Report:
    """A moderator signs; when both have, the report is final and the case goes to the panel."""
    cycle = lock_cycle(cycle)
    _require_moderator(cycle, by)
    _require_state(cycle, State.VISIT_PLANNED, "signed off")
    report = Report.objects.select_for_update().get(cycle=cycle)
    elements = cycle.framework.elements.count()
    findings = report.findings.exclude(judgement="").count()
    if not report.recommendation or findings < elements or not report.context.strip():
        raise TransitionError(
            "Write the context, a judgement for every element and a recommendation before signing."
        )
    report.signed_by.add(by)
    record(
        authority=cycle.authority, actor=by, action="report.signed", obj=report, school=cycle.school
    )
    if report.signed_by.count() == 2:
        report.finalised_at = timezone.now()
        report.save(update_fields=["finalised_at"])
        move_cycle(cycle, by, State.REPORTED, "reported")
    return report


# The panel


def eligible_voters(cycle):
    """(eligible members, {member: why not}) for this case."""
    members = list(
        Membership.objects.filter(role__in=[Role.PANEL_MEMBER, Role.PANEL_CHAIR])
        .select_related("user")
        .order_by("user__full_name")
        .values_list("user", flat=True)
        .distinct()
    )
    reasons = conflicted_people(cycle)
    if hasattr(cycle, "visit"):
        for moderator in cycle.visit.moderators.all():
            reasons.setdefault(moderator.pk, "a visiting moderator, who may speak but not vote")
    return [m for m in members if m not in reasons], {
        m: reasons[m] for m in members if m in reasons
    }


@transaction.atomic
def open_vote(*, cycle, by) -> PanelVote:
    cycle = lock_cycle(cycle)
    if Role.PANEL_CHAIR not in _roles(by, cycle.authority):
        raise PermissionDenied("Only the panel chair can open a vote.")
    _require_state(cycle, State.REPORTED, "put to a vote")
    vote = PanelVote.objects.create(cycle=cycle, opened_by=by)
    move_cycle(cycle, by, State.WITH_PANEL, "with_panel")
    return vote


@transaction.atomic
def cast_ballot(*, cycle, by, outcome, tier="", comment="") -> Ballot:
    cycle = lock_cycle(cycle)
    _require_state(cycle, State.WITH_PANEL, "voted on")
    eligible, conflicted = eligible_voters(cycle)
    if by.pk in conflicted:
        raise PermissionDenied(
            f"You cannot vote on {cycle.school} (conflict of interest: {conflicted[by.pk]})."
        )
    if by.pk not in eligible:
        raise PermissionDenied("Only the authority's panel members vote.")
    if outcome == Outcome.AWARD and not tier:
        raise ValidationError({"tier": "Choose the tier you vote to award."})
    if outcome == Outcome.AWARD and (reason := ineligibility(cycle.school, tier)):
        raise ValidationError({"tier": reason})
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
        raise ValidationError("You have already voted on this case.")
    record(
        authority=cycle.authority, actor=by, action="ballot.cast", obj=cycle, school=cycle.school
    )
    return ballot


def tally(cycle) -> Counter:
    return Counter(ballot.option for ballot in cycle.panel_vote.ballots.all())


def option_label(option):
    outcome, tier = option
    return (
        f"award: {Tier(tier).label}" if outcome == Outcome.AWARD else Outcome(outcome).label.lower()
    )


@transaction.atomic
def record_decision(*, cycle, by, rationale, casting=None) -> Decision:
    """The chair closes the vote and records the decision: it needs the quorum and a simple
    majority; on a tie the chair's casting vote, one of the tied options, decides."""
    cycle = lock_cycle(cycle)
    if Role.PANEL_CHAIR not in _roles(by, cycle.authority):
        raise PermissionDenied("Only the panel chair records the panel's decision.")
    _require_state(cycle, State.WITH_PANEL, "decided")
    if not rationale.strip():
        raise ValidationError({"rationale": "Record the panel's reasons with its decision."})
    votes = tally(cycle)
    quorum = cycle.authority.panel_quorum
    if sum(votes.values()) < quorum:
        raise TransitionError(
            f"The panel needs {quorum} votes to decide; {sum(votes.values())} have been cast."
        )
    ranked = votes.most_common()
    top = [option for option, count in ranked if count == ranked[0][1]]
    if len(top) == 1:
        option = top[0]
    elif casting in top:
        option = casting
    else:
        raise TransitionError(
            "The vote is tied between "
            + " and ".join(option_label(o) for o in top)
            + ": as chair, give the casting vote."
        )
    outcome, tier = option
    decision = Decision.objects.create(
        cycle=cycle,
        outcome=outcome,
        tier=tier,
        rationale=rationale.strip(),
        votes={option_label(o): n for o, n in ranked},
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
        _award(cycle, decision, by)
    move_cycle(cycle, by, State.DECIDED, "decided")
    return decision


@transaction.atomic
def correct_decision(*, decision, by, outcome, tier, rationale, reason) -> Decision:
    """A recorded decision stays as it was; the correction is a new decision linked to it."""
    cycle = lock_cycle(decision.cycle)
    if Role.PANEL_CHAIR not in _roles(by, cycle.authority):
        raise PermissionDenied("Only the panel chair records a correction.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the decision is being corrected."})
    if Decision.objects.filter(corrects=decision).exists():
        raise TransitionError("This decision has already been corrected: correct the newest one.")
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
    Award.objects.filter(decision=decision, withdrawn_at=None).update(withdrawn_at=timezone.now())
    if outcome == Outcome.AWARD:
        _award(cycle, correction, by)
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
    return correction


# Awards and eligibility


def current_awards(school, on=None):
    on = on or timezone.localdate()
    return Award.objects.filter(
        school=school, withdrawn_at=None, awarded_on__lte=on, expires_on__gte=on
    )


def ineligibility(school, tier, on=None) -> str | None:
    """Why the school cannot be awarded `tier` now, or None if it can (DOMAIN.md, award tiers)."""
    on = on or timezone.localdate()
    if tier == Tier.QUALITY_MARK:
        return None
    awards = Award.objects.filter(school=school, withdrawn_at=None)
    if tier == Tier.CENTRE_OF_EXCELLENCE:
        if not current_awards(school, on).exists():
            return "Centre of Excellence needs a current Quality Mark, and the school holds none."
        if school.partners.count() < 2:
            return "Centre of Excellence needs a cluster of at least two partner schools."
        return None
    excellence = (
        awards.filter(tier__in=[Tier.CENTRE_OF_EXCELLENCE, Tier.FLAGSHIP])
        .order_by("awarded_on")
        .first()
    )
    if excellence is None or excellence.awarded_on > _years_before(on, 3):
        return "Flagship needs Centre of Excellence held for at least three years."
    if awards.count() < 2:
        return "Flagship needs at least two successful IQM assessments."
    return None


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _award(cycle, decision, by) -> Award:
    if reason := ineligibility(cycle.school, decision.tier):
        raise ValidationError({"tier": reason})
    authority = cycle.authority
    years = {
        Tier.QUALITY_MARK: authority.quality_mark_years,
        Tier.CENTRE_OF_EXCELLENCE: authority.centre_of_excellence_years,
        Tier.FLAGSHIP: authority.flagship_years,
    }[decision.tier]
    today = timezone.localdate()
    award = Award.objects.create(
        authority=authority,
        school=cycle.school,
        tier=decision.tier,
        awarded_on=today,
        expires_on=_years_before(today, -years),
        decision=decision,
    )
    record(
        authority=authority,
        actor=by,
        action="award.made",
        obj=award,
        school=cycle.school,
        after={"tier": award.tier, "expires_on": award.expires_on.isoformat()},
    )
    notify(
        authority=authority,
        key="award.made",
        dedupe_key=f"award.{award.pk}",
        recipients=recipients(cycle, {"school", Role.AUTHORITY_ADMIN}),
        context={
            "school": cycle.school.name,
            "tier": award.get_tier_display(),
            "awarded_on": award.awarded_on,
            "expires_on": award.expires_on,
            "url": settings.SITE_URL
            + reverse("schools:detail", args=[authority.slug, cycle.school_id]),
        },
    )
    return award

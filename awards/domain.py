"""Awards: which tier a school may be given now, and why not; the awards it holds; making one.

Eligibility is read from the school's history (DOMAIN.md, award tiers) and is enforced wherever a
tier is chosen: registering a review, the moderators' recommendation, the panel's vote and the
award itself.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format

from audit.domain import record

from .models import Award, Plaque, Tier

# Sent inside the award's transaction, with `award` and `by`; notifications tells the people.
award_made = Signal()
# Sent inside the transaction that records a plaque as sent, with `plaque` and `by`.
plaque_sent = Signal()


def awards_in_force(on=None):
    """The authority's awards in force on the day (today by default)."""
    on = on or timezone.localdate()
    return Award.objects.filter(withdrawn_at=None, awarded_on__lte=on, expires_on__gte=on)


def current_awards(school, on=None):
    return awards_in_force(on).filter(school=school)


def ineligibility(school, tier, on=None) -> str | None:
    """Why the school cannot be awarded `tier` now, or None if it can."""
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
    if excellence is None or excellence.awarded_on > years_after(on, -3):
        return "Flagship needs Centre of Excellence held for at least three years."
    if awards.count() < 2:
        return "Flagship needs at least two successful IQM assessments."
    return None


def tier_options(school, on=None) -> list[tuple[Tier, str | None]]:
    """Every tier with why the school may not be awarded it now (None: it may)."""
    return [(tier, ineligibility(school, tier, on)) for tier in Tier]


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def make_award(*, school, tier, decision, by) -> Award:
    """The award of a panel's decision, dated today; refused if the school may not have the tier."""
    if reason := ineligibility(school, tier):
        raise ValidationError({"tier": reason})
    authority = school.authority
    years = {
        Tier.QUALITY_MARK: authority.quality_mark_years,
        Tier.CENTRE_OF_EXCELLENCE: authority.centre_of_excellence_years,
        Tier.FLAGSHIP: authority.flagship_years,
    }[tier]
    today = timezone.localdate()
    award = Award.objects.create(
        authority=authority,
        school=school,
        tier=tier,
        awarded_on=today,
        expires_on=years_after(today, years),
        decision=decision,
    )
    record(
        authority=authority,
        actor=by,
        action="award.made",
        obj=award,
        school=school,
        after={"tier": award.tier, "expires_on": award.expires_on.isoformat()},
    )
    award_made.send(sender=Award, award=award, by=by)
    return award


def withdraw_awards(decision) -> None:
    """A corrected decision's award no longer stands."""
    Award.objects.filter(decision=decision, withdrawn_at=None).update(withdrawn_at=timezone.now())


# The plaque's status, as a filter on awards: an award with no plaque row yet has it to order.
PLAQUE_STATUS = {
    Plaque.Status.TO_ORDER: Q(plaque__ordered_on=None),
    Plaque.Status.ORDERED: Q(plaque__ordered_on__isnull=False, plaque__sent_on=None),
    Plaque.Status.SENT: Q(plaque__sent_on__isnull=False),
}


def plaques(status=None, on=None):
    """The awards in force, each with its plaque (if any date is recorded), of one status or all."""
    awards = awards_in_force(on).select_related("school", "plaque")
    return awards.filter(PLAQUE_STATUS[status]) if status else awards


def plaque_counts(on=None) -> dict:
    """How many awards in force have their plaque to order, ordered and sent: one query."""
    return awards_in_force(on).aggregate(
        **{
            status.value: Count("pk", filter=condition)
            for status, condition in PLAQUE_STATUS.items()
        }
    )


def plaque_problems(award, ordered_on, sent_on, today=None) -> dict:
    """What is wrong with these dates for the award's plaque, by field; empty if nothing."""
    today = today or timezone.localdate()
    problems = {}
    if ordered_on and ordered_on > today:
        problems["ordered_on"] = "The date ordered cannot be in the future."
    elif ordered_on and ordered_on < award.awarded_on:
        problems["ordered_on"] = (
            "The plaque cannot have been ordered before the award was made "
            f"({date_format(award.awarded_on, 'j F Y')})."
        )
    if sent_on and sent_on > today:
        problems["sent_on"] = "The date sent cannot be in the future."
    elif sent_on and not ordered_on:
        problems["sent_on"] = "A plaque is sent once it is ordered: give the date it was ordered."
    elif sent_on and sent_on < ordered_on:
        problems["sent_on"] = "The plaque cannot have been sent before it was ordered."
    return problems


def record_plaque(*, award, ordered_on, sent_on, by) -> Plaque:
    """Record when the award's plaque was ordered and sent. A new date is audited as
    `plaque.ordered` or `plaque.sent` (and the school is told of the latter); changing or removing a
    date already recorded is a correction, audited as `plaque.corrected` with both dates before and
    after."""
    if award.withdrawn_at:
        raise ValidationError("This award was withdrawn: it has no plaque.")
    if problems := plaque_problems(award, ordered_on, sent_on):
        raise ValidationError(problems)
    with transaction.atomic():
        # The award's row is the lock: two admins recording at once take turns.
        Award.objects.select_for_update().get(pk=award.pk)
        plaque = Plaque.objects.filter(award=award).first() or Plaque(
            authority=award.authority, award=award
        )
        before = {"ordered_on": plaque.ordered_on, "sent_on": plaque.sent_on}
        after = {"ordered_on": ordered_on, "sent_on": sent_on}
        if after == before:
            return plaque
        plaque.ordered_on, plaque.sent_on = ordered_on, sent_on
        plaque.save()
        corrected = any(before[field] not in (None, after[field]) for field in before)
        if corrected:
            entries = [("plaque.corrected", before, after)]
        else:
            entries = [
                (f"plaque.{action}", {field: None}, {field: after[field]})
                for field, action in (("ordered_on", "ordered"), ("sent_on", "sent"))
                if before[field] is None and after[field] is not None
            ]
        for action, old, new in entries:
            record(
                authority=award.authority,
                actor=by,
                action=action,
                obj=plaque,
                school=award.school,
                before=_iso(old),
                after=_iso(new),
            )
        if any(action == "plaque.sent" for action, _, _ in entries):
            plaque_sent.send(sender=Plaque, plaque=plaque, by=by)
    return plaque


def _iso(dates: dict) -> dict:
    return {field: day.isoformat() if day else None for field, day in dates.items()}

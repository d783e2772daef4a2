"""Awards: which tier a school may be given now, and why not; the awards it holds; making one.

Eligibility is read from the school's history (DOMAIN.md, award tiers) and is enforced wherever a
tier is chosen: registering a review, the moderators' recommendation, the panel's vote and the
award itself.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.dispatch import Signal
from django.utils import timezone

from audit.domain import record

from .models import Award, Tier

# Sent inside the award's transaction, with `award` and `by`; notifications tells the people.
award_made = Signal()


def current_awards(school, on=None):
    on = on or timezone.localdate()
    return Award.objects.filter(
        school=school, withdrawn_at=None, awarded_on__lte=on, expires_on__gte=on
    )


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

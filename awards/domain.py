"""Awards: which tier a school may be given, and why not; the awards it holds; making one.

Eligibility is read from the school's history (DOMAIN.md, award tiers) by one function,
`eligibility`, whose rules are listed once in `RULES`, one rule per line. It is enforced wherever
a tier is chosen (registering a review, the moderators' recommendation, the panel's vote and the
award itself) and shown on the school's page.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Q, When
from django.dispatch import Signal
from django.utils import timezone
from django.utils.formats import date_format

from audit.domain import record
from clusters.domain import partner_count

from .models import Award, Plaque, Tier

# Sent inside the award's transaction, with `award` and `by`; notifications tells the people.
award_made = Signal()
# Sent inside the transaction that records a plaque as sent, with `plaque` and `by`.
plaque_sent = Signal()


def awards_in_force(on=None):
    """The authority's awards in force on the day (today by default)."""
    on = on or timezone.localdate()
    return Award.objects.filter(withdrawn_at=None, awarded_on__lte=on, expires_on__gte=on)


def is_in_force(award, on) -> bool:
    """`awards_in_force`'s rule, for an award already read."""
    return award.withdrawn_at is None and award.awarded_on <= on <= award.expires_on


EXCELLENCE = frozenset({Tier.CENTRE_OF_EXCELLENCE, Tier.FLAGSHIP})
PARTNERS_NEEDED = 2
EXCELLENCE_YEARS = 3
ASSESSMENTS_NEEDED = 2


def current_awards(school, on=None):
    return awards_in_force(on).filter(school=school)


def tier_rank():
    """Quality Mark < Centre of Excellence < Flagship, as an expression to order awards by."""
    whens = [When(tier=tier, then=rank) for rank, tier in enumerate(Tier)]
    return Case(*whens, output_field=IntegerField())


def highest_first(awards):
    """The awards, the highest tier first and, within a tier, the latest."""
    return awards.annotate(rank=tier_rank()).order_by("-rank", "-awarded_on", "-pk")


def awards_of(school) -> list:
    """The school's awards, withdrawn ones too, oldest first: prefetched with the school on its
    page (`with_awards`), else read in one query."""
    return sorted(school.awards.all(), key=lambda award: (award.awarded_on, award.pk))


def with_awards(schools):
    """The schools, each with its awards: what the school's page reads
    (schools.access.PAGE_READS)."""
    return schools.prefetch_related("awards")


def highest_current_award(school, on=None) -> Award | None:
    """The award the school holds on the day: its highest in force, as the published list says
    (the highest tier, then the latest)."""
    on = on or timezone.localdate()
    in_force = [award for award in awards_of(school) if is_in_force(award, on)]
    rank = list(Tier)  # as tier_rank()
    return max(in_force, key=lambda a: (rank.index(a.tier), a.awarded_on, a.pk), default=None)


def years_after(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def _day(day: date) -> str:
    return date_format(day, "j F Y")


# Eligibility


@dataclass(frozen=True)
class History:
    """What eligibility reads of a school, read once: its awards (withdrawn ones too, for its
    page) and the partner schools of the cluster it leads."""

    awards: list
    partners: int

    def standing(self, on: date) -> list:
        """The awards that count: not withdrawn, made on or before the day."""
        return [a for a in self.awards if a.withdrawn_at is None and a.awarded_on <= on]


def history_of(school, partners=None) -> History:
    """`partners`: the partner count when read already (clusters.domain.partners_of)."""
    return History(
        awards=awards_of(school),
        partners=partner_count(school) if partners is None else partners,
    )


@dataclass(frozen=True)
class Rule:
    text: str  # the rule, to follow "<tier> needs"
    holds: bool
    failing: str = ""  # why it does not hold
    holds_from: date | None = None  # the day it will hold, when that can be known


def holds_a_current_award(history, on) -> Rule:
    """A current Quality Mark; a current Centre of Excellence or Flagship counts as holding it."""
    text = "a current Inclusion Quality Mark (or a higher award)"
    awards = history.standing(on)
    if any(a.expires_on >= on for a in awards):
        return Rule(text, True)
    if awards:
        last = max(a.expires_on for a in awards)
        return Rule(text, False, f"The school’s last award expired on {_day(last)}.")
    return Rule(text, False, "The school holds no award.")


def leads_a_cluster(history, on) -> Rule:
    text = f"a cluster of at least {PARTNERS_NEEDED} partner schools"
    if history.partners >= PARTNERS_NEEDED:
        return Rule(text, True)
    count = history.partners
    if count == 0:
        return Rule(text, False, "The school has no partner schools yet.")
    return Rule(
        text, False, f"The school’s cluster has {count} partner school{'s' if count != 1 else ''}."
    )


def excellence_since(history, on) -> date | None:
    """The first day of the unbroken run of Centre of Excellence or Flagship awards that holds
    on the day, or None. Each award continues the run if it was made by the day after the
    previous one expired; a lapse starts the count again."""
    start = end = None
    for award in (a for a in history.standing(on) if a.tier in EXCELLENCE):
        if end is None or award.awarded_on > end + timedelta(days=1):
            start = award.awarded_on
        end = max(end or award.expires_on, award.expires_on)
    return start if end is not None and end >= on else None


def held_excellence_for_three_years(history, on) -> Rule:
    text = f"Centre of Excellence held without a break for at least {EXCELLENCE_YEARS} years"
    since = excellence_since(history, on)
    if since is None:
        return Rule(text, False, "The school does not hold Centre of Excellence.")
    reached = years_after(since, EXCELLENCE_YEARS)
    if reached <= on:
        return Rule(text, True)
    return Rule(
        text,
        False,
        f"The school has held it since {_day(since)}: three years on {_day(reached)}.",
        holds_from=reached,
    )


def passed_two_assessments(history, on) -> Rule:
    """Successful IQM assessments: the initial assessment's and each reassessment's Quality Mark."""
    text = f"at least {ASSESSMENTS_NEEDED} successful IQM assessments"
    count = sum(1 for a in history.standing(on) if a.tier == Tier.QUALITY_MARK)
    if count >= ASSESSMENTS_NEEDED:
        return Rule(text, True)
    return Rule(text, False, f"The school has had {count}.")


RULES = {
    Tier.QUALITY_MARK: [],
    Tier.CENTRE_OF_EXCELLENCE: [
        holds_a_current_award,
        leads_a_cluster,
    ],
    Tier.FLAGSHIP: [
        held_excellence_for_three_years,
        passed_two_assessments,
    ],
}


@dataclass(frozen=True)
class Eligibility:
    tier: Tier
    on: date
    rules: list

    @property
    def eligible(self) -> bool:
        return all(rule.holds for rule in self.rules)

    @property
    def failing(self) -> list:
        return [rule for rule in self.rules if not rule.holds]

    @property
    def eligible_from(self) -> date | None:
        """The day, if it can be known: the day itself when eligible now; else the day every
        failing rule will hold if nothing changes; else None."""
        if self.eligible:
            return self.on
        days = [rule.holds_from for rule in self.failing]
        return max(days) if all(days) else None

    @property
    def reason(self) -> str:
        """Every failing rule with why, in one message."""
        return " ".join(
            f"{self.tier.label} needs {rule.text}. {rule.failing}" for rule in self.failing
        )


def eligibility(school, tier, on=None, history=None) -> Eligibility:
    """Whether the school may be given `tier` on the day (today by default): every rule of the
    tier, whether it holds and why not. `history` saves reading it again for several tiers."""
    on = on or timezone.localdate()
    history = history or history_of(school)
    tier = Tier(tier)
    return Eligibility(tier, on, [rule(history, on) for rule in RULES[tier]])


def eligibilities(school, on=None, history=None) -> list[Eligibility]:
    history = history or history_of(school)
    return [eligibility(school, tier, on, history) for tier in Tier]


def require_eligible(school, tier, field="tier", on=None) -> None:
    """Refuse, with every failing rule, a tier the school may not be given."""
    found = eligibility(school, tier, on)
    if not found.eligible:
        raise ValidationError({field: found.reason})


def tier_options(school, on=None, history=None) -> list[tuple[Tier, str | None]]:
    """Every tier with why the school may not be awarded it now (None: it may)."""
    return [(e.tier, None if e.eligible else e.reason) for e in eligibilities(school, on, history)]


# Making and withdrawing awards


def expiry(authority, tier, awarded_on) -> date:
    """When an award of the tier made on `awarded_on` expires: the authority's term for it."""
    years = {
        Tier.QUALITY_MARK: authority.quality_mark_years,
        Tier.CENTRE_OF_EXCELLENCE: authority.centre_of_excellence_years,
        Tier.FLAGSHIP: authority.flagship_years,
    }[tier]
    return years_after(awarded_on, years)


def make_award(*, school, tier, decision, by) -> Award:
    """The award of a panel's decision, dated today; refused if the school may not have the tier."""
    require_eligible(school, tier)
    authority = school.authority
    today = timezone.localdate()
    award = Award.objects.create(
        authority=authority,
        school=school,
        tier=tier,
        awarded_on=today,
        expires_on=expiry(authority, tier, today),
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
    """A corrected decision's award no longer stands. Saved one by one (there is one), so that
    what keeps a copy of the awards hears of it (publishing/apps.py)."""
    now = timezone.now()
    for award in Award.objects.filter(decision=decision, withdrawn_at=None):
        award.withdrawn_at = now
        award.save(update_fields=["withdrawn_at"])


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

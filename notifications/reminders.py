"""The daily reminders job (`tasks.send_reminders`, run by Celery beat early each morning): awards
expiring, annual reviews due, action-plan targets overdue, and awards lapsing, each told once.

For each authority, in its scope, on the day it runs:

- An award the school's standing rests on (not withdrawn, and no award of the school of the same or
  a higher tier expires after it) has three milestones: the authority's lead time before it
  expires (LEAD), one month before (MONTH) and the day after it expired (LAPSED). At the first two
  the school's leads and the authority admins are told that it is expiring or, for a Centre of
  Excellence or Flagship with no annual review registered since it was made, that its review is
  due. At the third the award lapses: `award.lapsed` goes in the audit log and the same people are
  told. Only the latest milestone reached is told: a job that missed the lead time (it was down,
  or the authority lengthened it) does not send two reminders at once when it next runs.
- An action-plan target whose deadline has passed, not done, on a cycle the panel has not decided,
  is overdue: the school's leads and the cycle's mentor are told once per deadline, in one email
  per cycle listing the targets that became overdue.

Each milestone is claimed by inserting its `Reminder` row (unique per what, object and milestone)
in the transaction that writes its audit entry and queues its emails: a second run on the same
day finds it claimed, and a second worker running at the same moment waits on the first's insert
and then finds it taken, so neither sends anything more.
"""

import calendar
import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import Truncator
from django_scopes import scope

from assessments.models import Cycle, Target
from assessments.workflow import AWARD_TOLD, REVIEW_KINDS, TARGETS_OVERDUE_TOLD, people_told
from audit.domain import record
from authorities.models import Authority
from awards.models import Award, Tier

from .domain import notify
from .models import Reminder

log = logging.getLogger(__name__)
What = Reminder.What
LEAD, MONTH, LAPSED = "lead", "month", "lapsed"
TIER_RANK = {tier: rank for rank, tier in enumerate(Tier)}  # Quality Mark < ... < Flagship
REVIEWED_TIERS = frozenset({Tier.CENTRE_OF_EXCELLENCE, Tier.FLAGSHIP})
# An award that expired longer ago than this is not lapsed by the job: it expired before the job
# ran at all (awards kept from before the portal), and news of it now would only confuse. The
# margin lets a job that was down for a few weeks catch up.
LAPSE_CATCH_UP = timedelta(days=31)


class RemindersFailed(Exception):
    """Some authorities' reminders failed (logged); the others' were sent."""


def run(today: date | None = None) -> int:
    """Remind every authority's people of what reached a milestone today; the number of
    milestones told."""
    today = today or timezone.localdate()
    told, failed = 0, []
    for authority in Authority.objects.order_by("pk"):
        try:
            with scope(authority=authority):
                told += remind_awards(authority, today) + remind_targets(authority, today)
        except Exception:
            log.exception("The reminders of %s failed.", authority.slug)
            failed.append(authority.slug)
    if failed:
        raise RemindersFailed(", ".join(failed))
    return told


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` earlier (or that month's last day)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return day.replace(
        year=year, month=month + 1, day=min(day.day, calendar.monthrange(year, month + 1)[1])
    )


def award_milestone(award, today: date, lead_months: int) -> str | None:
    if award.expires_on < today:
        return LAPSED
    if today >= months_before(award.expires_on, 1):
        return MONTH
    if today >= months_before(award.expires_on, lead_months):
        return LEAD
    return None


def claim(authority, what, object_id, milestone, key, today) -> Reminder | None:
    """The milestone's row, made now; None if it was claimed already (by an earlier run, or by
    another worker whose transaction has now committed)."""
    try:
        with transaction.atomic():
            return Reminder.objects.create(
                authority=authority,
                what=what,
                object_id=object_id,
                milestone=milestone,
                key=key,
                on=today,
            )
    except IntegrityError:
        return None


def _claimed(what, object_ids) -> set:
    return set(
        Reminder.objects.filter(what=what, object_id__in=object_ids).values_list(
            "object_id", "milestone"
        )
    )


# Awards


def remind_awards(authority, today: date) -> int:
    lead = authority.reminder_lead_months
    window = Award.objects.filter(
        authority=authority,
        withdrawn_at=None,
        awarded_on__lte=today,
        expires_on__gte=today - LAPSE_CATCH_UP,
        # Generous: award_milestone decides exactly.
        expires_on__lte=today + timedelta(days=31 * lead + 1),
    ).select_related("school", "decision")
    due = [(a, m) for a in window if (m := award_milestone(a, today, lead))]
    if not due:
        return 0
    schools = {award.school_id for award, _ in due}
    held = list(Award.objects.filter(school__in=schools, withdrawn_at=None))
    reviews = list(
        Cycle.objects.filter(school__in=schools, kind__in=REVIEW_KINDS).values_list(
            "pk", "school", "created_at"
        )
    )
    claimed = _claimed(What.AWARD, [award.pk for award, _ in due])
    told = 0
    for award, milestone in due:
        if (award.pk, milestone) in claimed or _superseded(award, held):
            continue
        if milestone == LAPSED:
            key = "award.lapsed"
        elif award.tier in REVIEWED_TIERS and not _review_registered(award, reviews):
            key = "award.review_due"
        else:
            key = "award.expiring"
        told += _tell_of_award(authority, award, milestone, key, today, held)
    return told


def _superseded(award, held) -> bool:
    """Another award of the school of the same or a higher tier lasts longer: the school's
    standing does not rest on this one."""
    return any(
        other.pk != award.pk
        and other.school_id == award.school_id
        and TIER_RANK[other.tier] >= TIER_RANK[award.tier]
        and other.expires_on > award.expires_on
        for other in held
    )


def _review_registered(award, reviews) -> bool:
    """A review of the school registered since the award was made, other than the review that
    made it (registered and decided on the award's day)."""
    made_by = award.decision.cycle_id if award.decision else None
    return any(
        school == award.school_id
        and pk != made_by
        and timezone.localdate(registered) >= award.awarded_on
        for pk, school, registered in reviews
    )


def _still_holds(award, held, today) -> str:
    current = [
        other
        for other in held
        if other.school_id == award.school_id and other.awarded_on <= today <= other.expires_on
    ]
    best = max(current, key=lambda other: TIER_RANK[other.tier], default=None)
    return best.get_tier_display() if best else ""


@transaction.atomic
def _tell_of_award(authority, award, milestone, key, today, held) -> int:
    reminder = claim(authority, What.AWARD, award.pk, milestone, key, today)
    if reminder is None:
        return 0
    tier = award.get_tier_display()
    context = {"school": award.school.name, "tier": tier, "expires_on": award.expires_on}
    if key == "award.lapsed":
        record(
            authority=authority,
            actor=None,
            action="award.lapsed",
            obj=award,
            school=award.school,
            before={"status": "current"},
            after={"status": "lapsed"},
        )
        context["still_holds"] = _still_holds(award, held, today)
    elif key == "award.expiring":
        context["renewal"] = "annual review" if award.tier in REVIEWED_TIERS else "reassessment"
    notify(
        authority=authority,
        key=key,
        recipients=people_told(award, AWARD_TOLD),
        dedupe_key=f"reminder.{reminder.pk}",
        context={
            **context,
            "url": settings.SITE_URL
            + reverse("schools:detail", args=[authority.slug, award.school_id]),
        },
    )
    return 1


# Action-plan targets


def remind_targets(authority, today: date) -> int:
    overdue = list(
        Target.objects.filter(cycle__authority=authority, deadline__lt=today)
        .exclude(status=Target.Status.DONE)
        .exclude(cycle__state=Cycle.State.DECIDED)
        .select_related("cycle__school", "element", "lead")
        .order_by("cycle", "deadline", "pk")
    )
    claimed = _claimed(What.TARGET, [target.pk for target in overdue])
    by_cycle = {}
    for target in overdue:
        if (target.pk, _overdue(target)) not in claimed:
            by_cycle.setdefault(target.cycle_id, []).append(target)
    return sum(_tell_of_targets(authority, targets, today) for targets in by_cycle.values())


def _overdue(target) -> str:
    return f"overdue.{target.deadline.isoformat()}"


@transaction.atomic
def _tell_of_targets(authority, targets, today) -> int:
    reminders = [
        (target, reminder)
        for target in targets
        if (
            reminder := claim(
                authority, What.TARGET, target.pk, _overdue(target), "targets.overdue", today
            )
        )
    ]
    if not reminders:
        return 0
    cycle = targets[0].cycle
    notify(
        authority=authority,
        key="targets.overdue",
        recipients=people_told(cycle, TARGETS_OVERDUE_TOLD),
        dedupe_key=f"reminder.{reminders[0][1].pk}",
        context={
            "school": cycle.school.name,
            "count": len(reminders),
            "targets": "\n".join(_line(target) for target, _ in reminders),
            "url": settings.SITE_URL + reverse("assessments:plan", args=[authority.slug, cycle.pk]),
        },
    )
    return len(reminders)


def _line(target) -> str:
    action = Truncator(" ".join(target.action.split())).chars(120)
    due = date_format(target.deadline, "j F Y")
    lead = target.lead or target.lead_note
    return f"- {target.element.number} {target.element.title}: {action} ({lead}, due {due})"

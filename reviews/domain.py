"""The annual review of a Centre of Excellence or Flagship school (DOMAIN.md, award tiers): the
school's annual update against every element, and the visit's ratification of the year's progress
with the agreed development plan. One function per change: rule, save, audit log and notification
in one transaction; who may take each step, in which state, and who is told is the workflow's
(assessments/workflow.py). The visit's planning, the panel's vote and its decision are
moderation's, shared with the assessment."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.domain import lock_cycle, take
from assessments.workflow import STEPS, TransitionError, check, moderator_ids
from audit.domain import record
from awards.domain import years_after
from clusters.domain import activities_between
from flagship.domain import unconfirmed_criteria

from .models import TEXT_LIMIT, ElementProgress, Priority, Ratification, Update

UPDATE_TEXTS = ("progress", "plans")


class StaleUpdate(Exception):
    """Someone else saved this element's update since the copy being saved was loaded."""

    def __init__(self, current: Update):
        self.current = current
        super().__init__("Someone else has saved this element since you opened it.")


# The annual update


def update_rows(cycle):
    """Each element of the cycle's framework with its update and its honest status: complete once
    both the progress and the plans are written, in progress once anything is saved."""
    updates = {u.element_id: u for u in cycle.updates.all()}
    rows = []
    for element in cycle.framework.elements.all():
        update = updates.get(element.pk)
        if update and update.is_complete:
            status = "complete"
        elif update and update.version:
            status = "in_progress"
        else:
            status = "not_started"
        rows.append({"element": element, "update": update, "status": status})
    return rows


def save_update(*, cycle, element, by, version: int, data: dict) -> Update:
    """Autosave of one element's update. Refused, changing nothing, once the update is submitted,
    when the person may not write it, or when `version` is not the saved one (StaleUpdate)."""
    errors = {
        field: f"Keep this to {TEXT_LIMIT:,} characters or fewer (it has {len(data[field]):,})."
        for field in UPDATE_TEXTS
        if len(data.get(field, "")) > TEXT_LIMIT
    }
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        cycle = lock_cycle(cycle)
        check(by, "write_update", cycle)
        update, _ = Update.objects.select_for_update().get_or_create(cycle=cycle, element=element)
        if update.version != version:
            raise StaleUpdate(update)
        for field in UPDATE_TEXTS:
            setattr(update, field, data.get(field, ""))
        update.version += 1
        update.updated_by = by
        update.updated_at = timezone.now()
        update.save()
        if cycle.state in STEPS["start_update"].sources:
            take("start_update", cycle, by)
    return update


@transaction.atomic
def submit_update(*, cycle, by):
    cycle = lock_cycle(cycle)
    check(by, "submit_update", cycle)
    missing = [r["element"].number for r in update_rows(cycle) if r["status"] != "complete"]
    if missing:
        raise TransitionError(
            "Write the progress and the plans of every element before submitting: "
            f"element{'s' if len(missing) > 1 else ''} {', '.join(map(str, missing))} still to do."
        )
    return take("submit_update", cycle, by, submitted_at=timezone.now())


# The ratification


def _draft(cycle, by) -> Ratification:
    """The locked draft the moderator may change; a change needs every signature again."""
    check(by, "write_ratification", cycle)
    Ratification.objects.get_or_create(cycle=cycle)  # begun on first use
    # Once signed by all, the cycle has left the visit's state: the step check refuses a change.
    return Ratification.objects.select_for_update().get(cycle=cycle)


def save_ratification(*, cycle, by, version, summary, recommendation, progress) -> Ratification:
    """Save the draft; `progress` maps element id to (judgement, comment). A save from an
    out-of-date copy is refused, so two moderators do not overwrite each other."""
    if recommendation and recommendation not in Ratification.Recommendation.values:
        raise ValidationError({"recommendation": "Choose renew or lapse."})
    with transaction.atomic():
        cycle = lock_cycle(cycle)
        ratification = _draft(cycle, by)
        if ratification.version != version:
            raise TransitionError(
                "Your co-moderator saved the ratification since you opened it: "
                "reload it to see their changes."
            )
        elements = set(cycle.framework.elements.values_list("pk", flat=True))
        ratification.summary, ratification.recommendation = summary, recommendation
        ratification.version += 1
        ratification.save()
        ratification.signed_by.clear()
        for element_id, (judgement, comment) in progress.items():
            if element_id not in elements:
                raise ValidationError("That element is not part of this review's framework.")
            ElementProgress.objects.update_or_create(
                ratification=ratification,
                element_id=element_id,
                defaults={"judgement": judgement, "comment": comment},
            )
    return ratification


@transaction.atomic
def add_priority(*, cycle, by, element, action, lead, by_when: date) -> Priority:
    """A priority of the annual development plan, agreed with the school at the visit."""
    cycle = lock_cycle(cycle)
    ratification = _draft(cycle, by)
    if element.framework_id != cycle.framework_id:
        raise ValidationError({"element": "Choose an element of this review's framework."})
    if not action.strip() or not lead.strip():
        raise ValidationError({"action": "Write the action and who leads it."})
    if by_when < timezone.localdate():
        raise ValidationError({"by_when": "The date a priority is due cannot be in the past."})
    priority = Priority.objects.create(
        ratification=ratification,
        element=element,
        action=action.strip(),
        lead=lead.strip(),
        by_when=by_when,
    )
    ratification.signed_by.clear()
    record(
        authority=cycle.authority,
        actor=by,
        action="priority.agreed",
        obj=priority,
        school=cycle.school,
        after={"element": element.number, "by_when": by_when.isoformat()},
    )
    return priority


@transaction.atomic
def remove_priority(*, cycle, by, priority) -> None:
    cycle = lock_cycle(cycle)
    ratification = _draft(cycle, by)
    if priority.ratification_id != ratification.pk:
        raise ValidationError("That priority is not part of this ratification.")
    record(
        authority=cycle.authority,
        actor=by,
        action="priority.removed",
        obj=priority,
        school=cycle.school,
        before={"action": priority.action, "by_when": priority.by_when.isoformat()},
    )
    priority.delete()
    ratification.signed_by.clear()


@transaction.atomic
def ratify(*, cycle, by) -> Ratification:
    """A visiting moderator signs; when every moderator of the visit has, the ratification is
    final and the review goes to the panel."""
    cycle = lock_cycle(cycle)
    check(by, "ratify", cycle)
    ratification = _draft(cycle, by)
    elements = cycle.framework.elements.count()
    judged = ratification.progress.exclude(judgement="").count()
    if (
        judged < elements
        or not ratification.summary.strip()
        or not ratification.recommendation
        or not ratification.priorities.exists()
    ):
        raise TransitionError(
            "Judge the progress of every element, write the summary, agree at least one priority "
            "of the development plan and recommend renew or lapse before signing."
        )
    if missing := unconfirmed_criteria(cycle):
        raise TransitionError(
            "Confirm every Flagship criterion before signing. Not yet confirmed: "
            + "; ".join(missing)
            + "."
        )
    ratification.signed_by.add(by)
    record(
        authority=cycle.authority,
        actor=by,
        action="ratification.signed",
        obj=ratification,
        school=cycle.school,
    )
    if set(ratification.signed_by.values_list("pk", flat=True)) >= moderator_ids(cycle):
        ratification.ratified_at = timezone.now()
        ratification.save(update_fields=["ratified_at"])
        take("ratify", cycle, by, logged={"recommendation": ratification.recommendation})
    return ratification


def cluster_year(cycle):
    """What the school's cluster did in the year the review looks back on, to the update's
    submission (or today): what the annual update draws on."""
    end = timezone.localdate(cycle.submitted_at) if cycle.submitted_at else timezone.localdate()
    return activities_between(cycle.school, years_after(end, -1), end)

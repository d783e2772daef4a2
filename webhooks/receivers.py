"""The events webhooks are sent for, each written in the transaction of the change itself."""

from django.dispatch import receiver

from assessments.signals import cycle_stepped
from publishing.signals import list_published

from . import domain
from .models import Event

DECISION_STEPS = ("decide", "correct_decision")


@receiver(cycle_stepped, dispatch_uid="webhooks.cycle_stepped")
def on_cycle_stepped(sender, cycle, step, by, entry, **kwargs):
    """A step that moves the cycle (one with a target state) is `cycle.moved`; the panel's
    decision, and its correction, is also `decision.recorded`."""
    if step.target:
        domain.emit(
            authority=cycle.authority,
            event=Event.CYCLE_MOVED,
            data=domain.cycle_moved(cycle, step, entry),
        )
    if step.name in DECISION_STEPS:
        decision = cycle.decisions.last()
        if decision is not None:
            domain.emit(
                authority=cycle.authority,
                event=Event.DECISION_RECORDED,
                data=domain.decision_recorded(cycle, decision),
            )


@receiver(list_published, dispatch_uid="webhooks.list_published")
def on_list_published(sender, publication, by, **kwargs):
    domain.emit(
        authority=publication.authority,
        event=Event.LIST_PUBLISHED,
        data=domain.list_published(publication),
    )

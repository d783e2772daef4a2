"""Sending the webhook outbox: each delivery claimed once, retried with backoff and jitter.

A delivery row is written in the transaction of its event (webhooks/domain.py); `deliver` is
queued when that transaction commits. The worker claims the row (queued and due -> sending, in a
transaction with SKIP LOCKED and a conditional UPDATE, so one worker wins), sends it outside any
transaction, then records the outcome: sent, or back to queued with its next attempt's time
(exponential backoff with jitter), or failed after MAX_ATTEMPTS, from which the admin can send it
again. The next attempt is queued with a countdown; a task that arrives early finds the row not
due and does nothing.

`sweep`, run by beat every minute, queues again what lost its task (the broker was down at
commit, a countdown task was lost): rows queued and due for longer than GRACE, and rows left
'sending' by a worker that died (STUCK_AFTER, well above the 5-second timeout). A receiver may
then see a delivery twice; X-IQM-Delivery and the event's id are the same, so it can tell.
"""

import logging
import random
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from authorities.tasks import authority_task

from . import sending
from .models import Delivery

log = logging.getLogger(__name__)
State = Delivery.State
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds before the second attempt (before jitter)
BACKOFF_CAP = 6 * 3600
GRACE = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500


def backoff(attempts: int) -> float:
    """Seconds to wait after the `attempts`-th failed attempt: doubling from BACKOFF_BASE up to
    BACKOFF_CAP, then "equal jitter" (between half and all of it) so that deliveries failed
    together do not all come back at once."""
    delay = min(BACKOFF_CAP, BACKOFF_BASE * 2 ** (attempts - 1))
    return delay / 2 + random.uniform(0, delay / 2)


def queue_delivery(delivery_id, authority_id, countdown=None):
    """Queue the task once the current transaction has committed."""
    transaction.on_commit(
        lambda: deliver.apply_async(args=[authority_id, delivery_id], countdown=countdown)
    )


@authority_task(acks_late=True)
def deliver(authority, delivery_id):
    delivery = claim(delivery_id)
    if delivery is None:
        return "not due"
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        outcome = sending.Outcome(None, "Not sent: the endpoint is switched off.", "")
        last = True
    else:
        outcome = sending.post(
            endpoint.url, endpoint.secret, delivery.event, str(delivery.uuid), delivery.payload
        )
        last = delivery.attempts >= MAX_ATTEMPTS
    now = timezone.now()
    changes = {
        "status_code": outcome.status,
        "last_error": outcome.error,
        "response_excerpt": outcome.excerpt,
        "state_changed_at": now,
    }
    if outcome.delivered:
        changes |= {"state": State.SENT, "delivered_at": now, "next_attempt_at": None}
        result = "sent"
    elif last:
        changes |= {"state": State.FAILED, "next_attempt_at": None}
        result = "failed"
    else:
        wait = backoff(delivery.attempts)
        changes |= {"state": State.QUEUED, "next_attempt_at": now + timedelta(seconds=wait)}
        result = "will retry"
    # Whatever happened to the row meanwhile (requeued by the sweep, sent again by hand): this
    # attempt's outcome is the latest.
    Delivery.objects.filter(pk=delivery.pk, state=State.SENDING).update(**changes)
    if result == "will retry":
        queue_delivery(delivery.pk, authority.pk, countdown=wait)
    if result != "sent":
        log.warning("Webhook delivery %s %s: %s", delivery.uuid, result, outcome.error)
    return result


def claim(delivery_id) -> Delivery | None:
    """Move the delivery from queued to sending if it is due; None if it is not queued, not yet
    due, or another worker holds it."""
    now = timezone.now()
    due = Q(state=State.QUEUED) & (Q(next_attempt_at__lte=now) | Q(next_attempt_at=None))
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True).filter(due, pk=delivery_id).first()
        )
        if delivery is None:
            return None
        claimed = Delivery.objects.filter(due, pk=delivery.pk).update(
            state=State.SENDING,
            attempts=F("attempts") + 1,
            last_attempt_at=now,
            state_changed_at=now,
        )
        if claimed != 1:
            return None
    return Delivery.objects.select_related("endpoint").get(pk=delivery.pk)


@shared_task(name="webhooks.tasks.sweep")
def sweep() -> int:
    """Queue again the deliveries whose task was lost or whose worker died while sending."""
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():  # every authority's deliveries
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=State.QUEUED, next_attempt_at__lt=now - GRACE)
                | Q(state=State.SENDING, state_changed_at__lt=now - STUCK_AFTER)
            )
            .order_by("state_changed_at")
            .values_list("pk", "authority_id", "state")[:SWEEP_BATCH]
        )
        for pk, authority_id, state in rows:
            if state == State.SENDING:
                Delivery.objects.filter(pk=pk, state=state).update(
                    state=State.QUEUED,
                    next_attempt_at=now,
                    state_changed_at=now,
                    last_error="The worker stopped while sending this, so it may or may not "
                    "have arrived: it is being sent again.",
                )
            queue_delivery(pk, authority_id)
    if rows:
        log.warning("Queued %d lost or stuck webhook deliveries again.", len(rows))
    return len(rows)

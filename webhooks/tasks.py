"""Sending the webhook outbox: each delivery claimed once, retried with backoff and jitter.

A delivery row is written in the transaction of its event (webhooks/domain.py); `deliver` is
queued when that transaction commits. The worker claims the row (queued and due -> sending, in a
transaction with SKIP LOCKED and a conditional UPDATE, so one worker wins), sends it outside any
transaction, then records the outcome: sent, or back to queued with its next attempt's time
(exponential backoff with jitter), or failed after MAX_ATTEMPTS, from which the admin can send it
again. The next attempt is queued with a countdown; a task that arrives early finds the row not
due and does nothing. The outcome is written only if the row is still this attempt's (sending,
with this attempt's number and start): an attempt the sweep has given up on, finishing late, does
not overwrite the newer attempt's outcome.

`sweep`, run by beat every minute, queues again what lost its task (the broker was down at
commit, a countdown task was lost): rows queued and due for longer than GRACE, and rows left
'sending' by a worker that died (STUCK_AFTER, well above an attempt's overall deadline,
sending.DEADLINE). A receiver may then see a delivery twice; X-IQM-Delivery and the event's id
are the same, so it can tell. A row left 'sending' after its last attempt (one that keeps
killing its worker) is failed, not queued again.
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
from .models import Delivery, Event

log = logging.getLogger(__name__)
State = Delivery.State
MAX_ATTEMPTS = 8
BACKOFF_BASE = 30  # seconds before the second attempt (before jitter)
BACKOFF_CAP = 6 * 3600
GRACE = timedelta(minutes=2)
STUCK_AFTER = timedelta(minutes=5)
SWEEP_BATCH = 500
SWITCHED_OFF = "Not sent: the endpoint is switched off."


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
    return record(delivery, attempt(delivery))


def attempt(delivery) -> sending.Outcome:
    """Send the claimed delivery once. A switched-off endpoint is sent only test events (the
    admin tries it before switching it on)."""
    endpoint = delivery.endpoint
    if not endpoint.is_active and delivery.event != Event.PING:
        return sending.Outcome(None, SWITCHED_OFF, "", final=True)
    return sending.post(
        endpoint.url, endpoint.secret, delivery.event, str(delivery.uuid), delivery.payload
    )


def record(delivery, outcome) -> str:
    """Write the attempt's outcome, if the row is still this attempt's, and queue the next."""
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
    elif outcome.final or delivery.attempts >= MAX_ATTEMPTS:
        changes |= {"state": State.FAILED, "next_attempt_at": None}
        result = "failed"
    else:
        wait = backoff(delivery.attempts)
        changes |= {"state": State.QUEUED, "next_attempt_at": now + timedelta(seconds=wait)}
        result = "will retry"
    # Only if the row is still this attempt's: the sweep may have given it up as stuck and a newer
    # attempt claimed it since (its outcome is the one to keep).
    mine = Delivery.objects.filter(
        pk=delivery.pk,
        state=State.SENDING,
        attempts=delivery.attempts,
        last_attempt_at=delivery.last_attempt_at,
    ).update(**changes)
    if not mine:
        log.warning(
            "Webhook delivery %s: attempt %d finished after a newer one began; its outcome (%s) "
            "is not recorded.",
            delivery.uuid,
            delivery.attempts,
            outcome.error or "sent",
        )
        return "superseded"
    if result == "will retry":
        queue_delivery(delivery.pk, delivery.authority_id, countdown=wait)
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
            .values_list("pk", "authority_id", "state", "attempts")[:SWEEP_BATCH]
        )
        for pk, authority_id, state, attempts in rows:
            if state == State.SENDING and attempts >= MAX_ATTEMPTS:
                Delivery.objects.filter(pk=pk, state=state).update(
                    state=State.FAILED,
                    next_attempt_at=None,
                    state_changed_at=now,
                    last_error="The worker stopped while sending this, on the last attempt, so it "
                    "may or may not have arrived: it is not sent again unless you send it again.",
                )
                continue
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
        log.warning("Queued again, or failed, %d lost or stuck webhook deliveries.", len(rows))
    return len(rows)

"""Sending the outbox: each message once, retried with backoff, failures kept for the admin.

Exactly once, as far as a database and an SMTP server allow:

- A worker claims a message by moving it from queued to sending in a transaction (row locked
  with SKIP LOCKED, then a conditional UPDATE ... WHERE state = 'queued'). Only one worker can win;
  any other run of the same task (a duplicate delivery, a late retry) finds it not queued and
  does nothing. A sent message is never claimed again.
- The email is sent outside that transaction (no row lock held over the network), then the
  message is marked sent.
- A failed send goes back to queued (attempts and the error kept) and Celery retries it with
  backoff; the last retry marks it failed, which the authority admin sees on the outbox page and
  can send again.

The window that remains: a worker killed after the SMTP server accepted the email but before
the message is marked sent leaves it in 'sending'. Nothing can tell from here whether the email
left. (With acks_late and reject-on-worker-lost the task is delivered again, but that run finds
the message 'sending' and does nothing.) `requeue_stuck`, run by beat every few minutes, puts a
message that has been 'sending' for STUCK_AFTER back in the queue, so it is sent: the recipient
may then get it twice, which we prefer to never getting it. The message keeps the same Message-ID
header, so mail systems that drop duplicate Message-IDs (Gmail does) show it once. Keep
EMAIL_TIMEOUT well under STUCK_AFTER so that a slow, live worker is not taken for a dead one.
"""

import logging
from datetime import timedelta
from smtplib import SMTPException
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_scopes import scopes_disabled

from authorities.tasks import authority_task, enqueue

from .models import OutboxMessage

log = logging.getLogger(__name__)
State = OutboxMessage.State
RETRY_ON = (OSError, SMTPException)
MAX_RETRIES = 5
# A message 'sending' this long belongs to a worker that died: send it again.
STUCK_AFTER = timedelta(minutes=10)
# A message 'queued' this long has lost its task (the broker lost it, or it was down when the
# transaction committed): queue it again. Retries come back far sooner (backoff of at most 16 s).
LOST_AFTER = timedelta(minutes=30)
REQUEUE_BATCH = 500


@authority_task(autoretry_for=RETRY_ON, retry_backoff=True, max_retries=MAX_RETRIES, acks_late=True)
def send_message(authority, message_id):
    message = claim(message_id)
    if message is None:
        return "not queued"
    try:
        build_email(authority, message).send()
    except Exception as error:
        last = (
            not isinstance(error, RETRY_ON)
            or send_message.request.retries >= send_message.max_retries
        )
        OutboxMessage.objects.filter(pk=message.pk, state=State.SENDING).update(
            state=State.FAILED if last else State.QUEUED,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            state_changed_at=timezone.now(),
        )
        log.warning(
            "Email %s to %s %s: %s",
            message.pk,
            message.to,
            "failed" if last else "will be retried",
            error,
        )
        raise  # Celery retries OSError and SMTPException with backoff; the last retry gives up
    now = timezone.now()
    # Sent is sent, whatever happened to the row meanwhile (e.g. requeued by requeue_stuck).
    OutboxMessage.objects.filter(pk=message.pk).exclude(state=State.SENT).update(
        state=State.SENT, sent_at=now, state_changed_at=now
    )
    return "sent"


def claim(message_id) -> OutboxMessage | None:
    """Move the message from queued to sending; None if it is not queued (or another worker
    holds it)."""
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, state=State.QUEUED)
            .first()
        )
        if message is None:
            return None
        claimed = OutboxMessage.objects.filter(pk=message.pk, state=State.QUEUED).update(
            state=State.SENDING, attempts=F("attempts") + 1, state_changed_at=timezone.now()
        )
        if claimed != 1:  # databases without SELECT ... FOR UPDATE (SQLite) rely on this
            return None
    message.refresh_from_db()
    return message


def build_email(authority, message) -> EmailMessage:
    host = urlsplit(settings.SITE_URL).hostname or "iqm-portal"
    return EmailMessage(
        subject=message.subject,
        body=message.body,
        to=[message.to],
        headers={
            "Message-ID": f"<notification.{authority.pk}.{message.pk}@{host}>",
            "Auto-Submitted": "auto-generated",
        },
    )


@shared_task(name="notifications.tasks.requeue_stuck")
def requeue_stuck() -> int:
    """Queue again the messages whose worker died while sending, or whose task was lost."""
    now = timezone.now()
    with scopes_disabled(), transaction.atomic():  # every authority's outbox: a periodic sweep
        rows = list(
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(
                Q(state=State.SENDING, state_changed_at__lt=now - STUCK_AFTER)
                | Q(state=State.QUEUED, state_changed_at__lt=now - LOST_AFTER)
            )
            .order_by("state_changed_at")
            .values_list("pk", "authority_id", "state")[:REQUEUE_BATCH]
        )
        for pk, authority_id, state in rows:
            changes = {"state": State.QUEUED, "state_changed_at": now}
            if state == State.SENDING:
                changes["last_error"] = (
                    "The worker stopped while sending this email, so it may or may not have "
                    "gone: it is being sent again."
                )
            OutboxMessage.objects.filter(pk=pk, state=state).update(**changes)
            enqueue(send_message, authority_id, pk)
    if rows:
        log.warning("Requeued %d stuck or lost emails.", len(rows))
    return len(rows)


@shared_task(name="notifications.tasks.send_reminders")
def send_reminders() -> int:
    """The daily reminders (reminders.py), run by beat early each morning."""
    from .reminders import run  # imported here: reminders uses domain, which imports this module

    return run()

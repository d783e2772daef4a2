"""Notifications: queueing emails in the outbox, and the authority's own email templates.

Every state change of the portal tells people by calling `notify` inside its own transaction:
the messages are rendered and saved with the change, and queued for sending only once it has
committed. If the change rolls back, no message exists and nothing is sent.
"""

import logging

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from audit.domain import record
from authorities.tasks import enqueue

from .kinds import Kind, get_kind
from .models import BODY_MAX, SUBJECT_MAX, EmailTemplate, OutboxMessage
from .rendering import TemplateProblem, check_text, render_body, render_subject
from .tasks import send_message

log = logging.getLogger(__name__)
State = OutboxMessage.State
DEDUPE_KEY_MAX = OutboxMessage._meta.get_field("dedupe_key").max_length


class NotFailed(Exception):
    """Only a message that could not be sent can be sent again."""


# Queueing


def notify(*, authority, key, recipients, context, dedupe_key) -> list[OutboxMessage]:
    """Queue the email of kind `key` to each recipient (email addresses or users).

    `context` holds the kind's documented variables (kinds.py) as plain values; `authority` is
    filled in. `dedupe_key` names the event, not the moment
    (e.g. f"cycle.{cycle.pk}.returned.{review.pk}"): a recipient who already has a message with
    this key in this authority gets no second one, even when callers race (the unique constraint
    decides). Returns the messages made now.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "notify() must be called inside the transaction of the change it reports."
        )
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_MAX:
        raise ValueError(f"dedupe_key must be 1 to {DEDUPE_KEY_MAX} characters.")
    kind = get_kind(key)
    addresses = _addresses(recipients)
    existing = set(
        OutboxMessage.objects.filter(
            authority=authority, dedupe_key=dedupe_key, to__in=addresses
        ).values_list("to", flat=True)
    )
    if not set(addresses) - existing:
        return []
    subject, body = render_message(authority, kind, context)
    made = []
    for to in addresses:
        if to in existing:
            continue
        message, created = OutboxMessage.objects.get_or_create(
            authority=authority,
            dedupe_key=dedupe_key,
            to=to,
            defaults={"key": key, "subject": subject, "body": body},
        )
        if created:
            enqueue_send(message)
            made.append(message)
    return made


def enqueue_send(message):
    enqueue(send_message, message.authority_id, message.pk)


def _addresses(recipients) -> list[str]:
    addresses = []
    for recipient in recipients:
        address = (getattr(recipient, "email", recipient) or "").strip().lower()
        if not address:
            continue
        validate_email(address)
        if address not in addresses:
            addresses.append(address)
    return addresses


def context_for(authority, kind: Kind, context: dict) -> dict:
    """The documented variables only: an undocumented one is a programming error, not data."""
    values = {"authority": authority.name, **context}
    unknown = set(values) - set(kind.variables)
    if unknown:
        raise ValueError(
            f"{kind.key} has no variable {', '.join(sorted(unknown))}: "
            "document it in notifications/kinds.py."
        )
    return values


def texts_for(kind: Kind, template: EmailTemplate | None) -> tuple[str, str]:
    return (template.subject, template.body) if template else (kind.subject, kind.body)


def render_message(authority, kind: Kind, context: dict) -> tuple[str, str]:
    """The subject and body from the authority's own template, or the default one.

    An authority's template was checked when it was saved; should it still fail with real values,
    the email goes out with the default text rather than not at all.
    """
    values = context_for(authority, kind, context)
    template = EmailTemplate.objects.filter(authority=authority, key=kind.key).first()
    if template is not None:
        try:
            return render_subject(template.subject, values), render_body(template.body, values)
        except Exception:
            log.exception(
                "Email template %s of %s failed; the default text is used.",
                kind.key,
                authority.slug,
            )
    return render_subject(kind.subject, values), render_body(kind.body, values)


@transaction.atomic
def send_again(*, authority, by, message: OutboxMessage) -> None:
    """Put a failed message back in the queue (a new round of retries)."""
    requeued = OutboxMessage.objects.filter(
        authority=authority, pk=message.pk, state=State.FAILED
    ).update(state=State.QUEUED, state_changed_at=timezone.now())
    if not requeued:
        raise NotFailed("Only an email that could not be sent can be sent again.")
    record(
        authority=authority,
        actor=by,
        action="email.sent_again",
        obj=message,
        before={"state": State.FAILED},
        after={"state": State.QUEUED},
    )
    enqueue_send(message)


# The authority's templates


TEXT_RULES = {
    "subject": (SUBJECT_MAX, "Enter a subject."),
    "body": (BODY_MAX, "Enter the message."),
}


def text_errors(kind: Kind, **texts: str) -> dict[str, str]:
    """{field: message} for each text (subject=..., body=...) that is empty, too long, does not
    compile (the message names the line) or uses a variable the kind does not have."""
    errors = {}
    for field, text in texts.items():
        limit, empty = TEXT_RULES[field]
        if not text.strip():
            errors[field] = empty
        elif len(text) > limit:
            errors[field] = f"The {field} must be {limit} characters or fewer (it has {len(text)})."
        else:
            try:
                check_text(text, kind.variables, {**kind.sample, "authority": "Example Council"})
            except TemplateProblem as problem:
                errors[field] = str(problem)
    return errors


def preview(authority, kind: Kind, subject: str, body: str) -> tuple[str, str]:
    """The texts rendered with the kind's example values (check them with text_errors first)."""
    values = {**kind.sample, "authority": authority.name}
    return render_subject(subject, values), render_body(body, values)


def _snapshot(key, subject, body):
    # audit.domain drops a field called "key" (it means a secret there): call it "kind".
    return {"kind": key, "subject": subject, "body": body}


@transaction.atomic
def save_template(*, authority, by, key: str, subject: str, body: str) -> EmailTemplate:
    kind = get_kind(key)
    subject, body = subject.strip(), body.replace("\r\n", "\n").strip()
    if errors := text_errors(kind, subject=subject, body=body):
        raise ValidationError(errors)
    template = (
        EmailTemplate.objects.select_for_update().filter(authority=authority, key=key).first()
    )
    before = _snapshot(key, *texts_for(kind, template))
    if template is None:
        template = EmailTemplate(authority=authority, key=key)
    template.subject, template.body, template.updated_by = subject, body, by
    template.save()
    record(
        authority=authority,
        actor=by,
        action="email_template.changed",
        obj=template,
        before=before,
        after=_snapshot(key, subject, body),
    )
    return template


@transaction.atomic
def reset_template(*, authority, by, key: str) -> bool:
    """Go back to the default text; False if the authority had not changed it."""
    kind = get_kind(key)
    template = (
        EmailTemplate.objects.select_for_update().filter(authority=authority, key=key).first()
    )
    if template is None:
        return False
    record(
        authority=authority,
        actor=by,
        action="email_template.reset",
        obj=template,
        before=_snapshot(key, template.subject, template.body),
        after=_snapshot(key, kind.subject, kind.body),
    )
    template.delete()
    return True

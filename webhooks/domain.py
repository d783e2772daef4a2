"""Webhooks: an authority's endpoints, and the events written to them through the outbox.

An event (`emit`) becomes one Delivery row per active endpoint that asked for it, written in the
event's own transaction: a step rolled back sends nothing, a step committed is sent, by
webhooks/tasks.py once the transaction commits. The body is

    {"id": "<event uuid>", "type": "cycle.moved", "occurred_at": "<ISO 8601>",
     "authority": "<authority slug>", "data": {...}}

with, in `data`: for cycle.moved, cycle_id, school_id, school_name, kind, step, from_state,
to_state; for decision.recorded, decision_id, cycle_id, school_id, school_name, kind, outcome,
tier and corrects (the decision it corrects, or null); for list.published, version, published_at,
awarded and working_towards (counts) and url (the public list). Nothing that is not already known
to the authority's admins or public: no self-review, report or visit text, no rationale, no
person. webhooks/sending.py says how requests are signed and how a receiver checks them.
"""

import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from audit.domain import record

from . import sending
from .models import Delivery, Endpoint, Event
from .tasks import queue_delivery

State = Delivery.State
SECRET_PREFIX = "whsec_"


class NotResendable(Exception):
    """A delivery still on its way cannot be sent again."""


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def check_url(url: str) -> None:
    """ValidationError with the reason if events may not be sent to `url` (sending.check)."""
    try:
        sending.check(url)
    except sending.Refused as refusal:
        raise ValidationError({"url": str(refusal)}) from None


def check_change(endpoint, url: str, is_active: bool) -> None:
    """Check the URL (check_url) of an endpoint registered (`endpoint` None) or changed, only when
    it is new or changed or the endpoint is switched on: an admin can still rename, or switch off,
    an endpoint whose host no longer resolves to a public address (each delivery checks again)."""
    if endpoint is None or url != endpoint.url or (is_active and not endpoint.is_active):
        check_url(url)


def _clean_events(events) -> list[str]:
    chosen = [value for value, _ in Event.choices if value in set(events) and value != Event.PING]
    if not chosen:
        raise ValidationError({"events": "Choose at least one event to send."})
    return chosen


def _audited(endpoint) -> dict:
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "active": endpoint.is_active,
    }


@transaction.atomic
def create_endpoint(*, authority, by, name, url, events, is_active=True) -> Endpoint:
    """Register an endpoint with a new secret (shown to the admin once, by the view)."""
    check_url(url)
    endpoint = Endpoint.objects.create(
        authority=authority,
        name=name,
        url=url,
        events=_clean_events(events),
        secret=new_secret(),
        is_active=is_active,
    )
    record(
        authority=authority,
        actor=by,
        action="webhook.created",
        obj=endpoint,
        after=_audited(endpoint),
    )
    return endpoint


@transaction.atomic
def update_endpoint(*, endpoint, by, name, url, events, is_active) -> Endpoint:
    endpoint = Endpoint.objects.select_for_update(no_key=True).get(pk=endpoint.pk)
    check_change(endpoint, url, is_active)
    before = _audited(endpoint)
    endpoint.name, endpoint.url, endpoint.is_active = name, url, is_active
    endpoint.events = _clean_events(events)
    endpoint.save()
    record(
        authority=endpoint.authority,
        actor=by,
        action="webhook.changed",
        obj=endpoint,
        before=before,
        after=_audited(endpoint),
    )
    return endpoint


@transaction.atomic
def new_endpoint_secret(*, endpoint, by) -> str:
    """A new secret: the old one stops signing at once."""
    secret = new_secret()
    Endpoint.objects.filter(pk=endpoint.pk).update(secret=secret, updated_at=timezone.now())
    record(authority=endpoint.authority, actor=by, action="webhook.secret_changed", obj=endpoint)
    return secret


@transaction.atomic
def delete_endpoint(*, endpoint, by) -> None:
    """The endpoint and its delivery log go; the audit log keeps that it existed."""
    record(
        authority=endpoint.authority,
        actor=by,
        action="webhook.deleted",
        obj=endpoint,
        before=_audited(endpoint),
    )
    endpoint.deliveries.all().delete()
    endpoint.delete()


# Events


def _queue(authority, endpoints, event, data) -> list[Delivery]:
    if not endpoints:
        return []
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": str(event),
        "occurred_at": timezone.now().isoformat(),
        "authority": authority.slug,
        "data": data,
    }
    deliveries = Delivery.objects.bulk_create(
        Delivery(
            authority=authority, endpoint=endpoint, event_id=event_id, event=event, payload=payload
        )
        for endpoint in endpoints
    )
    for delivery in deliveries:
        queue_delivery(delivery.pk, authority.pk)
    return deliveries


def emit(*, authority, event, data) -> list[Delivery]:
    """Write the event to every active endpoint of the authority that asked for it, in the
    caller's transaction; each is sent once that transaction commits."""
    endpoints = [e for e in Endpoint.objects.filter(authority=authority) if e.wants(event)]
    return _queue(authority, endpoints, event, data)


@transaction.atomic
def send_test(*, endpoint, by) -> Delivery:
    """A `ping` event to this endpoint only, active or not (to try it before switching it on):
    tasks.attempt sends a switched-off endpoint its test events, and nothing else."""
    [delivery] = _queue(
        endpoint.authority,
        [endpoint],
        Event.PING,
        {"message": "A test event from the IQM Portal.", "endpoint": endpoint.name},
    )
    record(authority=endpoint.authority, actor=by, action="webhook.test_sent", obj=endpoint)
    return delivery


@transaction.atomic
def send_again(*, delivery, by) -> None:
    """Queue a sent or failed delivery again, with a new round of attempts; the body, and so the
    event's id, stay as they were."""
    now = timezone.now()
    requeued = Delivery.objects.filter(pk=delivery.pk, state__in=[State.SENT, State.FAILED]).update(
        state=State.QUEUED, attempts=0, next_attempt_at=now, state_changed_at=now
    )
    if not requeued:
        raise NotResendable("This delivery is still being sent: wait for it to finish.")
    record(
        authority=delivery.authority,
        actor=by,
        action="webhook.sent_again",
        obj=delivery.endpoint,
        after={"delivery": str(delivery.uuid), "event": delivery.event},
    )
    queue_delivery(delivery.pk, delivery.authority_id)


# What each event says


def cycle_moved(cycle, step, entry) -> dict:
    return {
        "cycle_id": cycle.pk,
        "school_id": cycle.school_id,
        "school_name": cycle.school.name,
        "kind": cycle.kind,
        "step": step.name,
        "from_state": (entry.before or {}).get("state") if entry else None,
        "to_state": cycle.state,
    }


def decision_recorded(cycle, decision) -> dict:
    return {
        "decision_id": decision.pk,
        "cycle_id": cycle.pk,
        "school_id": cycle.school_id,
        "school_name": cycle.school.name,
        "kind": cycle.kind,
        "outcome": decision.outcome,
        "tier": decision.tier or None,
        "corrects": decision.corrects_id,
    }


def list_published(publication) -> dict:
    content = publication.content
    return {
        "version": publication.version,
        "published_at": publication.published_at.isoformat(),
        "awarded": sum(len(area["schools"]) for area in content.get("areas", [])),
        "working_towards": len(content.get("working_towards", [])),
        "url": settings.SITE_URL + reverse("publishing:awards", args=[publication.authority.slug]),
    }

import uuid

from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from authorities.models import Authority


class Event(models.TextChoices):
    """What an endpoint may be sent. `ping` is the test event an admin sends by hand."""

    CYCLE_MOVED = "cycle.moved", "A cycle moved to another state"
    DECISION_RECORDED = "decision.recorded", "The panel's decision was recorded (or corrected)"
    LIST_PUBLISHED = "list.published", "The awarded-schools list was published"
    PING = "ping", "Test event"


SUBSCRIBABLE = [(value, label) for value, label in Event.choices if value != Event.PING]


class Endpoint(models.Model):
    """An address of the authority's own system that the portal sends events to, signed with the
    endpoint's secret (webhooks/domain.py says how to check a signature)."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100, help_text="What the admins call it.")
    url = models.URLField("address", max_length=500)
    events = models.JSONField(default=list, help_text="The event types it is sent.")
    secret = models.CharField(max_length=100, help_text="The key of its HMAC-SHA256 signatures.")
    is_active = models.BooleanField("active", default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self):
        return self.name

    @property
    def event_labels(self):
        return [Event(event).label for event in self.events]

    def wants(self, event) -> bool:
        return self.is_active and (event == Event.PING or event in self.events)


class Delivery(models.Model):
    """One event for one endpoint, written in the event's own transaction (the outbox): queued ->
    sending -> sent; a failed attempt goes back to queued with its next attempt's time, until the
    last, after which it is failed and the admin may send it again."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Delivered"
        FAILED = "failed", "Failed"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(help_text="The event's id: the same for every endpoint sent it.")
    event = models.CharField(max_length=40, choices=Event.choices)
    payload = models.JSONField(help_text="The body sent: id, type, occurred_at, authority, data.")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint("endpoint", "event_id", name="webhook_delivery_one_per_event"),
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "sending", "sent", "failed"]),
                name="webhook_delivery_state_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_endpoint"),
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id}"

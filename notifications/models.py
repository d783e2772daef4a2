from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from authorities.models import Authority

SUBJECT_MAX = 200
BODY_MAX = 10_000


class EmailTemplate(models.Model):
    """An authority's own text for one kind of notification, in place of the default (kinds.py)."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=60)
    subject = models.CharField(max_length=SUBJECT_MAX)
    body = models.TextField(max_length=BODY_MAX)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint("authority", "key", name="email_template_unique_key")
        ]

    def __str__(self):
        return self.key


class OutboxMessage(models.Model):
    """One email to one person, rendered when it was queued: what is kept is what was sent.

    queued -> sending -> sent; a failed attempt goes back to queued until the last retry, then to
    failed, from which the authority admin can send it again. (dedupe_key, to) is unique in an
    authority, so the same event never makes two messages to one person.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    key = models.CharField("kind", max_length=60)
    to = models.EmailField()
    subject = models.CharField(max_length=255)
    body = models.TextField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(
        default=0, help_text="Times a worker has started sending it."
    )
    last_error = models.TextField(blank=True)
    dedupe_key = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    state_changed_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "authority", "dedupe_key", "to", name="outbox_message_unique_event_recipient"
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=["queued", "sending", "sent", "failed"]),
                name="outbox_message_state_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["authority", "state", "-created_at"], name="outbox_authority_state"
            ),
            models.Index(fields=["authority", "-created_at"], name="outbox_authority_created"),
            models.Index(fields=["state", "state_changed_at"], name="outbox_state_changed"),
        ]

    def __str__(self):
        return f"{self.key} to {self.to}"


class Reminder(models.Model):
    """A milestone the daily reminders job has told people of (notifications/reminders.py).

    (what, object, milestone) is unique: the job claims the milestone by inserting this row in the
    transaction that queues its emails, so a second run, or another worker running at once,
    finds it claimed and sends nothing.
    """

    class What(models.TextChoices):
        AWARD = "award", "Award"
        TARGET = "target", "Action-plan target"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    what = models.CharField(max_length=10, choices=What.choices)
    object_id = models.PositiveBigIntegerField()
    # "lead", "month" or "lapsed" for an award; "overdue.<deadline>" for a target, so that a
    # target given a new deadline is reminded again when that one passes.
    milestone = models.CharField(max_length=30)
    key = models.CharField("kind", max_length=60, help_text="The notification sent.")
    on = models.DateField(help_text="The day of the job's run that reached it.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-on", "-id"]
        constraints = [
            models.UniqueConstraint(
                "what", "object_id", "milestone", name="reminder_unique_milestone"
            )
        ]

    def __str__(self):
        return f"{self.what} {self.object_id}: {self.milestone}"

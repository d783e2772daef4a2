from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from assessments.models import Element
from authorities.models import Authority
from schools.models import School


class Workshop(models.Model):
    """A workshop a mentor runs for the authority's schools: a number of places, then a waiting
    list."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField("date and time")
    place = models.CharField(max_length=200, help_text="Where it is held, or how to join online.")
    capacity = models.PositiveSmallIntegerField(help_text="How many people it has places for.")
    elements = models.ManyToManyField(
        Element, blank=True, related_name="+", verbose_name="elements covered"
    )
    description = models.TextField(max_length=5000, blank=True)
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The mentor who runs it and records who attended.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(capacity__gte=1), name="workshop_capacity")
        ]

    def __str__(self):
        return f"{self.title} ({timezone.localtime(self.starts_at):%d %b %Y %H:%M})"

    @property
    def is_past(self) -> bool:
        return self.starts_at <= timezone.now()


class Booking(models.Model):
    """A person's place at a workshop, or their place in its waiting list, for one of their
    schools. A cancelled booking is deleted (the audit log keeps it)."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Has a place"
        WAITING = "waiting", "On the waiting list"

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="bookings")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices)
    attended = models.BooleanField(null=True, help_text="Recorded by the mentor afterwards.")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="workshop__authority")

    class Meta:
        # Sign-up order, which is the waiting list's order.
        ordering = ["pk"]
        constraints = [models.UniqueConstraint("workshop", "person", name="booking_one_per_person")]

    def __str__(self):
        return f"User {self.person_id} at workshop {self.workshop_id}: {self.status}"

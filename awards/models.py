from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority
from schools.models import School


class Tier(models.TextChoices):
    QUALITY_MARK = "quality_mark", "Inclusion Quality Mark"
    CENTRE_OF_EXCELLENCE = "centre_of_excellence", "Centre of Excellence"
    FLAGSHIP = "flagship", "Flagship"


class Award(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="awards")
    tier = models.CharField(max_length=30, choices=Tier.choices)
    awarded_on = models.DateField()
    expires_on = models.DateField()
    # The panel's decision it was made by (moderation, a layer above: named, not imported).
    decision = models.OneToOneField(
        "moderation.Decision",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="award",
    )
    withdrawn_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when a correction replaces the decision."
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-awarded_on", "pk"]
        db_table = "moderation_award"  # made by the moderation app before awards had its own

    def __str__(self):
        return f"{self.school}: {self.get_tier_display()} ({self.awarded_on:%Y})"


class Plaque(models.Model):
    """The physical plaque a school receives with its award: when it was ordered and sent."""

    class Status(models.TextChoices):
        TO_ORDER = "to_order", "To order"
        ORDERED = "ordered", "Ordered"
        SENT = "sent", "Sent"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    award = models.OneToOneField(Award, on_delete=models.PROTECT, related_name="plaque")
    ordered_on = models.DateField(null=True, blank=True)
    sent_on = models.DateField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sent_on=None)
                | models.Q(ordered_on__isnull=False, sent_on__gte=models.F("ordered_on")),
                name="plaque_sent_once_ordered",
            ),
        ]

    def __str__(self):
        return f"Plaque of {self.award}"

    @property
    def status(self) -> "Plaque.Status":
        if self.sent_on:
            return self.Status.SENT
        return self.Status.ORDERED if self.ordered_on else self.Status.TO_ORDER

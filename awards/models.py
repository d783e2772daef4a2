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

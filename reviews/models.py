"""The annual review of a Centre of Excellence or Flagship school: the school's annual update
against every element, and the visit's ratification with the agreed development plan. The visit,
the panel's vote and its decision are moderation's."""

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from assessments.models import Cycle, Element

TEXT_LIMIT = 5000  # characters in each of an update's texts


class Update(models.Model):
    """The school's annual update of one element. `version` goes up with every save, so a save
    made from an out-of-date copy is refused rather than overwriting someone else's work."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="updates")
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=0)
    progress = models.TextField("progress this year", blank=True, max_length=TEXT_LIMIT)
    plans = models.TextField("plans for next year", blank=True, max_length=TEXT_LIMIT)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        constraints = [models.UniqueConstraint("cycle", "element", name="update_unique_element")]

    def __str__(self):
        return f"Cycle {self.cycle_id}: annual update of element {self.element_id}"

    @property
    def is_complete(self):
        return bool(self.progress.strip() and self.plans.strip())


class Ratification(models.Model):
    """The visiting moderator(s)' record of the annual visit: a draft until every moderator of the
    visit has signed it, then final and read-only."""

    class Recommendation(models.TextChoices):
        RENEW = "renew", "Renew"
        LAPSE = "lapse", "Lapse"

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="ratification")
    summary = models.TextField(blank=True, max_length=10000)
    recommendation = models.CharField(max_length=10, choices=Recommendation.choices, blank=True)
    signed_by = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    ratified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=0)

    objects = ScopedManager(authority="cycle__authority")

    def __str__(self):
        state = "ratified" if self.ratified_at else "draft"
        return f"Cycle {self.cycle_id}: ratification ({state})"


class ElementProgress(models.Model):
    """Whether the visit ratifies the year's progress on one element."""

    class Judgement(models.TextChoices):
        RATIFIED = "ratified", "Ratified"
        NOT_YET = "not_yet", "Not yet"

    ratification = models.ForeignKey(
        Ratification, on_delete=models.CASCADE, related_name="progress"
    )
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    judgement = models.CharField(max_length=10, choices=Judgement.choices, blank=True)
    comment = models.TextField(blank=True, max_length=TEXT_LIMIT)

    objects = ScopedManager(authority="ratification__cycle__authority")

    class Meta:
        ordering = ["element__number"]
        constraints = [
            models.UniqueConstraint("ratification", "element", name="progress_unique_element")
        ]

    def __str__(self):
        judgement = self.get_judgement_display() or "not judged"
        return f"Ratification {self.ratification_id}: element {self.element_id}, {judgement}"


class Priority(models.Model):
    """One priority of the annual development plan agreed at the visit."""

    ratification = models.ForeignKey(
        Ratification, on_delete=models.CASCADE, related_name="priorities"
    )
    element = models.ForeignKey(Element, on_delete=models.PROTECT, related_name="+")
    action = models.TextField(max_length=1000)
    lead = models.CharField("lead person", max_length=150)
    by_when = models.DateField("by when")

    objects = ScopedManager(authority="ratification__cycle__authority")

    class Meta:
        ordering = ["element__number", "by_when", "pk"]

    def __str__(self):
        return self.action[:80]

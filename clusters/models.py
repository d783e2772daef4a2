from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority
from schools.models import School


class Cluster(models.Model):
    """The network of partner schools a school leads: Centre of Excellence needs at least two."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    lead_school = models.OneToOneField(School, on_delete=models.PROTECT, related_name="cluster")
    name = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    def __str__(self):
        return self.name


class Partner(models.Model):
    """A partner school: one in the portal (of any authority), or one outside it, by name only."""

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="partners")
    # Another authority's school: only its name is ever shown here.
    school = models.ForeignKey(
        School, on_delete=models.PROTECT, null=True, blank=True, related_name="partnerships"
    )
    # A school outside the portal; or a school of another authority, by the name it had when it
    # joined: the cluster's authority may not read another authority's schools (row-level security,
    # authorities/rls.py), and shows a partner school of another authority only by its name.
    name = models.CharField(max_length=150, blank=True, help_text="A school outside the portal.")
    added_at = models.DateTimeField(auto_now_add=True)
    # Kept when removed, so the meetings it attended still name it.
    removed_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="cluster__authority")

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                "cluster",
                "school",
                condition=models.Q(removed_at__isnull=True),
                name="partner_unique_school",
            ),
            models.CheckConstraint(
                condition=models.Q(school__isnull=False) | ~models.Q(name=""),
                name="partner_school_or_name",
            ),
        ]

    def __str__(self):
        # The name, not the school: str() of a row should not cost a query.
        return self.name or f"School {self.school_id}"

    @property
    def display_name(self) -> str:
        # clusters.domain.read_partners writes the API's partners from values as this does.
        return self.name or self.school.name


class Activity(models.Model):
    """One entry of the cluster's log, which the annual review draws on."""

    class Kind(models.TextChoices):
        COLLABORATION = "collaboration", "Collaborative activity"
        DISSEMINATION = "dissemination", "Dissemination of practice"
        MEETING = "meeting", "Cluster meeting"

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    date = models.DateField()
    title = models.CharField(max_length=200)
    description = models.TextField("what happened", max_length=5000)
    outcomes = models.TextField(max_length=5000, blank=True)
    # For a meeting: which partner schools came, and how many people in all.
    attended_by = models.ManyToManyField(
        Partner, blank=True, related_name="meetings_attended", verbose_name="partner schools"
    )
    attendance = models.PositiveIntegerField("people attending", null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="cluster__authority")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.get_kind_display()}: {self.title}"

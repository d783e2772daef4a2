from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority
from awards.models import Tier
from schools.models import School


class Publication(models.Model):
    """One published version of an authority's awarded-schools list. Never changed once made:
    `content` is exactly the public JSON document; the next publication supersedes it."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="publications")
    version = models.PositiveIntegerField()
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    content = models.JSONField(
        help_text="The public document: areas with their schools, and working_towards."
    )
    superseded_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the next version is published."
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint("authority", "version", name="publication_unique_version"),
            models.UniqueConstraint(
                "authority",
                condition=models.Q(superseded_at__isnull=True),
                name="publication_one_current",
            ),
        ]

    def __str__(self):
        return f"{self.authority} list, version {self.version}"


class PublishedSchool(models.Model):
    """An awarded school as one publication lists it, in rows for the national directory to
    search."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="schools")
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey(
        School, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    urn = models.CharField(max_length=7)
    name = models.CharField(max_length=150)
    area = models.CharField(max_length=100)
    phase = models.CharField(max_length=20, choices=School.Phase.choices)
    tier = models.CharField(max_length=30, choices=Tier.choices)
    awarded_on = models.DateField()
    expires_on = models.DateField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["name"]
        # The national directory's page order, and its nearest-schools box. On PostgreSQL, migration
        # 0002 adds a trigram index for its name search as well (SQLite has no such index).
        indexes = [
            models.Index("tier", "name", name="published_school_tier_name"),
            models.Index("name", "id", name="published_school_name"),
            models.Index("latitude", "longitude", name="published_school_place"),
        ]

    def __str__(self):
        return f"{self.name} ({self.get_tier_display()})"

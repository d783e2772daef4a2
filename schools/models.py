from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority

urn_validator = RegexValidator(
    r"^\d{6,7}$", "A URN is six or seven digits, as in Get Information about Schools."
)
postcode_validator = RegexValidator(
    r"^[A-Za-z]{1,2}\d[A-Za-z\d]? ?\d[A-Za-z]{2}$", "Enter a UK postcode, like BA1 2AB."
)


class Area(models.Model):
    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="areas")
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Areas are listed in this order."
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["position", "name"]
        constraints = [models.UniqueConstraint("authority", "name", name="area_unique_name")]

    def __str__(self):
        return self.name


class School(models.Model):
    class Phase(models.TextChoices):
        NURSERY = "nursery", "Nursery"
        INFANT = "infant", "Infant"
        JUNIOR = "junior", "Junior"
        PRIMARY = "primary", "Primary"
        SECONDARY = "secondary", "Secondary"
        ALL_THROUGH = "all_through", "All-through"
        SPECIAL = "special", "Special"
        ALTERNATIVE = "alternative", "Alternative provision"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="schools")
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="schools", null=True, blank=True
    )
    name = models.CharField(max_length=150)
    urn = models.CharField(
        "URN", max_length=7, validators=[urn_validator], help_text="Unique reference number."
    )
    phase = models.CharField(max_length=20, choices=Phase.choices)
    roll_size = models.PositiveIntegerField(
        "number of pupils", null=True, blank=True, validators=[MaxValueValidator(10000)]
    )
    address = models.TextField(max_length=300, blank=True)
    postcode = models.CharField(max_length=8, blank=True, validators=[postcode_validator])
    establishment_type = models.CharField(
        max_length=100, blank=True, help_text="As in Get Information about Schools."
    )
    # WGS84, for the national directory's "nearest schools"; imported from GIAS eastings and
    # northings.
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(49.0), MaxValueValidator(61.0)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-9.0), MaxValueValidator(2.5)]
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint("authority", "urn", name="school_unique_urn")]

    def __str__(self):
        return self.name


class SchoolImport(models.Model):
    """A GIAS extract as read on upload, kept between its preview and its confirmation.

    Only the parsed rows are kept (not the file), so the confirmation applies exactly what was
    read, whatever the browser sends back; `applied_at` makes it apply once.
    """

    authority = models.ForeignKey(
        Authority, on_delete=models.PROTECT, related_name="school_imports"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    rows = models.JSONField(help_text="School fields by row, as read from the file.")
    problems = models.JSONField(help_text="[line, column, message] for every bad cell.")
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    objects = ScopedManager(authority="authority")

    def __str__(self):
        return f"{self.file_name} ({self.created_at:%d %B %Y %H:%M})"

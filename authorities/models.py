from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

# First path segments the portal itself uses: an authority may not take one as its slug.
RESERVED_SLUGS = frozenset(
    {
        "accessibility",
        "accounts",
        "admin",
        "api",
        "authorities",  # /api/v1/authorities/ is the caller's list, not an authority
        "awards",
        "platform",
        "static",
        "media",
        "healthz",
        "health",
        "ready",
        "switch",
    }
)


def validate_slug_not_reserved(value):
    if value in RESERVED_SLUGS:
        raise ValidationError(
            "“%(slug)s” is used by the portal itself: choose another.", params={"slug": value}
        )


class Authority(models.Model):
    """A tenant: a local authority or the national IQM body, with its own schools and people."""

    name = models.CharField(max_length=150, unique=True)
    slug = models.SlugField(
        max_length=50,
        unique=True,
        validators=[validate_slug_not_reserved],
        help_text=(
            "Used in the authority's web addresses, e.g. /bathnes/. "
            "Lower-case letters, digits and hyphens."
        ),
        error_messages={"unique": "Another authority already uses this web address."},
    )
    panel_quorum = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text="The number of votes a panel decision needs.",
    )
    reminder_lead_months = models.PositiveSmallIntegerField(
        "remind before expiry (months)",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=(
            "How many months before an award expires the school and the authority admins are "
            "first reminded; they are reminded again one month before."
        ),
    )
    upload_limit_mb = models.PositiveSmallIntegerField(
        "largest file (MB)",
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(200)],
        help_text="The largest single file a school can add to its portfolio.",
    )
    portfolio_limit_mb = models.PositiveIntegerField(
        "largest portfolio (MB)",
        default=500,
        validators=[MinValueValidator(10), MaxValueValidator(10000)],
        help_text="All the files of one school's portfolio together.",
    )
    quality_mark_years = models.PositiveSmallIntegerField(
        "Quality Mark lasts (years)",
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    centre_of_excellence_years = models.PositiveSmallIntegerField(
        "Centre of Excellence lasts (years)",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    flagship_years = models.PositiveSmallIntegerField(
        "Flagship lasts (years)", default=1, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "authorities"

    def __str__(self):
        return self.name

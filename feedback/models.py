from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority

PAGE_MAX_LENGTH = 200


class PageRating(models.Model):
    """One visitor's answer to "Was this page useful?" on one of the authority's public pages."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    page = models.CharField(max_length=PAGE_MAX_LENGTH, help_text="The path of the page rated.")
    stars = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    rated_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-rated_at", "-pk"]
        indexes = [models.Index(fields=["authority", "page"], name="page_rating_by_page")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(stars__gte=1, stars__lte=5), name="page_rating_stars_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.page}: {self.stars}"


class TesterSignup(models.Model):
    """Someone who agreed to be contacted to help test the authority's website. Signing up again
    with the same email updates the one sign-up."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    page = models.CharField(
        max_length=PAGE_MAX_LENGTH, help_text="The path of the page they signed up on."
    )
    signed_up_at = models.DateTimeField(
        auto_now_add=True, help_text="When they ticked the consent box."
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-signed_up_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["authority", "email"], name="tester_signup_unique_email"
            )
        ]

    def __str__(self):
        return f"{self.name} <{self.email}>"

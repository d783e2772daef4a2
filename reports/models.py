import uuid

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority


def report_path(instance, filename):
    """Every PDF under its authority's folder, with a name no one can guess."""
    return f"reports/{instance.authority_id}/{uuid.uuid4().hex}.pdf"


class RenderJob(models.Model):
    """One PDF to render from one input. The input's HTML is kept with the job so the worker renders
    exactly what was hashed; a done job with the same input is reused instead of rendering again."""

    class Kind(models.TextChoices):
        CERTIFICATE = "certificate", "Certificate"
        REPORT = "report", "Assessment report"
        SUMMARY = "summary", "Self-review summary"
        LETTER = "letter", "Decision letter"
        PLAQUE = "plaque", "Plaque artwork"

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RENDERING = "rendering", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    object_id = models.PositiveBigIntegerField(
        help_text=(
            "The primary key of the object the PDF is about (its model is in reports/render.py "
            "KINDS)."
        )
    )
    input_hash = models.CharField(
        max_length=64, help_text="SHA-256 of the kind and the rendered HTML."
    )
    html = models.TextField(
        help_text="The HTML the worker renders: exactly what input_hash was computed from."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    error = models.TextField(
        blank=True, help_text="Why the render failed, in words a user can read."
    )
    file = models.FileField(upload_to=report_path, max_length=200, blank=True)
    pages = models.PositiveIntegerField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            # The same input renders once: at most one job per input that is queued, rendering or
            # done. A failed job does not count, so a failed render can be requested again.
            models.UniqueConstraint(
                "authority",
                "kind",
                "input_hash",
                condition=models.Q(state__in=["queued", "rendering", "done"]),
                name="renderjob_one_live_per_input",
            ),
        ]
        indexes = [models.Index("kind", "object_id", name="renderjob_object")]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.object_id} ({self.get_state_display()})"

    @property
    def in_progress(self):
        return self.state in (self.State.QUEUED, self.State.RENDERING)

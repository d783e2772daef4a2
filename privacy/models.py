import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_scopes import ScopedManager

from authorities.models import Authority


def export_path(instance, filename):
    """Under the authority's folder, with a name no one can guess; served only through a view."""
    extension = filename.rsplit(".", 1)[-1]
    return f"privacy/{instance.authority_id}/{uuid.uuid4().hex}.{extension}"


class SubjectAccessExport(models.Model):
    """Everything one authority holds about one person, as JSON and as a PDF, made by a worker.

    The files are kept privately and only until `expires_at`; then the download is refused and the
    files are deleted (privacy.tasks.delete_expired_exports)."""

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to be made"
        BUILDING = "building", "Being made"
        DONE = "done", "Ready"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Expired"

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    error = models.TextField(blank=True)
    json_file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    pdf_file = models.FileField(upload_to=export_path, max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return f"Subject access export #{self.pk} ({self.get_state_display()})"

    @property
    def in_progress(self):
        return self.state in (self.State.QUEUED, self.State.BUILDING)

    @property
    def downloadable(self):
        return (
            self.state == self.State.DONE
            and self.expires_at is not None
            and self.expires_at > timezone.now()
        )

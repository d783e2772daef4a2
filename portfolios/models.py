import uuid

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from assessments.models import Cycle, Descriptor, Element
from authorities.models import Authority


def evidence_path(instance, filename):
    """Server-made names under the authority's folder; the uploader's file name is never a path."""
    return f"portfolios/{instance.authority_id}/{uuid.uuid4().hex}.{instance.extension}"


class EvidenceFile(models.Model):
    """A stored file, once per content (SHA-256) in an authority, however many items use it."""

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=120)
    extension = models.CharField(max_length=10)
    created_at = models.DateTimeField(auto_now_add=True)
    file_deleted_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the file was deleted under the retention policy (the row is kept).",
    )

    objects = ScopedManager(authority="authority")

    class Meta:
        constraints = [
            models.UniqueConstraint("authority", "sha256", name="evidence_file_unique_content")
        ]

    def __str__(self):
        return self.file.name

    @property
    def retention_note(self):
        if self.file_deleted_at is None:
            return ""
        return f"File deleted under the retention policy on {self.file_deleted_at:%-d %B %Y}"

    @property
    def shown_inline(self):
        return self.content_type in ("application/pdf", "image/png", "image/jpeg")


class EvidenceItem(models.Model):
    """One piece of evidence in a school's portfolio: a file or a link, linked to any number of
    elements and descriptors of the cycle's framework."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="evidence")
    file = models.ForeignKey(
        EvidenceFile, on_delete=models.PROTECT, null=True, blank=True, related_name="items"
    )
    url = models.URLField("link", max_length=500, blank=True)
    original_name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, max_length=2000)
    evidence_date = models.DateField(
        "date", null=True, blank=True, help_text="When the evidence is from."
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    elements = models.ManyToManyField(Element, blank=True, related_name="+")
    descriptors = models.ManyToManyField(Descriptor, blank=True, related_name="+")

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        ordering = ["title", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(file__isnull=False) & models.Q(url=""))
                | (models.Q(file__isnull=True) & ~models.Q(url="")),
                name="evidence_item_file_or_link",
            ),
        ]

    def __str__(self):
        return self.title


class ItemComment(models.Model):
    """The mentor comments on an item; the school replies."""

    item = models.ForeignKey(EvidenceItem, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager(authority="item__cycle__authority")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"Comment on {self.item}: {self.body[:60]}"


class PortfolioSubmission(models.Model):
    """What the school submitted for moderation, exactly: the moderators and panel see this."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="portfolio_submissions")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    items = models.JSONField(
        help_text="Each item's id, title, SHA-256 or link, and element numbers."
    )

    objects = ScopedManager(authority="cycle__authority")

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self):
        return f"{self.cycle}: portfolio submitted {self.submitted_at:%d %B %Y %H:%M}"

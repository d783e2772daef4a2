from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from authorities.models import Authority


class AppendOnlyError(Exception):
    pass


# The security log's events (accounts/security_log.py), as the audit log page names them.
SECURITY_ACTIONS = {
    "signed_in": "Signed in",
    "signed_out": "Signed out",
    "sign_in_failed": "Sign-in failed (wrong password)",
    "locked_out": "Sign-in locked after too many failures",
    "permission_refused": "Refused a page their role does not include",
    "second_factor_verified": "Passed the second factor",
    "second_factor_failed": "Second factor refused",
    "second_factor_added": "Added a second factor",
    "second_factor_removed": "Removed a second factor",
    "recovery_codes_regenerated": "Made new recovery codes",
    "password_changed": "Changed their password",
    "email_changed": "Changed their email address",
    "api_token.created": "Made a personal API token",
    "api_token.revoked": "Revoked a personal API token",
}


class AuditEntry(models.Model):
    """One change: who did what to which object, and its fields before and after.

    Rows are never updated or deleted; on PostgreSQL a trigger refuses it as well.
    """

    authority = models.ForeignKey(Authority, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    action = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.CharField(max_length=40)
    object_repr = models.CharField(max_length=200)
    school = models.ForeignKey(
        "schools.School", on_delete=models.PROTECT, null=True, related_name="+"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    before = models.JSONField(default=dict)
    after = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ScopedManager(authority="authority")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "audit entries"
        indexes = [
            # The log's pages, newest first: ids read from the index alone (audit/domain.py).
            models.Index(fields=["authority", "-created_at", "-id"]),
            models.Index(fields=["authority", "school", "-created_at"]),
            models.Index(fields=["authority", "person", "-created_at"]),
        ]

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.object_repr}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("Audit entries cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("Audit entries cannot be deleted.")

    @property
    def security_label(self):
        """The words for a security event, or "" for a change to an object."""
        return SECURITY_ACTIONS.get(self.action, "")

    @property
    def changes(self):
        """(field, before, after) for every field whose value differs."""
        keys = sorted(set(self.before) | set(self.after))
        return [
            (k, self.before.get(k), self.after.get(k))
            for k in keys
            if self.before.get(k) != self.after.get(k)
        ]

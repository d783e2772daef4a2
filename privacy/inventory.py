"""Where the portal holds personal data about a person: every field that points at the user model,
found by walking every model, so a model added tomorrow cannot be forgotten.

Each (model, field) is either COVERED, with the title its records have in a subject access export,
or EXCLUDED with the reason. tests/test_privacy.py fails when a user field is neither, so whoever
adds a model with a user field decides here what a person's export says about it.

Besides the user fields, some records name a person by email (INVITATIONS, OUTBOX, TESTERS) and some
are theirs through something they hold (DERIVED: the mentor's ratings, through the cycles they
mentor).
"""

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model

COVERED = {
    "accounts.Membership.user": "Their roles in the authority",
    "accounts.Invitation.invited_by": "Invitations they sent",
    "schools.SchoolImport.uploaded_by": "School lists they uploaded",
    "schools.SchoolImport.applied_by": "School lists they applied",
    "clusters.Activity.recorded_by": "Cluster activities they recorded",
    "audit.AuditEntry.actor": "Audit log: what they did",
    "audit.AuditEntry.person": "Audit log: changes about them",
    "assessments.Cycle.mentor": "Assessments they mentor or mentored",
    "assessments.Answer.updated_by": "Self-review answers they last edited",
    "assessments.Assignment.person": "Self-review elements given to them",
    "assessments.Submission.submitted_by": "Self-reviews they submitted",
    "assessments.Target.lead": "Action plan targets they lead",
    "portfolios.EvidenceItem.added_by": "Evidence they added",
    "portfolios.ItemComment.author": "Comments they wrote on evidence",
    "portfolios.PortfolioSubmission.submitted_by": "Portfolios they submitted",
    "notifications.EmailTemplate.updated_by": "Email templates they last edited",
    "moderation.Conflict.person": "Conflicts of interest they declared",
    "moderation.Visit.planned_by": "Visits they planned",
    "moderation.Visit.moderators": "Visits they moderate or moderated",
    "moderation.VisitNote.author": "Visit notes they wrote",
    "moderation.Report.signed_by": "Assessment reports they signed",
    "moderation.PanelVote.opened_by": "Panel votes they opened",
    "moderation.Ballot.member": "Their votes on the panel",
    "moderation.Decision.recorded_by": "Panel decisions they recorded",
    "flagship.CriterionCheck.evidence_by": "Flagship criteria they gave evidence for",
    "flagship.CriterionCheck.verdict_by": "Flagship criteria they confirmed",
    "reviews.Update.updated_by": "Annual updates they last edited",
    "reviews.Ratification.signed_by": "Annual visit records they signed",
    "workshops.Workshop.mentor": "Workshops they run",
    "workshops.Booking.person": "Their workshop bookings and attendance",
    "reports.RenderJob.requested_by": "PDFs they asked for",
    "publishing.Publication.published_by": "Lists of awarded schools they published",
    "privacy.SubjectAccessExport.person": "Earlier subject access exports about them",
    "privacy.SubjectAccessExport.requested_by": "Subject access exports they asked for",
    "otp_totp.TOTPDevice.user": "Their authenticator apps (never the secret key)",
    "otp_static.StaticDevice.user": "Their recovery codes (never the codes)",
    "django_otp_webauthn.WebAuthnCredential.user": "Their passkeys (never the keys)",
    "accounts.ApiToken.user": "Their API tokens (never the secret)",
}
# The account's own records, which belong to no authority (its second factors): read for the
# person whichever authority asks, like the account's name and email.
ACCOUNT = {
    "otp_totp.TOTPDevice.user",
    "otp_static.StaticDevice.user",
    "django_otp_webauthn.WebAuthnCredential.user",
}

EXCLUDED = {
    "django_otp_webauthn.WebAuthnUserHandle.user": (
        "The random handle the person's passkeys carry instead of their name or email: it says "
        "nothing about them."
    ),
    "accounts.UserSession.user": (
        "A signed-in browser's session: its key is a secret, it lasts hours, and it holds no "
        "record of the person's work; erasing the person ends every one."
    ),
    "admin.LogEntry.user": (
        "Django's admin site is for platform admins only and holds no authority's data; its log "
        "is not an authority's record (AXES_ENABLE_ADMIN is off for the same reason)."
    ),
}

# Records that are the person's through something they hold: (model, lookup to the user, title).
DERIVED = [
    ("assessments.MentorReview", "cycle__mentor", "Their ratings and comments as mentor"),
]
# Records that name the person by email address: (model, email field, title).
BY_EMAIL = [
    ("accounts.Invitation", "email", "Invitations sent to them"),
    ("notifications.OutboxMessage", "to", "Emails sent to them"),
    ("feedback.TesterSignup", "email", "Their sign-up as a website tester"),
]
# Never exported: secrets, and copies of what other fields already hold.
SKIPPED_FIELDS = {
    "password",
    "token_hash",
    "key_hash",
    "html",
    "input_hash",
    "key",
    "credential_id",
    "credential_id_sha256",
    "public_key",
}


@dataclass(frozen=True)
class UserField:
    model: type
    name: str

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.name}"

    @property
    def lookup(self) -> str:
        return self.name


def user_fields() -> list[UserField]:
    """Every foreign key and many-to-many field of every installed model that points at the user
    model."""
    user_model = get_user_model()
    found = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is user_model:
                found.append(UserField(model, field.name))
    return found


def covered_fields() -> list[tuple[UserField, str]]:
    """The user fields an export reads, with their titles; a field neither covered nor excluded
    is read too, under its model's name, so nothing is silently left out."""
    fields = []
    for user_field in user_fields():
        if user_field.key in EXCLUDED:
            continue
        title = COVERED.get(user_field.key) or (
            f"{user_field.model._meta.verbose_name_plural.capitalize()} ({user_field.name})"
        )
        fields.append((user_field, title))
    return fields

from django.db import transaction
from django_scopes import scope

from accounts.domain import invite
from accounts.models import Role
from assessments.domain import install_default_framework
from audit.domain import record, snapshot

from .models import Authority

SETTINGS_FIELDS = (
    "name",
    "panel_quorum",
    "reminder_lead_days",
    "upload_limit_mb",
    "portfolio_limit_mb",
)


@transaction.atomic
def create_authority(*, name, slug, first_admin_email, by) -> Authority:
    """A platform admin creates an authority and invites its first admin."""
    authority = Authority.objects.create(name=name, slug=slug)
    with scope(authority=authority):
        record(
            authority=authority,
            actor=by,
            action="authority.created",
            obj=authority,
            after=snapshot(authority, ("name", "slug")),
        )
        install_default_framework(authority, by)
        invite(authority=authority, by=by, email=first_admin_email, role=Role.AUTHORITY_ADMIN)
    return authority


@transaction.atomic
def update_settings(*, authority, by, changes: dict) -> Authority:
    authority = Authority.objects.select_for_update().get(pk=authority.pk)
    before = snapshot(authority, SETTINGS_FIELDS)
    for field, value in changes.items():
        setattr(authority, field, value)
    authority.save()
    record(
        authority=authority,
        actor=by,
        action="authority.settings_changed",
        obj=authority,
        before=before,
        after=snapshot(authority, SETTINGS_FIELDS),
    )
    return authority

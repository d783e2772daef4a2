from django.db import transaction

from audit.domain import record, snapshot

from .models import Authority

SETTINGS_FIELDS = (
    "name",
    "panel_quorum",
    "reminder_lead_months",
    "upload_limit_mb",
    "portfolio_limit_mb",
)


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

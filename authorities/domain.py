from django.db import transaction
from django_scopes import scopes_disabled

from audit.domain import record, snapshot

from .models import Authority


def authorities_of(user) -> list[Authority]:
    """The authorities a person is a member of. Their memberships span authorities, so this
    reads outside any one authority's scope (the database's row-level security would otherwise
    show only the memberships of the authority in the URL: authorities/rls.py)."""
    with scopes_disabled():
        return list(Authority.objects.filter(memberships__user=user).distinct())


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

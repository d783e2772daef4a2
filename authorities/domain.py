from django.db import transaction
from django_scopes import scopes_disabled

from accounts.models import Membership
from audit.domain import record, snapshot

from .models import Authority


def memberships_everywhere(user) -> list[Membership]:
    """The person's memberships of every authority, with their authority and school, in one
    query, by authority name then role: an authority's pages read them once (before entering its
    scope), for the person's roles there and for the navigation's list of their authorities.
    They span authorities, so they are read with the scopes disabled, wherever this is called."""
    with scopes_disabled():
        return list(
            Membership.objects.filter(user=user)
            .select_related("authority", "school")
            .order_by("authority__name", "role", "pk")
        )


def authorities_of(user, memberships=None) -> list[Authority]:
    """The authorities a person is a member of, by name (as the database orders names): from
    their `memberships_everywhere`, read now unless given."""
    if memberships is None:
        memberships = memberships_everywhere(user)
    found = {}
    for membership in memberships:
        found.setdefault(membership.authority_id, membership.authority)
    return list(found.values())


SETTINGS_FIELDS = (
    "name",
    "panel_quorum",
    "reminder_lead_months",
    "upload_limit_mb",
    "portfolio_limit_mb",
)


@transaction.atomic
def update_settings(*, authority, by, changes: dict) -> Authority:
    authority = Authority.objects.select_for_update(no_key=True).get(pk=authority.pk)
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

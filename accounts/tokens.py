"""Personal API tokens: made by a person for one authority, read-only or read-write, shown once.

Only a SHA-256 hash of the secret is kept (a token is 256 random bits, so a fast hash is as safe
as a slow one and a lookup costs one indexed query). A token works while it is not revoked and its
person is active and still a member of its authority; the API checks the rest (api/permissions.py).
Making and revoking one are security events, in the token's authority's audit log.
"""

import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import ApiToken, Membership
from .security_log import record_event

PREFIX = "iqm_"
CREATED = "api_token.created"
REVOKED = "api_token.revoked"
# Last use is written at most this often, so a busy script does not write on every request.
LAST_USED_EVERY = 60  # seconds


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _describe(token) -> str:
    access = "read and write" if token.can_write else "read only"
    return f"“{token.name}” (…{token.hint}), {access}"


@transaction.atomic
def create_token(user, authority, name, *, can_write=False, request=None) -> tuple[ApiToken, str]:
    """The token and its secret, which is shown this once and never again. Any active member of
    the authority may make tokens for themselves there."""
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Enter a name for the token."})
    if not user.is_active:
        raise ValidationError(f"{user.email} is disabled: a disabled person cannot have tokens.")
    with scopes_disabled():
        if not Membership.objects.filter(user=user, authority=authority).exists():
            raise ValidationError(f"{user.email} is not a member of {authority.name}.")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        authority=authority,
        name=name,
        can_write=can_write,
        key_hash=digest(secret),
        hint=secret[-4:],
    )
    record_event(
        user=user, action=CREATED, request=request, detail=_describe(token), authority=authority
    )
    return token, secret


@transaction.atomic
def revoke(token, *, request=None) -> bool:
    """Whether the token was revoked now (False: it already was). It stops working at once."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    record_event(
        user=token.user,
        action=REVOKED,
        request=request,
        detail=_describe(token),
        authority=token.authority,
    )
    return True


def revoke_all(user, authority) -> int:
    """Revoke the person's live tokens for the authority (their last role there has ended), so a
    later role there does not quietly bring an old token back. How many were revoked."""
    live = ApiToken.objects.filter(user=user, authority=authority, revoked_at__isnull=True)
    return sum(revoke(token) for token in live.select_related("user", "authority"))


def authenticate(secret: str) -> ApiToken | None:
    """The live token with this secret, of any authority (the API then refuses it outside its
    own); its last use recorded at most once a minute."""
    if not secret.startswith(PREFIX):
        return None
    with scopes_disabled():
        token = (
            ApiToken.objects.select_related("user", "authority")
            .filter(key_hash=digest(secret), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if token is None:
            return None
        now = timezone.now()
        if (
            token.last_used_at is None
            or (now - token.last_used_at).total_seconds() >= LAST_USED_EVERY
        ):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token

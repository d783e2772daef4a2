"""Personal API tokens: made by a person for one authority, read-only or read-write, shown once.

Only a SHA-256 hash of the secret is kept (a token is 256 random bits, so a fast hash is as safe
as a slow one and a lookup costs one indexed query). A token works while it is not revoked and its
person is active and still a member of its authority; the API checks the rest (api/permissions.py).
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from .models import ApiToken

PREFIX = "iqm_"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def create_token(user, authority, name, *, can_write=False) -> tuple[ApiToken, str]:
    """The token and its secret, which is shown this once and never again."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        authority=authority,
        name=name,
        can_write=can_write,
        key_hash=digest(secret),
        hint=secret[-4:],
    )
    return token, secret


def revoke(token) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


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
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
    return token

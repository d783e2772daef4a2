"""The security log: sign-ins, sign-outs, failures, lock-outs and refusals, in the audit log of
every authority the person belongs to, where that authority's admins read it (audit/views.py).

An event with no authority to hold it (a failed sign-in for an email with no account, or a person
with no role anywhere) goes to the "iqm_portal.security" logger, the email as a keyed hash so the
operator's logs hold no address: `security_log.email_digest("someone@example.org")` in a Django
shell gives the hash to search for.
"""

import logging

from django.utils.crypto import salted_hmac
from django_scopes import scopes_disabled

from audit.models import AuditEntry

from .models import Membership, User

logger = logging.getLogger("iqm_portal.security")

SIGNED_IN = "signed_in"
SIGNED_OUT = "signed_out"
SIGN_IN_FAILED = "sign_in_failed"
LOCKED_OUT = "locked_out"
PERMISSION_REFUSED = "permission_refused"


def email_digest(email: str) -> str:
    """A keyed hash of an email (however it is spelt): the same address gives the same digest."""
    return salted_hmac("iqm_portal.security_log", (email or "").strip().lower()).hexdigest()[:20]


def client_ip(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def record_event(*, user, action, request=None, detail="", authority=None):
    """Write one audit entry per authority the person is a member of (by them, about them).

    A refusal on an authority's page goes to that authority only, so another authority's admins
    do not learn of the pages it holds; so does an event about one `authority` (an API token of
    it), while the person is its member. With no authority at all, the event goes to the security
    logger.
    """
    ip = client_ip(request)
    with scopes_disabled():
        authority_ids = set(
            Membership.objects.filter(user=user).values_list("authority_id", flat=True)
        )
        here = getattr(request, "authority", None)
        if action == PERMISSION_REFUSED and here is not None and here.pk in authority_ids:
            authority_ids = {here.pk}
        if authority is not None:
            authority_ids &= {authority.pk}
        entries = [
            AuditEntry.objects.create(
                authority_id=authority_id,
                actor=user,
                person=user,
                action=action,
                object_type=user._meta.label,
                object_id=str(user.pk),
                object_repr=str(user)[:200],
                after={"detail": detail, "ip": ip},
            )
            for authority_id in sorted(authority_ids)
        ]
    if not entries:
        logger.info("%s user_id=%s ip=%s detail=%r", action, user.pk, ip, detail)
    return entries


# Receivers, connected in accounts/apps.py.


def on_signed_in(sender, request, user, **kwargs):
    record_event(user=user, action=SIGNED_IN, request=request)


def on_signed_out(sender, request, user, **kwargs):
    if user is None:  # signing out with no one signed in
        return
    ended = getattr(request, "session_ended", None)  # set by accounts.sessions on a timeout
    detail = f"Session ended: {ended} timeout" if ended else ""
    record_event(user=user, action=SIGNED_OUT, request=request, detail=detail)


def _account(email):
    if not email:
        return None
    return User.objects.filter(email__iexact=email.strip()).first()


def on_sign_in_failed(sender, credentials, request=None, **kwargs):
    email = credentials.get("username") or credentials.get("email") or ""
    user = _account(email)
    if user is None:
        logger.warning(
            "%s unknown_email=%s ip=%s", SIGN_IN_FAILED, email_digest(email), client_ip(request)
        )
        return
    record_event(user=user, action=SIGN_IN_FAILED, request=request)


def on_locked_out(sender, request, username, ip_address, **kwargs):
    user = _account(username)
    if user is None:
        logger.warning("%s unknown_email=%s ip=%s", LOCKED_OUT, email_digest(username), ip_address)
        return
    record_event(user=user, action=LOCKED_OUT, request=request)


def permission_refused(request):
    """A PermissionDenied shown to a signed-in person (iqm_portal.views.permission_denied)."""
    if request.user.is_authenticated:
        record_event(
            user=request.user, action=PERMISSION_REFUSED, request=request, detail=request.path
        )

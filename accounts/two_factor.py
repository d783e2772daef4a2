"""Second factors: who needs one, and every change to a person's factors.

The factors are django-otp's devices: an authenticator app (TOTP, `otp_totp`, which refuses a
code already used through its `last_t`), a passkey (WebAuthn, django-otp-webauthn's
`WebAuthnCredential`, whose ceremonies are the library's views, extended in
accounts/passkey_views.py) and single-use recovery codes (`otp_static`, a code is deleted when
used). No cryptography is written here.

Who needs a second factor is the predicate `needs_second_factor`, read by the login view, the
middleware (accounts/middleware.py), the pages and the tests. Whether this session still owes one
is decided once, at sign-in (`on_sign_in`), and kept in the session, so a page costs no query
for it; a signed-in person's verified device is django-otp's own session key.
"""

import time
from base64 import b32encode
from io import BytesIO

import qrcode
import qrcode.image.svg
import rules
from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, devices_for_user
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential
from django_scopes import scopes_disabled

from authorities.tasks import enqueue

from .models import Membership, Role
from .security_log import record_event
from .tasks import send_email

# Roles whose holders must sign in with a second factor: they see every case of an authority, or
# decide awards, or read the evidence and visit notes.
ROLES_NEEDING_A_SECOND_FACTOR = frozenset({Role.AUTHORITY_ADMIN, Role.PANEL_CHAIR, Role.MODERATOR})
RECOVERY_CODES = 10
APP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
PASSKEY_NAME = "Passkey"

# What this session still owes: "verify" (the person has a factor: ask for a code) or "set_up"
# (the person needs a factor and has none). Absent once verified, or when nothing is owed.
STATE_KEY = "two_factor"
VERIFY = "verify"
SET_UP = "set_up"
# When the person last proved who they are (password, code): seconds since the epoch.
AUTHENTICATED_AT_KEY = "authenticated_at"
# When a person whose only factor is a passkey gave their password to re-authenticate: the passkey
# must follow within PASSKEY_AFTER_PASSWORD seconds.
PASSWORD_CONFIRMED_KEY = "password_confirmed_at"
PASSKEY_AFTER_PASSWORD = 300
# Recovery codes just made, shown once by the next page.
NEW_CODES_KEY = "new_recovery_codes"


@rules.predicate
def needs_second_factor(user) -> bool:
    """Platform admins, and anyone holding an admin, chair or moderator role in any authority."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    with scopes_disabled():
        return Membership.objects.filter(user=user, role__in=ROLES_NEEDING_A_SECOND_FACTOR).exists()


def confirmed_devices(user) -> list:
    return list(devices_for_user(user, confirmed=True))


def apps(user) -> list[TOTPDevice]:
    return list(TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk"))


def recovery_device(user) -> StaticDevice | None:
    return StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).first()


def passkeys(user) -> list[WebAuthnCredential]:
    return list(
        WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    )


def has_app(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def has_passkey(user) -> bool:
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).exists()


def has_second_factor(user) -> bool:
    """An authenticator app or a passkey (recovery codes alone are a way back in, not a
    factor)."""
    return has_app(user) or has_passkey(user)


def _factors(user) -> int:
    return (
        TOTPDevice.objects.filter(user=user, confirmed=True).count()
        + WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
    )


# Sessions ---------------------------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="accounts.two_factor.on_sign_in")
def on_sign_in(sender, request, user, **kwargs):
    """After the password: what the new session owes before any other page."""
    if request is None or not hasattr(request, "session"):
        return
    request.session[AUTHENTICATED_AT_KEY] = time.time()
    if DEVICE_ID_SESSION_KEY in request.session:
        request.session.pop(STATE_KEY, None)
    elif has_second_factor(user):
        request.session[STATE_KEY] = VERIFY
    elif needs_second_factor(user):
        request.session[STATE_KEY] = SET_UP
    else:
        request.session.pop(STATE_KEY, None)


def owed(request) -> str | None:
    """VERIFY, SET_UP, or None when the session owes nothing."""
    if not request.user.is_authenticated or DEVICE_ID_SESSION_KEY in request.session:
        return None
    return request.session.get(STATE_KEY)


def is_verified(request) -> bool:
    return request.user.is_authenticated and DEVICE_ID_SESSION_KEY in request.session


def mark_verified(request, device) -> None:
    otp_login(request, device)
    request.session.pop(STATE_KEY, None)
    mark_authenticated(request)


def mark_authenticated(request) -> None:
    request.session[AUTHENTICATED_AT_KEY] = time.time()


def authenticated_recently(request) -> bool:
    then = request.session.get(AUTHENTICATED_AT_KEY, 0)
    return time.time() - then <= settings.REAUTH_SECONDS


def should_offer(user) -> bool:
    """An optional person with no factor who has not been offered one yet."""
    return (
        user.second_factor_offered_at is None
        and not needs_second_factor(user)
        and not has_second_factor(user)
    )


def offered(user) -> None:
    user.second_factor_offered_at = timezone.now()
    user.save(update_fields=["second_factor_offered_at"])


# Codes ------------------------------------------------------------------------------------------


class CodeRefused(Exception):
    """The code is not right, or too many wrong codes were tried: the message says which."""


def _normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def verify_code(request, user, code: str):
    """The device that accepts `code` (an app's code, or an unused recovery code, which is used
    up), marked as this session's verification; CodeRefused otherwise, logged either way."""
    code = _normalise(code)
    if code.isdigit():
        candidates = apps(user)
        kind = "authenticator app code"
    else:
        device = recovery_device(user)
        candidates = [device] if device else []
        kind = "recovery code"
    waits = []
    for device in candidates:
        with transaction.atomic():
            device = _locked(device)
            allowed, why = device.verify_is_allowed()
            if not allowed:
                waits.append(why.get("locked_until") if why else None)
                continue
            accepted = device.verify_token(code)
        if accepted:
            mark_verified(request, device)
            record_event(user=user, action="second_factor_verified", request=request, detail=kind)
            return device
    record_event(user=user, action="second_factor_failed", request=request, detail=kind)
    if candidates and len(waits) == len(candidates):
        until = max((w for w in waits if w), default=None)
        when = f"after {timezone.localtime(until):%H:%M:%S}" if until else "in a minute"
        raise CodeRefused(f"Too many wrong codes. Try again {when}.")
    raise CodeRefused(
        "That code is not right, or has been used already. Check it and try again."
        if code
        else "Enter the code."
    )


def check_code(user, code: str) -> bool:
    """Whether `code` is one of the person's current codes (re-authentication): the code is used
    up like at sign-in."""
    code = _normalise(code)
    devices = apps(user) if code.isdigit() else [d for d in [recovery_device(user)] if d]
    for device in devices:
        with transaction.atomic():
            device = _locked(device)
            if device.verify_is_allowed()[0] and device.verify_token(code):
                return True
    return False


def _locked(device):
    """The device read afresh and locked until the transaction ends: two requests with the same
    code check and use it one after the other, so the second finds it used (django-otp's
    verify_token reads, then writes, with nothing held in between)."""
    return type(device).objects.select_for_update().get(pk=device.pk)


# Set-up and changes -----------------------------------------------------------------------------


def pending_app(user) -> TOTPDevice:
    """The app being set up: its secret stays the same while the page is reloaded."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    """The secret in base 32, in groups of four, for typing into an app."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The app's set-up link as an inline SVG QR code, made here (no image request, no CDN)."""
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    if svg.startswith("<?xml"):
        svg = svg[svg.index("?>") + 2 :].lstrip()
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code to scan with your authenticator app" ', 1
    )


def confirm_app(request, user, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the app being set up with a code from it; returns new recovery codes when the
    person had none (shown once), else []. A wrong code is logged, and counts towards
    django-otp's throttle, outside the transaction of the change."""
    if not device.verify_token(_normalise(code)):
        record_event(user=user, action="second_factor_failed", request=request, detail="set-up")
        raise ValidationError(
            "That code is not right. Check the app shows the IQM Portal, and enter its newest code."
        )
    with transaction.atomic():
        device.confirmed = True
        device.name = APP_NAME
        device.save(update_fields=["confirmed", "name"])
        record_event(user=user, action="second_factor_added", request=request, detail=APP_NAME)
        codes = [] if recovery_device(user) else _new_codes(user)
    mark_verified(request, device)
    return codes


def _new_codes(user) -> list[str]:
    StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def regenerate_recovery_codes(request, user) -> list[str]:
    if not has_second_factor(user):
        raise ValidationError(
            "Add an authenticator app or a passkey first: recovery codes go with them."
        )
    codes = _new_codes(user)
    record_event(user=user, action="recovery_codes_regenerated", request=request)
    return codes


@transaction.atomic
def remove_app(request, user, device_pk: int) -> None:
    """Remove one of the person's apps (TOTPDevice.DoesNotExist when it is not theirs)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_pk).first()
    if device is None:
        raise TOTPDevice.DoesNotExist
    _remove(request, user, device, APP_NAME)


@transaction.atomic
def remove_passkey(request, user, device_pk: int) -> None:
    """Remove one of the person's passkeys (WebAuthnCredential.DoesNotExist when not theirs)."""
    device = WebAuthnCredential.objects.select_for_update().filter(user=user, pk=device_pk).first()
    if device is None:
        raise WebAuthnCredential.DoesNotExist
    _remove(request, user, device, "passkey")


def _remove(request, user, device, what: str) -> None:
    """A person who needs a second factor cannot remove their last one (app or passkey); with
    the last one go the recovery codes. Rows of the person's devices are locked first, so two
    removals at once cannot both pass the rule."""
    list(TOTPDevice.objects.select_for_update().filter(user=user).values_list("pk", flat=True))
    list(
        WebAuthnCredential.objects.select_for_update()
        .filter(user=user)
        .values_list("pk", flat=True)
    )
    last = device.confirmed and _factors(user) == 1
    if last and needs_second_factor(user):
        raise ValidationError(
            f"Your roles need a second factor, so you cannot remove your only {what.lower()}. "
            "Add another authenticator app or a passkey first."
        )
    device.delete()
    removed = what
    if not has_second_factor(user):
        StaticDevice.objects.filter(user=user, name=RECOVERY_NAME).delete()
        removed += " and recovery codes"
    record_event(user=user, action="second_factor_removed", request=request, detail=removed)


# Passkeys: the ceremonies are django-otp-webauthn's; what they change is here. ---------------


def may_add_passkey(request) -> bool:
    """At first sign-in set-up, or (like every change to how a person signs in) when the person
    proved who they are recently and their session owes nothing."""
    state = owed(request)
    if state == SET_UP:
        return True
    return state is None and authenticated_recently(request)


def passkey_added(request, user, device: WebAuthnCredential) -> list[str]:
    """A passkey just registered by the library's ceremony: named, logged, and with new
    recovery codes when it is the person's first factor (returned, to be shown once). The
    session counts as verified, as after setting up an app."""
    with transaction.atomic():
        device.name = PASSKEY_NAME
        device.save(update_fields=["name"])
        record_event(user=user, action="second_factor_added", request=request, detail="passkey")
        codes = [] if recovery_device(user) else _new_codes(user)
    if not is_verified(request):
        mark_verified(request, device)
    return codes


def password_confirmed(request) -> None:
    request.session[PASSWORD_CONFIRMED_KEY] = time.time()


def awaits_passkey(request) -> bool:
    """After the password at sign-in, or at re-authentication (recently)."""
    if owed(request) == VERIFY:
        return True
    then = request.session.get(PASSWORD_CONFIRMED_KEY, 0)
    return is_verified(request) and time.time() - then <= PASSKEY_AFTER_PASSWORD


def passkey_verified(request, user, device: WebAuthnCredential) -> None:
    """The passkey was checked: the session's second factor, or a re-authentication."""
    if owed(request) == VERIFY:
        mark_verified(request, device)
        record_event(user=user, action="second_factor_verified", request=request, detail="passkey")
    else:
        request.session.pop(PASSWORD_CONFIRMED_KEY, None)
        mark_authenticated(request)


def passkey_failed(request, user, why: str) -> None:
    record_event(
        user=user, action="second_factor_failed", request=request, detail=f"passkey: {why}"
    )


# Email ------------------------------------------------------------------------------------------


@transaction.atomic
def change_email(request, user, email: str) -> None:
    """The person's sign-in address changes (their password was checked); the old address is
    told, so a change the person did not make does not pass unseen."""
    old = user.email
    user.email = email
    user.save(update_fields=["email"])
    record_event(user=user, action="email_changed", request=request, detail=f"{old} to {email}")
    enqueue(
        send_email,
        "Your IQM Portal email address was changed",
        f"The email address you sign in to the IQM Portal with was changed from {old} to {email}."
        "\n\nIf you did not do this, tell your authority's admin at once.",
        [old],
    )


@transaction.atomic
def reset(user, reason="reset by an operator") -> int:
    """Every factor of the person removed: they lost them (reset_second_factor), or were erased."""
    removed = TOTPDevice.objects.filter(user=user, confirmed=True).count()
    TOTPDevice.objects.filter(user=user).delete()
    removed += WebAuthnCredential.objects.filter(user=user, confirmed=True).count()
    WebAuthnCredential.objects.filter(user=user).delete()
    removed += StaticDevice.objects.filter(user=user).count()
    StaticDevice.objects.filter(user=user).delete()
    record_event(user=user, action="second_factor_removed", detail=reason)
    return removed

"""Second factors in tests: a real authenticator app (django-otp's TOTPDevice) for a person, and
the code it shows now, computed as a phone's app would (RFC 6238, by django-otp's own `TOTP`)."""

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from accounts.two_factor import APP_NAME, needs_second_factor


def app_for(user) -> TOTPDevice:
    """The person's confirmed app, made if they have none, ready for a fresh code: `last_t`
    (the last time step whose code was used) is reset, so a test that signs the same person in
    twice within one 30-second step is not refused as a replay, and throttling is cleared."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=APP_NAME, confirmed=True)
    device.last_t = -1
    device.throttling_failure_count = 0
    device.throttling_failure_timestamp = None
    device.save()
    return device


def code_for(device) -> str:
    """The code the app shows now (time-machine moves it with the clock)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return str(totp.token()).zfill(device.digits)


def app_if_needed(email) -> TOTPDevice | None:
    """Before a browser signs a person in: their app, made now when their roles need one."""
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        return None
    if needs_second_factor(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return app_for(user)
    return None

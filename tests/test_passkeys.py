"""Passkeys (WebAuthn, django-otp-webauthn) as a second factor: the removal rule counts them, the
audit log names them, and their endpoints answer only the signed-in person at the step their
session is at. The ceremonies themselves run in Chromium (tests/browser/test_passkeys.py)."""

import os
from base64 import urlsafe_b64encode

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import two_factor
from accounts.passkey_views import RECONFIRM

from .second_factor import app_for
from .test_two_factor import events, sign_in

BEGIN_AUTH = "/accounts/passkeys/authentication/begin/"
COMPLETE_AUTH = "/accounts/passkeys/authentication/complete/"
BEGIN_REGISTRATION = "/accounts/passkeys/registration/begin/"
COMPLETE_REGISTRATION = "/accounts/passkeys/registration/complete/"


def passkey_for(user) -> WebAuthnCredential:
    """A stored passkey (its key is never checked by these tests)."""
    return WebAuthnCredential.objects.create(
        user=user,
        name=two_factor.PASSKEY_NAME,
        credential_id=os.urandom(32),
        public_key=b"not checked here",
        aaguid="00000000-0000-0000-0000-000000000000",
        confirmed=True,
    )


def passkey_only(user) -> WebAuthnCredential:
    TOTPDevice.objects.filter(user=user).delete()
    return passkey_for(user)


def signed_in_with(user, device) -> Client:
    """Signed in with the password and `device` (the client's force_login would add an app)."""
    client = Client()
    client.force_login(user, second_factor=False)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.pop(two_factor.STATE_KEY, None)
    session.save()
    return client


def test_a_passkey_is_a_second_factor(world):
    moderator = world.people["moderator"]
    passkey_only(moderator)
    assert two_factor.has_second_factor(moderator) is True
    assert two_factor.has_app(moderator) is False
    client = Client()
    response = sign_in(client, moderator)
    assert response["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/")
    assert page.status_code == 200
    assert b'id="passkey-verification-button"' in page.content
    assert b'id="otp_webauthn_config"' in page.content
    assert client.get("/accounts/security/")["Location"] == (
        "/accounts/two-factor/?next=%2Faccounts%2Fsecurity%2F"
    )


def test_a_required_person_cannot_remove_their_last_passkey_but_may_with_an_app(world):
    admin = world.people["authority_admin"]
    passkey = passkey_only(admin)
    client = signed_in_with(admin, passkey)
    response = client.post(f"/accounts/security/passkeys/{passkey.pk}/remove/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Your roles need a second factor, so you cannot remove your only passkey. "
        "Add another authenticator app or a passkey first."
    ]
    assert WebAuthnCredential.objects.filter(user=admin).count() == 1

    app = app_for(admin)
    response = client.post(f"/accounts/security/passkeys/{passkey.pk}/remove/", follow=True)
    assert [str(m) for m in response.context["messages"]] == ["Passkey removed."]
    assert WebAuthnCredential.objects.filter(user=admin).count() == 0
    # The app is now the last factor, and stays.
    client.post(f"/accounts/security/apps/{app.pk}/remove/")
    assert TOTPDevice.objects.filter(user=admin).count() == 1
    assert events(admin, "second_factor_removed") == [("second_factor_removed", "passkey")]


def test_a_required_person_may_remove_their_only_app_when_they_have_a_passkey(world):
    moderator = world.people["moderator"]
    app = app_for(moderator)
    passkey_for(moderator)
    client = Client()
    client.force_login(moderator)
    client.post("/accounts/security/recovery-codes/new/")
    assert client.post(f"/accounts/security/apps/{app.pk}/remove/").status_code == 302
    assert TOTPDevice.objects.filter(user=moderator).count() == 0
    # A factor is left, so the recovery codes stay with it.
    assert StaticDevice.objects.filter(user=moderator).count() == 1
    assert events(moderator, "second_factor_removed") == [
        ("second_factor_removed", "Authenticator app")
    ]


def test_an_optional_person_removing_their_last_passkey_loses_the_recovery_codes_too(world):
    mentor = world.people["mentor"]
    passkey = passkey_for(mentor)
    client = signed_in_with(mentor, passkey)
    client.post("/accounts/security/recovery-codes/new/")
    assert client.post(f"/accounts/security/passkeys/{passkey.pk}/remove/").status_code == 302
    assert WebAuthnCredential.objects.filter(user=mentor).count() == 0
    assert StaticDevice.objects.filter(user=mentor).count() == 0
    assert events(mentor, "second_factor_removed") == [
        ("second_factor_removed", "passkey and recovery codes")
    ]


def test_another_persons_passkey_is_not_found(world):
    other = passkey_for(world.people["moderator"])
    client = Client()
    client.force_login(world.people["mentor"])
    assert client.post(f"/accounts/security/passkeys/{other.pk}/remove/").status_code == 404
    assert WebAuthnCredential.objects.filter(pk=other.pk).exists()


def test_the_security_page_lists_passkeys(world):
    mentor = world.people["mentor"]
    client = signed_in_with(mentor, passkey_for(mentor))
    response = client.get("/accounts/security/")
    assert [p.name for p in response.context["passkeys"]] == ["Passkey"]
    assert b"Passkey 1" in response.content


def test_a_first_passkey_is_logged_and_brings_recovery_codes(world, rf):
    mentor = world.people["mentor"]
    client = Client()
    client.force_login(mentor)
    request = rf.post("/")
    request.user = mentor
    request.session = client.session
    device = passkey_for(mentor)
    codes = two_factor.passkey_added(request, mentor, device)
    assert len(codes) == two_factor.RECOVERY_CODES
    assert request.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert two_factor.passkey_added(request, mentor, passkey_for(mentor)) == []
    assert events(mentor) == [
        ("second_factor_added", "passkey"),
        ("second_factor_added", "passkey"),
    ]


def test_passkey_endpoints_follow_the_step_of_the_sign_in(world):
    moderator = world.people["moderator"]
    passkey_for(moderator)
    # Signed out: the way to the login page, like every other page.
    for url in (BEGIN_AUTH, COMPLETE_AUTH, BEGIN_REGISTRATION, COMPLETE_REGISTRATION):
        assert Client().post(url)["Location"].startswith("/accounts/login/")
    # After the password: the passkey check is open, adding a passkey is not.
    client = Client()
    sign_in(client, moderator)
    begin = client.post(BEGIN_AUTH)
    assert begin.status_code == 200
    assert begin.json()["rpId"] == "localhost"
    assert len(begin.json()["allowCredentials"]) == 1
    assert client.post(BEGIN_REGISTRATION)["Location"] == "/accounts/two-factor/"
    # Signed in fully: the passkey check is not a second way in.
    client = Client()
    client.force_login(moderator)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = app_for(moderator).persistent_id
    session.save()
    assert client.post(BEGIN_AUTH).status_code == 403


def test_another_persons_passkey_is_refused_at_sign_in_and_logged(world):
    moderator = world.people["moderator"]
    app_for(moderator)
    others = passkey_for(world.people["panel_chair"])
    client = Client()
    sign_in(client, moderator)
    assert client.post(BEGIN_AUTH).status_code == 200
    raw_id = _b64(others.credential_id)
    response = client.post(
        COMPLETE_AUTH,
        {
            "id": raw_id,
            "rawId": raw_id,
            "type": "public-key",
            "response": {
                "authenticatorData": _b64(b"x" * 37),
                "clientDataJSON": _b64(b"{}"),
                "signature": _b64(b"x"),
            },
            "clientExtensionResults": {},
        },
        content_type="application/json",
    )
    assert response.status_code == 403
    assert response.json()["detail"] == (
        "That passkey is not one of yours here. Try again, or enter a code from your "
        "authenticator app or a recovery code instead."
    )
    assert two_factor.owed(response.wsgi_request) == two_factor.VERIFY
    assert events(moderator, "second_factor_failed") == [
        ("second_factor_failed", "passkey: credential_user_mismatch")
    ]


def test_adding_a_passkey_asks_for_the_password_again_after_five_minutes(world, time_machine):
    mentor = world.people["mentor"]
    time_machine.move_to("2026-11-02 09:00:00+00:00", tick=False)
    client = Client()
    client.force_login(mentor)
    assert client.get("/accounts/security/passkeys/add/").status_code == 200
    assert client.post(BEGIN_REGISTRATION).status_code == 200
    time_machine.move_to("2026-11-02 09:06:00+00:00", tick=False)
    assert client.get("/accounts/security/passkeys/add/")["Location"] == (
        "/accounts/security/confirm/?next=%2Faccounts%2Fsecurity%2Fpasskeys%2Fadd%2F"
    )
    refused = client.post(BEGIN_REGISTRATION)
    assert refused.status_code == 403
    assert refused.json()["detail"] == RECONFIRM


def _b64(data: bytes) -> str:
    return urlsafe_b64encode(data).decode().rstrip("=")


def test_an_operator_reset_removes_passkeys_too(world):
    person = world.people["moderator"]
    passkey_for(person)
    two_factor.reset(person)
    assert WebAuthnCredential.objects.filter(user=person).count() == 0


def test_re_authentication_of_a_passkey_only_person_is_the_password_then_the_passkey(
    world, time_machine
):
    mentor = world.people["mentor"]
    time_machine.move_to("2026-11-02 09:00:00+00:00", tick=False)
    client = signed_in_with(mentor, passkey_for(mentor))
    time_machine.move_to("2026-11-02 09:06:00+00:00", tick=False)
    assert client.post(BEGIN_AUTH).status_code == 403  # not before the password
    confirm = "/accounts/security/confirm/?next=%2Faccounts%2Fsecurity%2Fpasskeys%2Fadd%2F"
    form = client.get(confirm)
    assert list(form.context["form"].fields) == ["password"]
    response = client.post(confirm, {"password": "correct horse battery staple"})
    assert [t.name for t in response.templates][0] == "accounts/two_factor/confirm_passkey.html"
    assert response.context["next"] == "/accounts/security/passkeys/add/"
    # The password alone does not re-authenticate: the passkey must follow.
    assert client.get("/accounts/security/passkeys/add/")["Location"].startswith(
        "/accounts/security/confirm/"
    )
    assert client.post(BEGIN_AUTH).status_code == 200
    time_machine.move_to("2026-11-02 09:12:00+00:00", tick=False)
    assert client.post(BEGIN_AUTH).status_code == 403

"""Passkeys in Chromium, with the browser's own WebAuthn machinery and a virtual authenticator
(Chrome DevTools Protocol) standing for the person's device: django-otp-webauthn's script, served
by the portal under its CSP, makes and uses a real credential, which the server checks."""

from importlib import import_module

import pytest
from django.conf import settings
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.two_factor import AUTHENTICATED_AT_KEY

from ..second_factor import app_for, code_for
from ..test_two_factor import events
from .conftest import visit
from .test_self_review import PASSWORD, sign_in


@pytest.fixture
def passkey_settings(settings, base_url):
    """The live server's address is the passkeys' origin, and localhost their relying party."""
    assert base_url.startswith("http://localhost:")
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [base_url]
    return settings


def virtual_authenticator(page) -> tuple:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def sign_out(page):
    page.get_by_role("button", name="Sign out").click()
    page.a11y.wait()


def password(page, email):
    visit(page, "/accounts/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Sign in").click()
    page.a11y.wait()


def test_a_moderator_adds_a_passkey_and_signs_in_with_it_or_with_a_code(
    page, base_url, world, passkey_settings
):
    passkey_settings.OTP_WEBAUTHN_TIMEOUT_SECONDS = 3  # the check without the device gives up soon
    moderator = world.people["moderator"]
    cdp, authenticator = virtual_authenticator(page)

    # Signed in with the password and the app, the moderator adds a passkey.
    sign_in(page, moderator.email)
    dashboard = page.url
    visit(page, "/accounts/security/")
    page.get_by_role("link", name="Add a passkey").click()
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")
    page.get_by_role("button", name="Add a passkey").click()
    # Their first recovery codes come with it (the app was made without them), shown once.
    expect(page).to_have_url(f"{base_url}/accounts/two-factor/recovery-codes/")
    page.a11y.wait()
    visit(page, "/accounts/security/")
    passkeys = page.get_by_role("table").filter(has_text="Passkey")
    expect(passkeys.get_by_role("row")).to_have_count(2)
    expect(passkeys.get_by_role("row").nth(1)).to_contain_text("Passkey 1")
    expect(passkeys.get_by_role("row").nth(1)).to_contain_text("Not yet")
    assert WebAuthnCredential.objects.filter(user=moderator, confirmed=True).count() == 1

    # Signed out and in again: the password, then the passkey, and the dashboard.
    sign_out(page)
    password(page, moderator.email)
    expect(page).to_have_url(f"{base_url}/accounts/two-factor/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Enter your code")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(dashboard)
    page.a11y.wait()
    assert WebAuthnCredential.objects.get(user=moderator).last_used_at is not None

    # Without the device, the passkey cannot be used: the page says so and what to do instead,
    # and a code from the app still works.
    sign_out(page)
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": authenticator})
    password(page, moderator.email)
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your passkey could not be used: it was cancelled, or is not on this device. "
        "Try again, or enter a code from your authenticator app or a recovery code instead.",
        timeout=15_000,
    )
    expect(page).to_have_url(f"{base_url}/accounts/two-factor/")
    page.a11y.check()
    page.get_by_label("Code").fill(code_for(app_for(moderator)))
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(dashboard)
    page.a11y.wait()

    assert [e for e in events(moderator) if e[1] == "passkey"] == [
        ("second_factor_added", "passkey"),
        ("second_factor_verified", "passkey"),
    ]


def test_a_panel_chair_sets_up_a_passkey_instead_of_an_app_at_first_sign_in(
    page, base_url, world, passkey_settings
):
    chair = world.people["panel_chair"]
    virtual_authenticator(page)

    password(page, chair.email)
    expect(page).to_have_url(f"{base_url}/accounts/two-factor/set-up/")
    expect(page.get_by_role("heading", level=2)).to_have_text("Or use a passkey")
    page.get_by_role("button", name="Use a passkey instead").click()
    expect(page).to_have_url(f"{base_url}/accounts/two-factor/recovery-codes/?next=%2F")
    page.a11y.wait()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(
        10
    )
    page.get_by_role("link", name="Continue").click()
    page.a11y.wait()
    expect(page).not_to_have_url(f"{base_url}/accounts/two-factor/set-up/")
    assert WebAuthnCredential.objects.filter(user=chair, confirmed=True).count() == 1
    assert events(chair) == [("second_factor_added", "passkey")]

    # Next time: the passkey, with a recovery code as the way round (no app to ask a code of).
    sign_out(page)
    password(page, chair.email)
    expect(page.get_by_role("heading", level=1)).to_have_text("Use your passkey")
    page.get_by_role("button", name="Use a passkey").click()
    page.wait_for_url(lambda url: "/two-factor/" not in url)
    page.a11y.wait()

    # Five minutes on, adding a passkey asks again: the password, then the passkey.
    age_the_sign_in(page)
    visit(page, "/accounts/security/passkeys/add/")
    expect(page).to_have_url(
        f"{base_url}/accounts/security/confirm/?next=%2Faccounts%2Fsecurity%2Fpasskeys%2Fadd%2F"
    )
    page.get_by_label("Your current password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.a11y.wait()
    expect(page.get_by_role("main")).to_contain_text("Your password is right. Now use your passkey")
    page.get_by_role("button", name="Use a passkey").click()
    expect(page).to_have_url(f"{base_url}/accounts/security/passkeys/add/")
    page.a11y.wait()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a passkey")


def age_the_sign_in(page):
    """The session's last proof of who the person is, moved back past REAUTH_SECONDS (the
    server's clock is left alone)."""
    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
    session[AUTHENTICATED_AT_KEY] -= settings.REAUTH_SECONDS + 1
    session.save()

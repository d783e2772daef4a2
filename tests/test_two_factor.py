"""Second factors (accounts/two_factor.py): who needs one, set-up at first sign-in, codes at
sign-in, replays and recovery codes refused the second time, re-authentication before a change,
and the audit log of it all. Codes are computed as a phone's app would (tests/second_factor.py)."""

import re
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_scopes import scopes_disabled

from accounts import security_log
from accounts.models import Role, User
from accounts.two_factor import needs_second_factor
from audit.models import AuditEntry

from .factories import UserFactory
from .second_factor import app_for, code_for
from .test_reminders import _waiting_on_a_lock
from .test_worker import wait_for

PASSWORD = "correct horse battery staple"
REQUIRED = ["authority_admin", "panel_chair", "moderator"]
OPTIONAL = ["school_coordinator", "school_contributor", "head_teacher", "mentor", "panel_member"]
NOW = "2026-11-02 09:00:00+00:00"


def sign_in(client, user, next_url=""):
    url = reverse("accounts:login") + (f"?next={next_url}" if next_url else "")
    return client.post(url, {"username": user.email, "password": PASSWORD})


def events(user, action=None):
    """(action, detail) of the person's security events in the audit log, oldest first, but for
    signing in and out (tests/test_sessions.py's)."""
    with scopes_disabled():
        entries = AuditEntry.objects.filter(person=user, object_type="accounts.User").exclude(
            action__in=[security_log.SIGNED_IN, security_log.SIGNED_OUT]
        )
        if action:
            entries = entries.filter(action=action)
        return [(e.action, e.after["detail"]) for e in entries.order_by("created_at", "id")]


@pytest.fixture
def frozen(time_machine):
    """The clock stands still (one 30-second step of the apps) unless a test moves it."""
    time_machine.move_to(NOW, tick=False)
    return time_machine


def test_who_needs_a_second_factor(world):
    people = world.people
    assert {role: needs_second_factor(people[role]) for role in Role} == {
        Role.SCHOOL_COORDINATOR: False,
        Role.SCHOOL_CONTRIBUTOR: False,
        Role.HEAD_TEACHER: False,
        Role.MENTOR: False,
        Role.MODERATOR: True,
        Role.PANEL_MEMBER: False,
        Role.PANEL_CHAIR: True,
        Role.AUTHORITY_ADMIN: True,
    }
    assert needs_second_factor(UserFactory(is_staff=True)) is True
    assert needs_second_factor(world.outsider) is True  # admin of another authority


@pytest.mark.parametrize("role", REQUIRED)
def test_a_required_role_is_sent_to_set_up_and_reaches_no_authority_page_before(world, role):
    user = world.people[role]
    client = Client()
    response = sign_in(client, user, "/bathnes/schools/")
    assert response["Location"] == "/accounts/two-factor/set-up/?next=%2Fbathnes%2Fschools%2F"
    for path in ["/bathnes/", "/bathnes/schools/", "/bathnes/audit/", "/accounts/security/"]:
        response = client.get(path)
        assert (path, response.status_code) == (path, 302)
        assert response["Location"] == "/accounts/two-factor/set-up/?next=" + path.replace(
            "/", "%2F"
        )
    assert client.post("/bathnes/people/invite/", {"email": "x@example.org"}).status_code == 302
    assert client.get("/accounts/two-factor/").status_code == 302  # nothing to verify yet
    # Public pages stay public, and signing out works.
    assert client.get("/accessibility/").status_code == 200
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_set_up_at_first_sign_in_shows_the_qr_code_and_secret_then_recovery_codes_once(
    world, frozen
):
    admin = world.people["authority_admin"]
    client = Client()
    sign_in(client, admin, "/bathnes/schools/")
    page = client.get("/accounts/two-factor/set-up/?next=/bathnes/schools/")
    assert page.status_code == 200
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=admin)
    assert device.confirmed is False
    assert '<svg role="img" aria-label="QR code to scan with your authenticator app"' in html
    secret = re.search(r'<code class="secret-key" id="secret-key">([A-Z2-7 ]+)</code>', html)[1]
    assert secret.replace(" ", "") == page.context["secret"].replace(" ", "")
    # Reloading keeps the same secret.
    assert client.get("/accounts/two-factor/set-up/").context["secret"] == page.context["secret"]

    wrong = client.post("/accounts/two-factor/set-up/", {"code": "000000", "next": "/bathnes/"})
    assert wrong.status_code == 200
    assert wrong.context["form"].errors == {
        "code": [
            "That code is not right. Check the app shows the IQM Portal, and enter its newest code."
        ]
    }
    frozen.shift(timedelta(seconds=2))  # django-otp's throttle: one second after a failure

    response = client.post(
        "/accounts/two-factor/set-up/", {"code": code_for(device), "next": "/bathnes/schools/"}
    )
    assert response["Location"] == (
        "/accounts/two-factor/recovery-codes/?next=%2Fbathnes%2Fschools%2F"
    )
    codes_page = client.get(response["Location"])
    codes = codes_page.context["codes"]
    assert len(codes) == 10
    assert sorted(codes) == sorted(
        StaticDevice.objects.get(user=admin).token_set.values_list("token", flat=True)
    )
    assert codes_page.context["next"] == "/bathnes/schools/"
    assert client.get("/accounts/two-factor/recovery-codes/").context["codes"] is None  # once
    assert client.get("/bathnes/schools/").status_code == 200
    assert events(admin) == [
        ("second_factor_failed", "set-up"),
        ("second_factor_added", "Authenticator app"),
    ]


def test_an_optional_role_is_offered_set_up_once_and_may_skip_it(world):
    mentor = world.people["mentor"]
    client = Client()
    response = sign_in(client, mentor, "/bathnes/")
    assert response["Location"] == "/accounts/two-factor/offer/?next=%2Fbathnes%2F"
    offer = client.get(response["Location"])
    assert offer.status_code == 200
    assert offer.context["next"] == "/bathnes/"
    assert client.get("/bathnes/").status_code == 200  # skipping is simply going on
    client.post("/accounts/logout/")
    assert sign_in(client, mentor, "/bathnes/")["Location"] == "/bathnes/"


def test_an_optional_role_may_set_up_an_app_and_is_then_asked_for_its_code(world, frozen):
    mentor = world.people["mentor"]
    client = Client()
    sign_in(client, mentor)
    client.get("/accounts/two-factor/set-up/")
    device = TOTPDevice.objects.get(user=mentor)
    client.post("/accounts/two-factor/set-up/", {"code": code_for(device)})
    client.post("/accounts/logout/")
    frozen.shift(timedelta(seconds=30))
    assert sign_in(client, mentor, "/bathnes/")["Location"] == (
        "/accounts/two-factor/?next=%2Fbathnes%2F"
    )
    assert client.get("/bathnes/")["Location"] == "/accounts/two-factor/?next=%2Fbathnes%2F"


def test_a_code_signs_in_and_the_same_code_is_refused_the_second_time(world, frozen):
    moderator = world.people["moderator"]
    device = app_for(moderator)
    code = code_for(device)
    client = Client()
    assert sign_in(client, moderator, "/bathnes/")["Location"] == (
        "/accounts/two-factor/?next=%2Fbathnes%2F"
    )
    # The home page lists the person's authorities: not before the code either.
    assert client.get("/")["Location"] == "/accounts/two-factor/"
    assert client.get("/accessibility/").status_code == 200
    response = client.post("/accounts/two-factor/", {"code": code, "next": "/bathnes/"})
    assert response["Location"] == "/bathnes/"
    assert client.get("/bathnes/").status_code == 200
    client.post("/accounts/logout/")

    # Within the same 30 seconds the app still shows the same code: a replay, refused.
    frozen.shift(timedelta(seconds=5))
    assert code_for(device) == code
    sign_in(client, moderator)
    replay = client.post("/accounts/two-factor/", {"code": code})
    assert replay.status_code == 200
    assert replay.context["form"].errors == {
        "code": ["That code is not right, or has been used already. Check it and try again."]
    }
    assert client.get("/bathnes/")["Location"] == "/accounts/two-factor/?next=%2Fbathnes%2F"

    # The app's next code works.
    frozen.shift(timedelta(seconds=30))
    assert client.post("/accounts/two-factor/", {"code": code_for(device)})["Location"] == "/"
    assert events(moderator) == [
        ("second_factor_verified", "authenticator app code"),
        ("second_factor_failed", "authenticator app code"),
        ("second_factor_verified", "authenticator app code"),
    ]


def test_wrong_codes_are_throttled(world, frozen):
    chair = world.people["panel_chair"]
    device = app_for(chair)
    client = Client()
    sign_in(client, chair)
    for _ in range(2):
        client.post("/accounts/two-factor/", {"code": "123456"})
    # Two failures: django-otp refuses any code for two seconds, the right one too.
    response = client.post("/accounts/two-factor/", {"code": code_for(device)})
    assert response.context["form"].errors == {
        "code": ["Too many wrong codes. Try again after 09:00:01."]
    }
    frozen.shift(timedelta(seconds=3))
    assert client.post("/accounts/two-factor/", {"code": code_for(device)}).status_code == 302
    assert [action for action, _ in events(chair)] == ["second_factor_failed"] * 3 + [
        "second_factor_verified"
    ]


def test_a_recovery_code_works_once(world, frozen):
    admin = world.people["authority_admin"]
    client = Client()
    client.force_login(admin)
    app_for(admin)
    codes = client.post("/accounts/security/recovery-codes/new/")
    codes = client.get(codes["Location"]).context["codes"]
    client.post("/accounts/logout/")

    sign_in(client, admin)
    spaced = f"{codes[0][:4]} {codes[0][4:].upper()}"  # as people type them
    assert client.post("/accounts/two-factor/", {"code": spaced})["Location"] == "/"
    client.post("/accounts/logout/")
    sign_in(client, admin)
    again = client.post("/accounts/two-factor/", {"code": codes[0]})
    assert again.status_code == 200
    assert StaticDevice.objects.get(user=admin).token_set.count() == 9
    assert events(admin)[-2:] == [
        ("second_factor_verified", "recovery code"),
        ("second_factor_failed", "recovery code"),
    ]


def test_new_recovery_codes_replace_the_old_ones(world, frozen):
    admin = world.people["authority_admin"]
    client = Client()
    client.force_login(admin)
    first = client.get(client.post("/accounts/security/recovery-codes/new/")["Location"])
    first = first.context["codes"]
    second = client.get(client.post("/accounts/security/recovery-codes/new/")["Location"])
    second = second.context["codes"]
    assert set(first) & set(second) == set()
    tokens = StaticDevice.objects.get(user=admin).token_set.values_list("token", flat=True)
    assert sorted(tokens) == sorted(second)
    assert events(admin) == [("recovery_codes_regenerated", "")] * 2


def test_a_person_with_a_factor_cannot_add_another_before_entering_a_code(world):
    moderator = world.people["moderator"]
    app_for(moderator)
    client = Client()
    sign_in(client, moderator)
    response = client.get("/accounts/two-factor/set-up/")
    assert response["Location"] == "/accounts/two-factor/?next=%2Faccounts%2Ftwo-factor%2Fset-up%2F"
    assert TOTPDevice.objects.filter(user=moderator).count() == 1


def test_a_required_person_cannot_remove_their_last_app_but_may_after_adding_another(world, frozen):
    admin = world.people["authority_admin"]
    client = Client()
    client.force_login(admin)
    first = TOTPDevice.objects.get(user=admin)
    response = client.post(f"/accounts/security/apps/{first.pk}/remove/", follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "Your roles need a second factor, so you cannot remove your only authenticator app. "
        "Add another authenticator app or a passkey first."
    ]
    assert TOTPDevice.objects.filter(user=admin).count() == 1

    client.get("/accounts/two-factor/set-up/")
    second = TOTPDevice.objects.get(user=admin, confirmed=False)
    client.post("/accounts/two-factor/set-up/", {"code": code_for(second)})
    assert client.post(f"/accounts/security/apps/{first.pk}/remove/").status_code == 302
    assert list(TOTPDevice.objects.filter(user=admin).values_list("pk", flat=True)) == [second.pk]
    assert events(admin) == [
        ("second_factor_added", "Authenticator app"),
        ("second_factor_removed", "Authenticator app"),
    ]


def test_an_optional_person_removing_their_app_loses_the_recovery_codes_too(world):
    mentor = world.people["mentor"]
    device = app_for(mentor)
    client = Client()
    client.force_login(mentor)
    client.post("/accounts/security/recovery-codes/new/")
    assert client.post(f"/accounts/security/apps/{device.pk}/remove/").status_code == 302
    assert TOTPDevice.objects.filter(user=mentor).count() == 0
    assert StaticDevice.objects.filter(user=mentor).count() == 0
    assert events(mentor, "second_factor_removed") == [
        ("second_factor_removed", "Authenticator app and recovery codes")
    ]


def test_another_persons_app_is_not_found(world):
    other = app_for(world.people["moderator"])
    client = Client()
    client.force_login(world.people["mentor"])
    assert client.post(f"/accounts/security/apps/{other.pk}/remove/").status_code == 404
    assert TOTPDevice.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    "method, path",
    [
        ("get", "/accounts/security/email/"),
        ("get", "/accounts/security/password/"),
        ("get", "/accounts/two-factor/set-up/"),
        ("post", "/accounts/security/recovery-codes/new/"),
    ],
)
def test_changes_ask_for_the_password_and_a_code_after_five_minutes(
    world, frozen, settings, method, path
):
    assert settings.REAUTH_SECONDS == 300
    admin = world.people["authority_admin"]
    client = Client()
    client.force_login(admin)
    frozen.shift(timedelta(seconds=299))
    assert getattr(client, method)(path).status_code in (200, 302)
    assert (
        not getattr(client, method)(path)
        .get("Location", "")
        .startswith("/accounts/security/confirm/")
    )
    frozen.shift(timedelta(seconds=2))
    response = getattr(client, method)(path)
    back = path if method == "get" else "/accounts/security/"
    assert response["Location"] == "/accounts/security/confirm/?next=" + back.replace("/", "%2F")

    confirm = client.get(response["Location"])
    assert list(confirm.context["form"].fields) == ["password", "code"]
    wrong = client.post(response["Location"], {"password": "nope", "code": "000000"})
    assert wrong.context["form"].errors == {"password": ["That is not your current password."]}
    device = TOTPDevice.objects.get(user=admin, confirmed=True)
    ok = client.post(response["Location"], {"password": PASSWORD, "code": code_for(device)})
    assert ok["Location"] == back
    assert getattr(client, method)(path).get("Location", "") != response["Location"]


def test_re_authentication_asks_only_the_password_of_a_person_without_a_factor(world, frozen):
    client = Client()
    client.force_login(world.people["head_teacher"])
    frozen.shift(timedelta(minutes=10))
    response = client.get("/accounts/security/email/")
    confirm = client.get(response["Location"])
    assert list(confirm.context["form"].fields) == ["password"]


def test_changing_the_email_needs_the_password_and_tells_the_old_address(
    world, django_capture_on_commit_callbacks
):
    mentor = world.people["mentor"]
    client = Client()
    client.force_login(mentor)
    refused = client.post(
        "/accounts/security/email/", {"email": "new@example.org", "password": "guess"}
    )
    assert refused.context["form"].errors == {"password": ["That is not your current password."]}
    taken = client.post(
        "/accounts/security/email/", {"email": "Moderator@Bathnes.test", "password": PASSWORD}
    )
    assert taken.context["form"].errors == {
        "email": ["Someone already has an account with this email."]
    }
    mentor.refresh_from_db()
    assert mentor.email == "mentor@bathnes.test"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/security/email/",
            {"email": "New.Mentor@Example.org", "password": PASSWORD},
            follow=True,
        )
    assert [str(m) for m in response.context["messages"]] == [
        "Your email address is now new.mentor@example.org: sign in with it from now on. We have "
        "told mentor@bathnes.test about the change."
    ]
    mentor.refresh_from_db()
    assert mentor.email == "new.mentor@example.org"
    assert [(m.to, m.subject) for m in mail.outbox] == [
        (["mentor@bathnes.test"], "Your IQM Portal email address was changed")
    ]
    assert events(mentor) == [("email_changed", "mentor@bathnes.test to new.mentor@example.org")]


def test_changing_the_password_keeps_the_session_and_is_logged(world):
    mentor = world.people["mentor"]
    client = Client()
    client.force_login(mentor)
    response = client.post(
        "/accounts/security/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "a much longer passphrase 2026",
            "new_password2": "a much longer passphrase 2026",
        },
    )
    assert response["Location"] == "/accounts/security/"
    assert client.get("/accounts/security/").status_code == 200
    mentor.refresh_from_db()
    assert mentor.check_password("a much longer passphrase 2026")
    assert events(mentor) == [("password_changed", "")]


def test_a_security_event_is_written_in_every_authority_of_the_person(world):
    from accounts.security_log import record_event

    from .factories import MembershipFactory

    admin = world.people["authority_admin"]
    MembershipFactory(authority=world.outsider_authority, user=admin, role=Role.MENTOR)
    record_event(user=admin, action="second_factor_failed", detail="test")
    with scopes_disabled():
        entries = AuditEntry.objects.filter(person=admin).order_by("authority_id")
        assert [(e.authority.slug, e.actor, e.action, e.object_id, e.after) for e in entries] == [
            (slug, admin, "second_factor_failed", str(admin.pk), {"detail": "test", "ip": ""})
            for slug in ["bathnes", "outsider"]
        ]


def test_every_signed_in_person_has_a_security_page(world):
    people = {**world.people, **world.others, "outsider": world.outsider}
    people["platform admin"] = UserFactory(is_staff=True)
    for who, user in people.items():
        client = Client()
        client.force_login(user)
        response = client.get("/accounts/security/")
        assert (who, response.status_code) == (who, 200)
        assert response.context["required"] is needs_second_factor(user)


def test_the_platform_admin_signs_in_with_a_code_before_the_platform_pages(world):
    staff = UserFactory(is_staff=True, email="platform@iqm.test")
    client = Client()
    response = sign_in(client, staff, "/platform/authorities/")
    assert response["Location"].startswith("/accounts/two-factor/set-up/")
    assert client.get("/platform/authorities/")["Location"].startswith(
        "/accounts/two-factor/set-up/"
    )
    assert User.objects.get(pk=staff.pk).second_factor_offered_at is None


def test_an_operator_resets_a_person_who_lost_their_factors(world):
    from io import StringIO

    from django.core.management import call_command

    admin = world.people["authority_admin"]
    app_for(admin)
    out = StringIO()
    call_command("reset_second_factor", "Authority_Admin@bathnes.test", stdout=out)
    assert out.getvalue() == "Removed 1 second factor(s) of authority_admin@bathnes.test.\n"
    assert TOTPDevice.objects.filter(user=admin).count() == 0
    assert events(admin) == [("second_factor_removed", "reset by an operator")]
    client = Client()
    assert sign_in(client, admin)["Location"] == "/accounts/two-factor/set-up/"


def test_the_admin_site_shows_no_second_factor_secrets():
    from django.contrib import admin

    assert not admin.site.is_registered(TOTPDevice)
    assert not admin.site.is_registered(StaticDevice)


@pytest.mark.django_db(transaction=True)
def test_one_code_sent_twice_at_once_is_accepted_once(world):
    """Two sign-ins send the same code at the same moment: the second waits for the first's check
    (the device is locked while a code is checked and used) and then finds the code used."""
    moderator = world.people["moderator"]
    device = app_for(moderator)
    code = code_for(device)
    first, second = Client(), Client()
    sign_in(first, moderator)
    sign_in(second, moderator)
    answers = []

    def send_second():
        try:
            answers.append(second.post("/accounts/two-factor/", {"code": code}).status_code)
        finally:
            connection.close()

    with transaction.atomic():
        TOTPDevice.objects.select_for_update().get(pk=device.pk)  # the first check is under way
        thread = threading.Thread(target=send_second)
        thread.start()
        assert wait_for(lambda: _waiting_on_a_lock() == 1)
        assert first.post("/accounts/two-factor/", {"code": code}).status_code == 302
    thread.join()
    assert answers == [200]  # the form again, refused
    assert [action for action, _ in events(moderator)] == [
        "second_factor_verified",
        "second_factor_failed",
    ]


def test_the_security_page_costs_the_same_queries_however_many_factors(world):
    from django.test.utils import CaptureQueriesContext
    from django_otp_webauthn.models import WebAuthnCredential

    admin = world.people["authority_admin"]
    client = Client()
    client.force_login(admin)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/accounts/security/").status_code == 200
        return len(captured)

    one = queries()
    for n in range(3):
        TOTPDevice.objects.create(user=admin, name=f"App {n}", confirmed=True)
        WebAuthnCredential.objects.create(
            user=admin,
            name=f"Passkey {n}",
            confirmed=True,
            credential_id=bytes([n]) * 16,
            public_key=b"key",
            sign_count=0,
        )
    assert queries() == one

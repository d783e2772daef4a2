"""Passwords, sessions and the security log (issue 14, point 1)."""

import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts import domain, security_log
from accounts.models import Membership, Role, User, UserSession
from audit.models import AuditEntry

from .factories import MembershipFactory, UserFactory
from .second_factor import app_for, code_for

LOGIN = reverse("accounts:login")
PASSWORD = "correct horse battery staple"  # the world's people's password (tests/factories.py)
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def sign_in(client, email="mentor@bathnes.test", password=PASSWORD, **extra):
    return client.post(LOGIN, {"username": email, "password": password, **extra})


def security_entries(authority, **filters):
    with scope(authority=authority):
        return list(
            AuditEntry.objects.filter(action__in=_ACTIONS, **filters)
            .order_by("pk")
            .values_list("action", "actor__email", "after")
        )


_ACTIONS = [
    security_log.SIGNED_IN,
    security_log.SIGNED_OUT,
    security_log.SIGN_IN_FAILED,
    security_log.LOCKED_OUT,
    security_log.PERMISSION_REFUSED,
]


def ip(detail=""):
    return {"detail": detail, "ip": "127.0.0.1"}


# Passwords


def test_passwords_need_twelve_characters_and_not_a_common_one(db):
    assert [v["NAME"].rsplit(".", 1)[1] for v in settings.AUTH_PASSWORD_VALIDATORS] == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]
    with pytest.raises(ValidationError) as short:
        validate_password("elevenchars")
    assert short.value.messages == [
        "This password is too short. It must contain at least 12 characters."
    ]
    with pytest.raises(ValidationError) as common:
        validate_password("q1w2e3r4t5y6")
    assert common.value.messages == ["This password is too common."]
    assert validate_password("x" * 60 + "a quiet lighthouse" + "y" * 50) is None  # 128


def accept_invitation(client, world, password, token_value="t" * 43):
    """Invite a new person and post the acceptance form with this password."""
    from accounts.domain import hash_token

    with scope(authority=world.authority):
        invitation = domain.invite(
            authority=world.authority,
            by=world.people["authority_admin"],
            email="new.person@school.org",
            role=Role.SCHOOL_COORDINATOR,
            school=world.school,
        )
        invitation.token_hash = hash_token(token_value)
        invitation.save(update_fields=["token_hash"])
    url = reverse("accounts:accept_invitation", args=[token_value])
    return client.post(url, {"full_name": "Nia New", "password1": password, "password2": password})


@pytest.mark.parametrize(
    "password, error",
    [
        ("q1w2e3r4t5y6", "This password is too common."),
        ("short phrase", None),  # 12 characters: long enough
        ("shortphrase", "This password is too short. It must contain at least 12 characters."),
    ],
)
def test_the_invitation_form_checks_length_and_common_passwords(client, world, password, error):
    response = accept_invitation(client, world, password)
    if error is None:
        assert response.status_code == 302
        assert User.objects.filter(email="new.person@school.org").exists()
    else:
        assert response.status_code == 200
        assert response.context["form"].errors == {"password1": [error]}
        assert not User.objects.filter(email="new.person@school.org").exists()


def test_a_128_character_password_is_accepted_at_invitation_sign_in_and_reset(
    client, world, django_capture_on_commit_callbacks
):
    long_password = "a quiet lighthouse keeps its lamp lit " * 3 + "x" * 14
    assert len(long_password) == 128
    assert accept_invitation(client, world, long_password).status_code == 302
    client.logout()
    assert sign_in(client, "new.person@school.org", long_password).status_code == 302
    client.logout()

    newer = "the river runs slowly under old stone bridges " * 3
    newer = (newer + "z" * 128)[:128]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("accounts:password_reset"), {"email": "new.person@school.org"})
    link = re.search(rf"{re.escape(settings.SITE_URL)}(/accounts/reset/\S+)", mail.outbox[-1].body)
    form_url = client.get(link.group(1))["Location"]
    response = client.post(form_url, {"new_password1": newer, "new_password2": newer})
    assert response.status_code == 302
    assert sign_in(client, "new.person@school.org", long_password).status_code == 200
    assert sign_in(client, "new.person@school.org", newer).status_code == 302


# The session id


def test_signing_in_gives_a_new_session_id(client, world):
    session = client.session
    session["seen_the_home_page"] = True
    session.save()
    before = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == before

    assert sign_in(client).status_code == 302

    after = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert list(
        UserSession.objects.filter(session_key__in=[before, after]).values_list(
            "session_key", "user"
        )
    ) == [(after, world.people["mentor"].pk)]


# Timeouts


def test_the_defaults_are_thirty_minutes_idle_and_twelve_hours_in_all():
    assert (settings.SESSION_IDLE_TIMEOUT, settings.SESSION_ABSOLUTE_TIMEOUT) == (
        30 * 60,
        12 * 3600,
    )
    assert settings.SESSION_COOKIE_AGE == 12 * 3600


def test_thirty_idle_minutes_end_the_session_and_signing_in_comes_back(client, world):
    page = reverse("dashboard", args=["bathnes"]) + "?tab=work"
    with time_machine.travel(START, tick=False) as clock:
        assert sign_in(client).status_code == 302
        clock.shift(timedelta(minutes=29))
        assert client.get(page).status_code == 200
        clock.shift(timedelta(minutes=29, seconds=59))  # active 29 minutes ago: still signed in
        assert client.get(page).status_code == 200
        clock.shift(timedelta(minutes=30))
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == f"{LOGIN}?next=/bathnes/%3Ftab%3Dwork"
        assert "_auth_user_id" not in client.session

        response = client.get(response["Location"])
        assert [str(m) for m in response.context["messages"]] == [
            "You were signed out after 30 minutes without activity. "
            "Sign in again to carry on where you were."
        ]
        response = sign_in(client, next="/bathnes/?tab=work")
        assert response["Location"] == "/bathnes/?tab=work"
        assert client.get(page).status_code == 200
    assert security_entries(world.authority, actor=world.people["mentor"]) == [
        ("signed_in", "mentor@bathnes.test", ip()),
        ("signed_out", "mentor@bathnes.test", ip("Session ended: idle timeout")),
        ("signed_in", "mentor@bathnes.test", ip()),
    ]


def test_twelve_hours_end_the_session_however_active(client, world):
    page = reverse("dashboard", args=["bathnes"])
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        for _ in range(12 * 3 - 1):
            clock.shift(timedelta(minutes=20))
            assert client.get(page).status_code == 200
        clock.shift(timedelta(minutes=20))  # twelve hours after signing in
        response = client.get(page, follow=True)
    assert response.redirect_chain == [(f"{LOGIN}?next=/bathnes/", 302)]
    assert [str(m) for m in response.context["messages"]] == [
        "For your security you are signed out 12 hours after signing in. "
        "Sign in again to carry on where you were."
    ]


def test_the_timeouts_are_settings(client, world, settings):
    settings.SESSION_IDLE_TIMEOUT = 5 * 60
    page = reverse("dashboard", args=["bathnes"])
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(minutes=5))
        assert client.get(page).status_code == 302


def test_an_autosave_after_the_timeout_is_told_and_nothing_is_saved(client, world):
    from assessments.models import Answer

    coordinator = "school_coordinator@bathnes.test"
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=1)
    url = reverse("assessments:element", args=["bathnes", world.cycle.pk, element.pk])
    page = f"http://testserver{url}"
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, coordinator)
        clock.shift(timedelta(minutes=31))
        response = client.post(
            url,
            {"version": 0, "practice": "What we do"},
            headers={"HX-Request": "true", "HX-Current-URL": page},
        )
    assert response.status_code == 401
    login_link = f"{LOGIN}?next={url}"
    assert response.content.decode().strip() == (
        '<p class="save-status__error">Not saved: You were signed out after '
        "30 minutes without activity. "
        f'Your work is kept in this browser. <a href="{login_link}">Sign in again</a> '
        "and it will be saved.</p>"
    )
    with scopes_disabled():
        assert not Answer.objects.filter(element=element, practice="What we do").exists()


def test_an_htmx_request_with_no_session_gets_a_401_not_the_sign_in_page(client, world):
    response = client.post(reverse("dashboard", args=["bathnes"]), headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert f'<a href="{LOGIN}">Sign in again</a>' in response.content.decode()


def test_a_form_posted_after_the_timeout_goes_back_to_its_page(client, world):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client, "authority_admin@bathnes.test")
        clock.shift(timedelta(hours=1))
        response = client.post(
            reverse("people:invite", args=["bathnes"]),
            {"email": "someone@school.org", "role": Role.MENTOR},
            headers={"Referer": "http://testserver/bathnes/people/invite/"},
        )
    assert response["Location"] == f"{LOGIN}?next=/bathnes/people/invite/"
    with scope(authority=world.authority):
        assert not world.authority.invitations.exists()


def test_a_public_page_is_shown_signed_out_after_the_timeout(client, world):
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(hours=1))
        response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    assert response.context["user"].is_authenticated is False


# Disabling a person


def signed_in_clients(*emails):
    clients = []
    for email in emails:
        c = Client()
        assert sign_in(c, email).status_code == 302
        clients.append(c)
    return clients


def dashboard_status(c):
    return c.get(reverse("dashboard", args=["bathnes"])).status_code


def test_making_a_person_inactive_ends_all_their_sessions(world):
    laptop, phone, colleague = signed_in_clients(
        "mentor@bathnes.test", "Mentor@Bathnes.test", "panel_member@bathnes.test"
    )
    mentor = world.people["mentor"]
    assert UserSession.objects.filter(user=mentor).count() == 2

    mentor.is_active = False
    mentor.save()

    assert UserSession.objects.filter(user=mentor).count() == 0
    assert [dashboard_status(c) for c in (laptop, phone, colleague)] == [302, 302, 200]


def test_removing_a_persons_last_role_ends_their_sessions(admin_client, world):
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MENTOR)
    (mentor_client,) = signed_in_clients("mentor@bathnes.test")
    with scope(authority=world.authority):
        membership = Membership.objects.get(user=mentor)
    admin_client.post(reverse("people:remove", args=["bathnes", membership.pk]))
    # A role left in another authority: still signed in.
    outsider_dashboard = reverse("dashboard", args=["outsider"])
    assert mentor_client.get(outsider_dashboard).status_code == 200
    assert UserSession.objects.filter(user=mentor).count() == 1

    with scope(authority=world.outsider_authority):
        outsider_membership = Membership.objects.get(user=mentor)
        domain.remove_membership(membership=outsider_membership, by=world.outsider)
    assert UserSession.objects.filter(user=mentor).count() == 0
    assert mentor_client.get(outsider_dashboard)["Location"] == f"{LOGIN}?next=/outsider/"


# The security log


def test_signing_in_and_out_is_logged_in_every_authority_of_the_person(client, world):
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MODERATOR)
    sign_in(client, "Mentor@Bathnes.test")
    client.post(reverse("accounts:logout"))
    for authority in (world.authority, world.outsider_authority):
        assert security_entries(authority) == [
            ("signed_in", "mentor@bathnes.test", ip()),
            ("signed_out", "mentor@bathnes.test", ip()),
        ]
    with scope(authority=world.authority):
        entry = AuditEntry.objects.filter(action="signed_in").get()
    assert (entry.person, entry.object_type, entry.object_id, entry.object_repr) == (
        mentor,
        "accounts.User",
        str(mentor.pk),
        "Mentor",
    )


def test_a_timeout_on_one_authoritys_page_is_logged_in_each_authority(client, world):
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MODERATOR)
    with time_machine.travel(START, tick=False) as clock:
        sign_in(client)
        clock.shift(timedelta(hours=1))
        client.get(reverse("dashboard", args=["outsider"]))
    for authority in (world.authority, world.outsider_authority):
        assert security_entries(authority, action="signed_out") == [
            ("signed_out", "mentor@bathnes.test", ip("Session ended: idle timeout"))
        ]


def test_a_person_with_no_authority_is_logged_by_the_security_logger(client, db, caplog):
    platform_admin = UserFactory(email="platform@iqm-portal.test", is_staff=True)
    with caplog.at_level(logging.INFO, logger="iqm_portal.security"):
        assert sign_in(client, "platform@iqm-portal.test").status_code == 302
    assert [r.getMessage() for r in caplog.records if r.name == "iqm_portal.security"] == [
        f"signed_in user_id={platform_admin.pk} ip=127.0.0.1 detail=''"
    ]
    with scopes_disabled():
        assert AuditEntry.objects.count() == 0


def test_failures_and_the_lock_out_are_logged(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, password="wrong")
    # The last failure locks the login (django-axes tells of it first).
    failed = ("sign_in_failed", "mentor@bathnes.test", ip())
    assert security_entries(world.authority) == [failed] * (settings.AXES_FAILURE_LIMIT - 1) + [
        ("locked_out", "mentor@bathnes.test", ip()),
        failed,
    ]
    with scope(authority=world.outsider_authority):
        assert AuditEntry.objects.filter(action__in=_ACTIONS).count() == 0


def test_a_failure_for_an_unknown_email_goes_to_the_security_logger_hashed(client, world, caplog):
    with caplog.at_level(logging.INFO, logger="iqm_portal.security"):
        sign_in(client, "Nobody@Example.org", password="wrong")
    digest = security_log.email_digest("nobody@example.org")
    assert [r.getMessage() for r in caplog.records if r.name == "iqm_portal.security"] == [
        f"sign_in_failed unknown_email={digest} ip=127.0.0.1"
    ]
    assert "nobody" not in caplog.text.lower()
    with scopes_disabled():
        assert AuditEntry.objects.filter(action__in=_ACTIONS).count() == 0


def test_a_refused_page_is_logged_in_that_authority_only(client, world):
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MODERATOR)
    client.force_login(mentor)
    url = reverse("audit:log", args=["bathnes"])
    assert client.get(url).status_code == 403
    assert security_entries(world.authority, action="permission_refused") == [
        ("permission_refused", "mentor@bathnes.test", ip(url))
    ]
    assert security_entries(world.outsider_authority, action="permission_refused") == []


def test_an_outsiders_404_is_not_a_refusal(client, world):
    client.force_login(world.outsider)
    assert client.get(reverse("audit:log", args=["bathnes"])).status_code == 404
    with scopes_disabled():
        assert AuditEntry.objects.filter(action="permission_refused").count() == 0


def test_the_audit_log_names_the_security_events(client, world):
    sign_in(client, "mentor@bathnes.test", password="wrong")
    device = app_for(world.people["authority_admin"])
    sign_in(client, "authority_admin@bathnes.test")
    client.post(reverse("accounts:verify"), {"code": code_for(device)})
    response = client.get(reverse("audit:log", args=["bathnes"]))
    rows = [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip()
        for row in re.findall(r"<tr><td>.*?</tr>", response.content.decode(), re.S)
    ]
    # Newest first; the time (first cell) left out.
    assert [row.split(" ", 4)[4] for row in rows[:3]] == [
        "Authority admin Passed the second factor authenticator app code From address 127.0.0.1",
        "Authority admin Signed in From address 127.0.0.1",
        "Mentor Sign-in failed (wrong password) From address 127.0.0.1",
    ]


# Password reset: rate limits and links


def request_reset(client, email, address="10.0.0.1", **headers):
    return client.post(
        reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address, **headers
    )


def test_reset_requests_are_limited_per_account_in_any_case(
    client, world, django_capture_on_commit_callbacks
):
    spellings = [
        "mentor@bathnes.test",
        "MENTOR@bathnes.test",
        " Mentor@Bathnes.Test",
        "mentor@BATHNES.test",
    ]
    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            request_reset(client, email, address=f"10.0.0.{n}") for n, email in enumerate(spellings)
        ]
    assert [(r.status_code, r["Location"]) for r in responses] == [
        (302, reverse("accounts:password_reset_done"))
    ] * 4
    assert len(mail.outbox) == 3  # settings.PASSWORD_RESET_RATE_PER_ACCOUNT, 3 an hour
    # Another account is not held up by this one.
    with django_capture_on_commit_callbacks(execute=True):
        request_reset(client, "moderator@bathnes.test", address="10.0.0.9")
    assert [m.to for m in mail.outbox[3:]] == [["moderator@bathnes.test"]]


def test_reset_requests_are_limited_per_address(client, world, django_capture_on_commit_callbacks):
    emails = [f"{role.value}@bathnes.test" for role in Role] + [
        "moderator2@bathnes.test",
        "panel2@bathnes.test",
        "panel3@bathnes.test",
    ]
    assert len(emails) == 11
    with django_capture_on_commit_callbacks(execute=True):
        codes = [request_reset(client, email).status_code for email in emails]
    assert codes == [302] * 11
    assert [m.to[0] for m in mail.outbox] == emails[:10]  # 10 an hour from one address
    with time_machine.travel(datetime.now(UTC) + timedelta(hours=1, minutes=1)):
        with django_capture_on_commit_callbacks(execute=True):
            request_reset(client, "panel4@bathnes.test")
    assert mail.outbox[-1].to == ["panel4@bathnes.test"]


def test_the_reset_link_is_built_from_site_url_not_the_host_header(
    client, world, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://iqm.bathnes.example"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = request_reset(client, "mentor@bathnes.test", HTTP_HOST="evil.example")
    assert response.status_code == 302
    (email,) = mail.outbox
    assert re.findall(r"\S+/accounts/reset/\S+", email.body) == [
        re.search(
            r"https://iqm\.bathnes\.example/accounts/reset/[^/\s]+/[^/\s]+/", email.body
        ).group(0)
    ]
    assert "evil" not in email.body


def test_the_invitation_link_is_built_from_site_url_not_the_host_header(
    admin_client, world, settings, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://iqm.bathnes.example"
    settings.ALLOWED_HOSTS = ["testserver", "evil.example"]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("people:invite", args=["bathnes"]),
            {"email": "new.mentor@school.org", "role": Role.MENTOR},
            HTTP_HOST="evil.example",
        )
    assert response.status_code == 302
    (email,) = mail.outbox
    assert re.findall(r"\S+/accounts/invitations/\S+", email.body) == [
        re.search(r"https://iqm\.bathnes\.example/accounts/invitations/[\w-]+/", email.body).group(
            0
        )
    ]
    assert "evil" not in email.body

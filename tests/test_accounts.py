import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.hashers import identify_hasher
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts import domain
from accounts.models import Invitation, Membership, Role, User
from audit.models import AuditEntry
from authorities.school_picker import school_text

from .factories import MembershipFactory, UserFactory


def test_argon2_is_the_first_password_hasher(db, settings):
    settings.PASSWORD_HASHERS = [
        h for h in __import__("iqm_portal.settings").settings.PASSWORD_HASHERS
    ]
    user = UserFactory()
    assert identify_hasher(user.password).algorithm == "argon2"


def test_login_by_email_lands_on_the_authority(client, world):
    response = client.post(
        reverse("accounts:login"),
        {"username": "Mentor@Bathnes.test", "password": "correct horse battery staple"},
    )
    assert response.status_code == 302
    # A mentor's second factor is optional: it is offered once, after the first sign-in.
    assert response["Location"] == "/accounts/two-factor/offer/"
    assert client.get("/")["Location"] == "/bathnes/"
    client.logout()
    response = client.post(
        reverse("accounts:login"),
        {"username": "Mentor@Bathnes.test", "password": "correct horse battery staple"},
    )
    assert response["Location"] == "/"


def test_wrong_password_says_so(client, world):
    response = client.post(
        reverse("accounts:login"), {"username": "mentor@bathnes.test", "password": "wrong"}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "The email address or password is not right. Check them and try again."
    ]


def test_five_failures_lock_the_login_with_a_clear_message(client, world):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert (
            client.post(
                reverse("accounts:login"), {"username": "mentor@bathnes.test", "password": "wrong"}
            ).status_code
            == 200
        )
    response = client.post(
        reverse("accounts:login"), {"username": "mentor@bathnes.test", "password": "wrong"}
    )
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    # Even the right password is refused while locked.
    response = client.post(
        reverse("accounts:login"),
        {"username": "mentor@bathnes.test", "password": "correct horse battery staple"},
    )
    assert response.status_code == 429


def test_failures_in_any_case_of_one_email_lock_that_email(client, world):
    spellings = [
        "MENTOR@BATHNES.TEST",
        "Mentor@Bathnes.test",
        " mentor@bathnes.TEST ",
        "mEnToR@bAtHnEs.test",
        "mentor@bathnes.test",
    ]
    assert len(spellings) == settings.AXES_FAILURE_LIMIT
    login = reverse("accounts:login")
    codes = [
        client.post(login, {"username": s, "password": "wrong"}).status_code for s in spellings
    ]
    assert codes == [200, 200, 200, 200, 429]
    assert list(AccessAttempt.objects.values_list("username", "failures_since_start")) == [
        ("mentor@bathnes.test", 5)
    ]
    # Locked in every spelling, even with the right password.
    for spelling in ("mentor@bathnes.test", "Mentor@BATHNES.test"):
        response = client.post(
            login, {"username": spelling, "password": "correct horse battery staple"}
        )
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post(client, world):
    client.force_login(world.people["mentor"])
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert client.get(reverse("dashboard", args=["bathnes"])).status_code == 302


def test_password_reset_sends_a_link_that_sets_the_password(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "mentor@bathnes.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["mentor@bathnes.test"]
    link = re.search(rf"{settings.SITE_URL}(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    response = client.post(
        form_url,
        {"new_password1": "a new long passphrase", "new_password2": "a new long passphrase"},
    )
    assert response.status_code == 302
    response = client.post(
        reverse("accounts:login"),
        {"username": "mentor@bathnes.test", "password": "a new long passphrase"},
    )
    assert response.status_code == 302


def test_password_reset_for_an_unknown_email_sends_nothing(
    client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


# Invitations


def invite_url(slug="bathnes"):
    return reverse("people:invite", args=[slug])


def test_admin_invites_a_coordinator_who_sets_a_password(
    admin_client, client, world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            invite_url(),
            {
                "email": "New.Person@School.org",
                "role": Role.SCHOOL_COORDINATOR,
                "school": "Chandag Infant",  # as typed: the one school of that name
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@school.org"]
    link = re.search(
        r"http://127.0.0.1:8000(/accounts/invitations/\S+/)", mail.outbox[0].body
    ).group(1)
    with scope(authority=world.authority):
        entry = AuditEntry.objects.get(action="invitation.sent")
    assert entry.actor == world.people["authority_admin"]
    assert entry.after == {
        "email": "new.person@school.org",
        "role": "school_coordinator",
        "school": world.school.pk,
        "expires_at": entry.after["expires_at"],
    }
    assert "token_hash" not in entry.after

    visitor = client
    visitor.logout()
    assert visitor.get(link).status_code == 200
    response = visitor.post(
        link,
        {
            "full_name": "Nia New",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/bathnes/"
    user = User.objects.get(email="new.person@school.org")
    with scope(authority=world.authority):
        assert [(m.role, m.school) for m in Membership.objects.filter(user=user)] == [
            ("school_coordinator", world.school)
        ]
    # The link works once.
    visitor.logout()
    response = visitor.get(link)
    assert response.status_code == 410
    assert (
        response.context["reason"]
        == "This invitation has already been used. Sign in with the email address it was sent to."
    )


def make_invitation(world, **changes):
    with scope(authority=world.authority):
        invitation = domain.invite(
            authority=world.authority,
            by=world.people["authority_admin"],
            email="x@example.org",
            role=Role.MENTOR,
        )
        for field, value in changes.items():
            setattr(invitation, field, value)
        invitation.save()
    return invitation


@pytest.fixture
def token(monkeypatch):
    monkeypatch.setattr(domain.secrets, "token_urlsafe", lambda n: "known-token")
    return "known-token"


@pytest.mark.parametrize(
    "changes, reason",
    [
        (
            {"expires_at": timezone.now() - timedelta(minutes=1)},
            "This invitation has expired. Ask your authority's admin to send a new one.",
        ),
        (
            {"revoked_at": timezone.now()},
            "This invitation was withdrawn. Ask your authority's admin for a new one.",
        ),
    ],
)
def test_expired_or_withdrawn_invitation_is_refused_and_saves_nothing(
    client, world, token, changes, reason
):
    make_invitation(world, **changes)
    url = reverse("accounts:accept_invitation", args=[token])
    response = client.post(
        url,
        {
            "full_name": "X",
            "password1": "a long new passphrase",
            "password2": "a long new passphrase",
        },
    )
    assert response.status_code == 410
    assert response.context["reason"] == reason
    assert not User.objects.filter(email="x@example.org").exists()


def test_unknown_invitation_token(client, db):
    response = client.get(reverse("accounts:accept_invitation", args=["nope"]))
    assert response.status_code == 410
    assert response.context["reason"].startswith("This invitation link is not valid.")


def test_accepting_with_mismatched_passwords_shows_the_error_and_saves_nothing(
    client, world, token
):
    make_invitation(world)
    url = reverse("accounts:accept_invitation", args=[token])
    response = client.post(
        url, {"full_name": "", "password1": "a long new passphrase", "password2": "another"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "full_name": ["This field is required."],
        "password2": ["The two passwords are not the same."],
    }
    assert not User.objects.filter(email="x@example.org").exists()


def test_existing_user_accepts_while_signed_in(client, world, token):
    existing = UserFactory(email="x@example.org")
    make_invitation(world)
    client.force_login(existing)
    response = client.post(reverse("accounts:accept_invitation", args=[token]))
    assert response.status_code == 302
    with scope(authority=world.authority):
        assert list(Membership.objects.filter(user=existing).values_list("role", flat=True)) == [
            "mentor"
        ]


def test_signed_in_as_someone_else_cannot_take_the_invitation(client, world, token):
    UserFactory(email="x@example.org")
    make_invitation(world)
    client.force_login(world.people["mentor"])
    response = client.post(reverse("accounts:accept_invitation", args=[token]))
    assert response.status_code == 410
    assert response.context["reason"] == (
        "This invitation was sent to x@example.org, but you are signed in as mentor@bathnes.test."
    )


@pytest.mark.parametrize(
    "data, errors",
    [
        ({}, {"email": ["This field is required."], "role": ["This field is required."]}),
        ({"email": "not-an-email", "role": "mentor"}, {"email": ["Enter a valid email address."]}),
        (
            {"email": "a" * 250 + "@x.org", "role": "mentor"},
            {"email": ["Ensure this value has at most 254 characters (it has 256)."]},
        ),
        (
            {"email": "a@x.org", "role": "wizard"},
            {"role": ["Select a valid choice. wizard is not one of the available choices."]},
        ),
        (
            {"email": "a@x.org", "role": "school_coordinator"},
            {"school": ["Choose the school this person works at."]},
        ),
        (
            {"email": "a@x.org", "role": "mentor", "school": "SCHOOL"},
            {"school": ["Only school roles are held at a school: leave this empty."]},
        ),
        (
            {"email": "a@x.org", "role": "school_coordinator", "school": "OUTSIDER"},
            {
                "school": [
                    "No school in Bath & North East Somerset is called “Outsider Academy (URN "
                    "OUTSIDER_URN)”: type part of its name or its URN, and choose it from the list."
                ]
            },
        ),
        (
            {"email": "mentor@bathnes.test", "role": "mentor"},
            {"email": ["This person already has that role."]},
        ),
    ],
)
def test_invitation_form_errors_save_nothing(admin_client, world, data, errors):
    picked = {"SCHOOL": school_text(world.school), "OUTSIDER": school_text(world.outsider_school)}
    data = {k: picked.get(v, v) for k, v in data.items()}
    errors = {
        k: [e.replace("OUTSIDER_URN", world.outsider_school.urn) for e in v]
        for k, v in errors.items()
    }
    with scopes_disabled():
        logged = AuditEntry.objects.count()
    response = admin_client.post(invite_url(), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    with scopes_disabled():
        assert Invitation.objects.count() == 0
        assert AuditEntry.objects.count() == logged


def test_the_only_admin_cannot_be_removed(admin_client, world):
    with scope(authority=world.authority):
        membership = Membership.objects.get(role=Role.AUTHORITY_ADMIN)
    response = admin_client.post(
        reverse("people:remove", args=["bathnes", membership.pk]), follow=True
    )
    assert [str(m) for m in response.context["messages"]] == [
        "This is the authority's only admin: make someone else an admin first."
    ]
    with scope(authority=world.authority):
        assert Membership.objects.filter(pk=membership.pk).exists()


def test_removing_a_role_is_logged(admin_client, world):
    with scope(authority=world.authority):
        membership = Membership.objects.get(role=Role.MENTOR, user=world.people["mentor"])
    admin_client.post(reverse("people:remove", args=["bathnes", membership.pk]))
    with scope(authority=world.authority):
        assert not Membership.objects.filter(pk=membership.pk).exists()
        entry = AuditEntry.objects.get(action="membership.removed")
    assert (entry.person, entry.before) == (
        world.people["mentor"],
        {"user": world.people["mentor"].pk, "role": "mentor", "school": None},
    )


def test_person_in_two_authorities_switches_between_them(client, world):
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.MODERATOR)
    client.force_login(mentor)
    response = client.get("/")
    assert [a.slug for a in response.context["authorities"]] == ["bathnes", "outsider"]
    response = client.get(reverse("dashboard", args=["outsider"]))
    assert response.status_code == 200
    assert [m.role for m in response.context["my_roles"]] == ["moderator"]
    assert [a.slug for a in response.context["my_authorities"]] == ["bathnes", "outsider"]


def test_a_persons_roles_in_another_authority_open_nothing_here(client, world):
    """Their memberships of every authority are read at once; an authority's pages take only its
    own."""
    mentor = world.people["mentor"]
    MembershipFactory(authority=world.outsider_authority, user=mentor, role=Role.AUTHORITY_ADMIN)
    client.force_login(mentor)
    response = client.get(reverse("dashboard", args=["bathnes"]))
    assert [(m.authority.slug, m.role) for m in response.context["my_roles"]] == [
        ("bathnes", "mentor")
    ]
    assert response.wsgi_request.roles == {Role.MENTOR}
    assert client.get(reverse("people:list", args=["bathnes"])).status_code == 403
    assert client.get(reverse("people:list", args=["outsider"])).status_code == 200


def test_people_are_listed_by_name_then_email_then_role(world):
    from .factories import AuthorityFactory

    authority = AuthorityFactory(slug="sorted")
    ann_b = UserFactory(full_name="Ann", email="b@sorted.test")
    ann_a = UserFactory(full_name="Ann", email="a@sorted.test")
    bea = UserFactory(full_name="Bea", email="0@sorted.test")
    for user, role in [
        (bea, Role.MENTOR),
        (ann_b, Role.MENTOR),
        (ann_a, Role.PANEL_MEMBER),
        (ann_a, Role.MENTOR),
    ]:
        MembershipFactory(authority=authority, user=user, role=role)
    MembershipFactory(authority=world.outsider_authority, user=ann_a, role=Role.MODERATOR)
    with scope(authority=authority):
        listed = [(m.user.email, m.role) for m in domain.memberships_by_name()]
        mentors = [m.user.email for m in domain.memberships_by_name(Role.MENTOR)]
    assert listed == [
        ("a@sorted.test", Role.MENTOR),
        ("a@sorted.test", Role.PANEL_MEMBER),
        ("b@sorted.test", Role.MENTOR),
        ("0@sorted.test", Role.MENTOR),
    ]
    assert mentors == ["a@sorted.test", "b@sorted.test", "0@sorted.test"]


def test_the_people_page_filters_by_role_and_ignores_an_unknown_one(admin_client, world):
    url = reverse("people:list", args=["bathnes"])
    response = admin_client.get(url, {"role": Role.MENTOR})
    assert [m.user.email for m in response.context["page"]] == [
        "mentor@bathnes.test",
        "other_mentor@bathnes.test",
    ]
    response = admin_client.get(url, {"role": "\x00nobody"})
    assert response.context["role"] == ""
    assert len(response.context["page"]) == len(Role) + 8  # the world's other people too

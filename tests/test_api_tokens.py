"""Personal API tokens (issue 15, item 2): the page that makes, shows once and revokes them, the
command that makes one for scripts, and what the API does with them: hashed, revoked or disabled
at once, one authority only, read-only refused on writes, last use recorded, a rate per token."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled
from rest_framework.test import APIClient

from accounts import tokens
from accounts.models import ApiToken, Membership
from accounts.two_factor import AUTHENTICATED_AT_KEY
from api.throttling import PerToken
from audit.models import AuditEntry

from .factories import MembershipFactory, UserFactory

SECRET = re.compile(r"iqm_[A-Za-z0-9_-]{43}")


def make(world, who="mentor", *, can_write=False, authority=None, name="Script"):
    person = world.people[who] if isinstance(who, str) else who
    with scopes_disabled():
        return tokens.create_token(person, authority or world.authority, name, can_write=can_write)


def api(secret=None):
    client = APIClient(raise_request_exception=False)
    if secret:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def areas_url(slug="bathnes"):
    return reverse("api:area-list", kwargs={"authority_slug": slug})


def fresh(token):
    with scopes_disabled():
        return ApiToken.objects.get(pk=token.pk)


def page(slug="bathnes"):
    return reverse("api_tokens:list", args=[slug])


def create_url(slug="bathnes"):
    return reverse("api_tokens:create", args=[slug])


# The page -----------------------------------------------------------------------------------------


def test_a_member_makes_a_token_and_sees_its_secret_once(client, world):
    mentor = world.people["mentor"]
    client.force_login(mentor)
    response = client.post(create_url(), {"name": "MIS sync", "can_write": "on"})
    assert response.status_code == 200
    body = response.content.decode()
    [secret] = set(SECRET.findall(body))
    assert "it will not be shown again" in body
    assert 'role="status"' in body
    assert f'<code id="token-secret" class="secret-key">{secret}</code>' in body

    with scopes_disabled():
        [token] = ApiToken.objects.filter(user=mentor)
    assert (token.name, token.can_write, token.authority) == ("MIS sync", True, world.authority)
    # Only the secret's SHA-256 is kept: not the secret, in the token or anywhere in its row.
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.hint == secret[-4:]
    with scopes_disabled():
        row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert [k for k, v in row.items() if isinstance(v, str) and secret in v] == []

    listing = client.get(page())
    assert listing.status_code == 200
    assert SECRET.findall(listing.content.decode()) == []
    assert "MIS sync" in listing.content.decode()
    assert list(listing.context["tokens"]) == [token]
    assert api(secret).get(areas_url()).status_code == 200

    with scopes_disabled():
        entries = AuditEntry.objects.filter(action="api_token.created")
        assert [(e.authority_id, e.person_id, e.after["detail"]) for e in entries] == [
            (world.authority.pk, mentor.pk, f"“MIS sync” (…{secret[-4:]}), read and write")
        ]
        assert entries[0].security_label == "Made a personal API token"


def test_the_page_lists_only_the_persons_own_tokens_of_this_authority(client, world):
    mentor = world.people["mentor"]
    with scopes_disabled():
        Membership.objects.create(authority=world.outsider_authority, user=mentor, role="mentor")
    mine, _ = make(world, "mentor", name="Mine")
    make(world, "authority_admin", name="The admin's")
    make(world, mentor, authority=world.outsider_authority, name="Mine elsewhere")
    revoked, _ = make(world, "mentor", can_write=True, name="Old")
    with scopes_disabled():
        tokens.revoke(revoked)
    client.force_login(mentor)
    response = client.get(page())
    assert [t.name for t in response.context["tokens"]] == ["Old", "Mine"]
    body = response.content.decode()
    assert "The admin" not in body and "Mine elsewhere" not in body
    assert "Read and write" in body and "Read only" in body and "Revoked " in body
    assert response.context["tokens"][0].revoked_at is not None
    assert "<title>API tokens – Bath &amp; North East Somerset – IQM Portal</title>" in body
    # Revoke links for the live token only.
    assert reverse("api_tokens:revoke_check", args=["bathnes", mine.pk]) in body
    assert reverse("api_tokens:revoke_check", args=["bathnes", revoked.pk]) not in body


def test_the_form_says_what_is_wrong(client, world):
    client.force_login(world.people["school_coordinator"])
    for data, message in [
        ({"name": ""}, "Enter a name for the token."),
        ({"name": "   "}, "Enter a name for the token."),
        ({"name": "x" * 101}, "The name must be 100 characters or fewer."),
    ]:
        response = client.post(create_url(), data)
        assert response.status_code == 200
        body = response.content.decode()
        assert "<title>Error: API tokens – Bath &amp; North East Somerset" in body
        assert 'class="error-summary"' in body
        assert f'<a href="#id_name">Name: {message}</a>' in body
        assert SECRET.findall(body) == []
    with scopes_disabled():
        assert ApiToken.objects.count() == 0


def test_making_a_token_asks_who_you_are_after_a_while(client, world, settings):
    client.force_login(world.people["authority_admin"])
    session = client.session
    session[AUTHENTICATED_AT_KEY] -= settings.REAUTH_SECONDS + 1
    session.save()
    listing = client.get(page())
    assert "you will be asked to confirm it’s you first" in listing.content.decode()
    response = client.post(create_url(), {"name": "Late"})
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('accounts:confirm')}?next=%2Fbathnes%2Fapi-tokens%2F"
    )
    with scopes_disabled():
        assert ApiToken.objects.count() == 0


def test_revoking_asks_first_then_stops_the_token_at_once(client, world):
    token, secret = make(world, "mentor", can_write=True, name="Warehouse")
    client.force_login(world.people["mentor"])
    assert api(secret).get(areas_url()).status_code == 200

    check = client.get(reverse("api_tokens:revoke_check", args=["bathnes", token.pk]))
    assert check.status_code == 200
    assert "Revoke the token “Warehouse”?" in check.content.decode()
    assert fresh(token).revoked_at is None  # the check page changes nothing

    response = client.post(reverse("api_tokens:revoke", args=["bathnes", token.pk]))
    assert response.status_code == 302
    assert response["Location"] == page()
    assert fresh(token).revoked_at is not None

    refused = api(secret).get(areas_url())
    assert refused.status_code == 401
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "authentication_failed"
    assert refused["WWW-Authenticate"] == 'Bearer realm="api"'
    with scopes_disabled():
        assert list(
            AuditEntry.objects.filter(action="api_token.revoked").values_list(
                "authority_id", "person_id"
            )
        ) == [(world.authority.pk, world.people["mentor"].pk)]

    again = client.post(reverse("api_tokens:revoke", args=["bathnes", token.pk]))
    assert again.status_code == 302
    with scopes_disabled():
        assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_nobody_else_revokes_a_persons_token(client, world):
    token, secret = make(world, "mentor")
    client.force_login(world.people["authority_admin"])
    for name in ("api_tokens:revoke_check", "api_tokens:revoke"):
        method = client.get if name.endswith("check") else client.post
        assert method(reverse(name, args=["bathnes", token.pk])).status_code == 404
    assert fresh(token).revoked_at is None
    assert api(secret).get(areas_url()).status_code == 200


def test_the_page_is_linked_from_sign_in_and_security_and_the_navigation(client, world):
    mentor = world.people["mentor"]
    with scopes_disabled():
        Membership.objects.create(authority=world.outsider_authority, user=mentor, role="mentor")
    client.force_login(mentor)
    security = client.get(reverse("accounts:security")).content.decode()
    assert f'<a href="{page()}">Your API tokens in Bath &amp; North East Somerset</a>' in security
    assert f'<a href="{page("outsider")}">Your API tokens in Outsider Council</a>' in security
    dashboard = client.get(reverse("dashboard", args=["bathnes"])).content.decode()
    assert f'<a href="{page()}">API tokens</a>' in dashboard
    assert (
        f'<a href="{page()}" aria-current="page">API tokens</a>'
        in client.get(page()).content.decode()
    )


def test_the_page_costs_the_same_however_many_tokens(client, world):
    client.force_login(world.people["mentor"])
    make(world, "mentor")
    client.get(page())  # the session's first reads, once

    def cost():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(page())
        assert response.status_code == 200
        return len(response.context["tokens"]), len(captured)

    one = cost()
    make(world, "mentor", name="Second", can_write=True)
    second, _ = make(world, "mentor", name="Third")
    with scopes_disabled():
        tokens.revoke(second)
    three = cost()
    assert (one[0], three[0]) == (1, 3)
    assert three[1] == one[1]


# The API ------------------------------------------------------------------------------------------


def test_a_disabled_persons_token_stops_at_once(world):
    token, secret = make(world, "mentor")
    assert api(secret).get(areas_url()).status_code == 200
    mentor = world.people["mentor"]
    mentor.is_active = False
    mentor.save(update_fields=["is_active"])
    response = api(secret).get(areas_url())
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_person_removed_from_the_authority_gets_404(world):
    token, secret = make(world, "mentor")
    with scopes_disabled():
        Membership.objects.filter(user=world.people["mentor"]).delete()
    response = api(secret).get(areas_url())
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "Not found."


def test_a_persons_tokens_are_revoked_when_their_last_role_here_ends(world):
    """Through the people page's domain function: a later role here must not bring an old token
    back."""
    from accounts.domain import remove_membership

    token, secret = make(world, "mentor", can_write=True)
    mentor = world.people["mentor"]
    with scope(authority=world.authority):
        remove_membership(
            membership=Membership.objects.get(user=mentor), by=world.people["authority_admin"]
        )
        token.refresh_from_db()
        assert token.revoked_at is not None
        Membership.objects.create(authority=world.authority, user=mentor, role="mentor")
    response = api(secret).get(areas_url())
    assert response.status_code == 401


def test_another_authoritys_token_is_404_here(world):
    _, theirs = make(world, world.outsider, authority=world.outsider_authority)
    assert api(theirs).get(areas_url("outsider")).status_code == 200
    response = api(theirs).get(areas_url("bathnes"))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    # Even when the person is a member of both: the token is for one authority.
    with scopes_disabled():
        Membership.objects.create(
            authority=world.authority, user=world.outsider, role="authority_admin"
        )
    assert api(theirs).get(areas_url("bathnes")).status_code == 404
    assert (
        api(theirs).get(reverse("api:school-detail", args=["bathnes", world.school.pk])).status_code
        == 404
    )


def test_a_read_only_token_cannot_write(world):
    """A POST to a read-only route: the read-only token is refused by the permission (403) before
    the route says it takes no POST (405, what a read-write token gets)."""
    _, reader = make(world, "authority_admin")
    _, writer = make(world, "authority_admin", can_write=True)
    refused = api(reader).post(areas_url(), {"name": "North"}, format="json")
    assert refused.status_code == 403
    assert refused.json() == {
        "type": "about:blank",
        "title": "Forbidden",
        "status": 403,
        "code": "permission_denied",
        "detail": "This token can only read.",
    }
    assert api(writer).post(areas_url(), {"name": "North"}, format="json").status_code == 405
    assert api(reader).get(areas_url()).status_code == 200


def test_no_token_or_a_wrong_one_is_401(world):
    assert api().get(areas_url()).status_code == 401
    for header in ("Bearer iqm_not-a-token", "Bearer nope", "Bearer a b"):
        client = APIClient(raise_request_exception=False)
        client.credentials(HTTP_AUTHORIZATION=header)
        response = client.get(areas_url())
        assert (header, response.status_code) == (header, 401)
        assert response["Content-Type"] == "application/problem+json"


def test_last_use_is_recorded_at_most_once_a_minute(world, time_machine):
    time_machine.move_to("2026-09-01 09:00:00+00:00", tick=False)
    token, secret = make(world, "mentor")
    assert fresh(token).last_used_at is None
    api(secret).get(areas_url())
    first = fresh(token).last_used_at
    assert first == timezone.now()

    time_machine.shift(timedelta(seconds=30))
    api(secret).get(areas_url())
    assert fresh(token).last_used_at == first  # not written again within the minute

    time_machine.shift(timedelta(seconds=31))
    api(secret).get(areas_url())
    assert fresh(token).last_used_at == first + timedelta(seconds=61)


def test_last_use_costs_no_write_within_the_minute(world, django_assert_num_queries):
    token, secret = make(world, "mentor")
    client = api(secret)
    client.get(areas_url())  # writes last use
    # The authority of the URL, the token, the person's memberships, the areas' count and page:
    # no write.
    with django_assert_num_queries(5):
        assert client.get(areas_url()).status_code == 200


@pytest.fixture
def rate(settings):
    """Three requests a minute per token (API_RATE), for this test only."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "3/min"},
    }


def test_each_token_has_its_own_rate_with_retry_after(world, rate, time_machine):
    time_machine.move_to("2026-09-01 09:00:00+00:00", tick=False)
    _, first = make(world, "mentor", name="First")
    _, second = make(world, "mentor", name="Second")
    assert [api(first).get(areas_url()).status_code for _ in range(3)] == [200, 200, 200]
    limited = api(first).get(areas_url())
    assert limited.status_code == 429
    assert limited["Content-Type"] == "application/problem+json"
    assert limited.json()["code"] == "throttled"
    assert limited["Retry-After"] == "60"
    # Another token of the same person is counted apart.
    assert api(second).get(areas_url()).status_code == 200

    time_machine.shift(timedelta(seconds=20))
    assert api(first).get(areas_url())["Retry-After"] == "40"
    time_machine.shift(timedelta(seconds=41))
    assert api(first).get(areas_url()).status_code == 200


def test_the_rate_comes_from_the_settings_when_a_request_is_checked(world, settings):
    assert PerToken().rate == django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token"]
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"token": "5/sec"},
    }
    assert PerToken().rate == "5/sec"


def test_authorities_lists_the_callers_own(world, client):
    mentor = world.people["mentor"]
    with scopes_disabled():
        Membership.objects.create(authority=world.outsider_authority, user=mentor, role="mentor")
    url = reverse("api:authorities")
    _, secret = make(world, "mentor")
    assert [a["slug"] for a in api(secret).get(url).json()] == ["bathnes"]
    session = api()
    session.force_login(mentor)
    assert sorted(a["slug"] for a in session.get(url).json()) == ["bathnes", "outsider"]
    _, outsiders = make(world, world.outsider, authority=world.outsider_authority)
    assert [a["slug"] for a in api(outsiders).get(url).json()] == ["outsider"]
    assert api().get(url).status_code == 401


# The command --------------------------------------------------------------------------------------


def test_the_command_prints_only_the_token(world, capsys):
    call_command("create_api_token", "MENTOR@bathnes.test", "bathnes", "--write", "--name", "CI")
    out, err = capsys.readouterr()
    secret = out.strip()
    assert out == secret + "\n" and SECRET.fullmatch(secret)
    assert err == ""
    with scopes_disabled():
        token = ApiToken.objects.get(key_hash=hashlib.sha256(secret.encode()).hexdigest())
        assert AuditEntry.objects.filter(action="api_token.created").count() == 1
    assert (token.user, token.authority, token.name, token.can_write) == (
        world.people["mentor"],
        world.authority,
        "CI",
        True,
    )
    assert api(secret).get(areas_url()).status_code == 200

    call_command("create_api_token", "mentor@bathnes.test", "bathnes")
    with scopes_disabled():
        read_only = ApiToken.objects.order_by("-pk").first()
    assert (read_only.can_write, read_only.name) == (False, "Made with manage.py")


@pytest.mark.parametrize(
    "email, slug, message",
    [
        ("nobody@bathnes.test", "bathnes", "No one has the email address nobody@bathnes.test."),
        ("mentor@bathnes.test", "nowhere", "There is no authority “nowhere”."),
        (
            "mentor@bathnes.test",
            "outsider",
            "mentor@bathnes.test is not a member of Outsider Council.",
        ),
        (
            "disabled@bathnes.test",
            "bathnes",
            "disabled@bathnes.test is disabled: a disabled person cannot have tokens.",
        ),
    ],
)
def test_the_command_says_what_is_wrong(world, email, slug, message, capsys):
    disabled = UserFactory(email="disabled@bathnes.test", is_active=False)
    MembershipFactory(authority=world.authority, user=disabled, role="mentor")
    with pytest.raises(CommandError) as raised:
        call_command("create_api_token", email, slug)
    assert str(raised.value) == message
    assert capsys.readouterr().out == ""
    with scopes_disabled():
        assert ApiToken.objects.count() == 0


def test_the_command_fails_with_a_non_zero_exit_on_stderr(world):
    import subprocess
    import sys

    from django.conf import settings

    result = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "create_api_token", "x@y.z", "a"],
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DATABASE_URL": _database_url()},
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert "CommandError: No one has the email address x@y.z." in result.stderr


def _database_url():
    from django.db import connection

    s = connection.settings_dict
    return f"postgres://{s['USER']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def test_a_session_owing_its_second_factor_cannot_use_the_api(world):
    """The API's views are not login-required pages, so the second factor's middleware lets them
    through: the API's session authentication refuses the half-signed-in session itself."""
    half = api()
    half.force_login(world.people["moderator"], second_factor=False)
    response = half.get(areas_url())
    assert response.status_code == 401
    assert response.json()["detail"] == (
        "Finish signing in with your second factor first, or send a personal API token."
    )
    assert half.get(reverse("api:authorities")).status_code == 401
    whole = api()
    whole.force_login(world.people["moderator"])
    assert whole.get(areas_url()).status_code == 200
    # A role that needs no second factor, with none: the password is the whole sign-in.
    optional = api()
    optional.force_login(world.people["school_coordinator"], second_factor=False)
    assert optional.get(areas_url()).status_code == 200

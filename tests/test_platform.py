import pytest
from django.apps import apps
from django.contrib import admin
from django.core import mail
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from accounts.models import Invitation
from audit.models import AuditEntry
from authorities.models import Authority

from .factories import UserFactory


@pytest.fixture
def platform_client(client, world):
    client.force_login(UserFactory(email="platform@example.org", is_staff=True))
    return client


@pytest.mark.parametrize("extra", [1, 3, 50])
def test_the_authorities_are_paged_at_the_same_cost(
    platform_client, django_assert_num_queries, extra
):
    from .factories import AuthorityFactory

    for n in range(extra):
        AuthorityFactory(name=f"Authority {n:02d}", slug=f"authority-{n:02d}")
    # The session, the user, their own authorities; a page of authorities: its count and rows.
    with django_assert_num_queries(5):
        response = platform_client.get(reverse("platform_authorities"))
    page = response.context["authorities"]
    # The world's two authorities besides.
    assert (len(page), page.paginator.count) == (min(extra + 2, 50), extra + 2)


def test_platform_admin_creates_an_authority_and_invites_its_admin(
    platform_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = platform_client.post(
            reverse("platform_authorities"),
            {"name": "Oxfordshire", "slug": "oxfordshire", "first_admin_email": "lead@ox.example"},
        )
    assert response.status_code == 302
    authority = Authority.objects.get(slug="oxfordshire")
    with scope(authority=authority):
        assert [(i.email, i.role) for i in Invitation.objects.all()] == [
            ("lead@ox.example", "authority_admin")
        ]
        assert sorted(AuditEntry.objects.values_list("action", flat=True)) == [
            "authority.created",
            "framework.imported",
            "invitation.sent",
        ]
    assert [m.to for m in mail.outbox] == [["lead@ox.example"]]


@pytest.mark.parametrize(
    "data, errors",
    [
        (
            {},
            {
                "name": ["This field is required."],
                "slug": ["This field is required."],
                "first_admin_email": ["This field is required."],
            },
        ),
        (
            {"name": "X", "slug": "bathnes", "first_admin_email": "a@b.org"},
            {"slug": ["Another authority already uses this web address."]},
        ),
        (
            {"name": "X", "slug": "accounts", "first_admin_email": "a@b.org"},
            {"slug": ["“accounts” is used by the portal itself: choose another."]},
        ),
        (
            {"name": "X", "slug": "has spaces", "first_admin_email": "a@b.org"},
            {
                "slug": [
                    "Enter a valid “slug” consisting of letters, numbers, underscores or hyphens."
                ]
            },
        ),
        (
            {"name": "X" * 151, "slug": "x", "first_admin_email": "nope"},
            {
                "name": ["Ensure this value has at most 150 characters (it has 151)."],
                "first_admin_email": ["Enter a valid email address."],
            },
        ),
    ],
)
def test_bad_authority_input_saves_nothing(platform_client, data, errors):
    response = platform_client.post(reverse("platform_authorities"), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert Authority.objects.count() == 2
    with scopes_disabled():
        assert Invitation.objects.count() == 0


def test_platform_admin_sees_no_authority_data(platform_client, world):
    assert platform_client.get(reverse("schools:list", args=["bathnes"])).status_code == 404


# The Django admin keeps what a platform admin needs, the authorities; nothing of theirs.
ADMIN_MODELS = {"authorities.Authority"}


@pytest.fixture
def superuser_client(client, world):
    client.force_login(UserFactory(email="super@example.org", is_staff=True, is_superuser=True))
    return client


def test_admin_index_lists_only_the_authorities(superuser_client):
    response = superuser_client.get(reverse("admin:index"))
    assert response.status_code == 200
    assert [
        (app["app_label"], [m["object_name"] for m in app["models"]])
        for app in response.context["app_list"]
    ] == [("authorities", ["Authority"])]
    assert sorted(m._meta.label for m in admin.site._registry) == sorted(ADMIN_MODELS)


def test_admin_shows_no_authority_people_nor_sets_their_passwords(superuser_client, world):
    mentor = world.people["mentor"]
    urls = [
        "/admin/accounts/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        f"/admin/accounts/user/{mentor.pk}/change/",
        f"/admin/accounts/user/{mentor.pk}/password/",
        "/admin/auth/group/",
    ] + [
        f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        for model in apps.get_models()
        if model._meta.label not in ADMIN_MODELS
    ]
    assert {url: superuser_client.get(url).status_code for url in urls} == dict.fromkeys(urls, 404)
    assert (
        superuser_client.post(
            f"/admin/accounts/user/{mentor.pk}/password/",
            {"password1": "a new password 123", "password2": "a new password 123"},
        ).status_code
        == 404
    )
    mentor.refresh_from_db()
    assert mentor.check_password("correct horse battery staple")


def test_admin_cannot_delete_an_authority_so_lists_none_of_its_data(superuser_client, world):
    """The delete page would list every school and membership that deleting would take."""
    pk = world.authority.pk
    change = superuser_client.get(f"/admin/authorities/authority/{pk}/change/")
    assert change.status_code == 200
    assert "Mentor" not in change.content.decode()
    assert superuser_client.get(f"/admin/authorities/authority/{pk}/delete/").status_code == 403
    changelist = superuser_client.get("/admin/authorities/authority/")
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None  # no "delete selected" either

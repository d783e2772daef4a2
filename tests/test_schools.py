import pytest
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from audit.models import AuditEntry
from schools.models import Area, School

from .factories import SchoolFactory

VALID = {
    "name": "Pensford Primary",
    "urn": "109200",
    "phase": "primary",
    "roll_size": "210",
    "address": "",
    "postcode": "bs39 4bb",
}


def test_admin_adds_a_school_and_it_is_logged(admin_client, world):
    data = {**VALID, "area": world.area.pk}
    response = admin_client.post(reverse("schools:create", args=["bathnes"]), data)
    with scope(authority=world.authority):
        school = School.objects.get(urn="109200")
        assert response["Location"] == reverse("schools:detail", args=["bathnes", school.pk])
        assert (school.postcode, school.area) == ("BS39 4BB", world.area)
        entry = AuditEntry.objects.get(action="school.created")
    assert entry.after["name"] == "Pensford Primary"
    assert entry.school == school


def test_changing_a_school_logs_before_and_after(admin_client, world):
    data = {**VALID, "name": "Chandag Infant School", "urn": world.school.urn}
    admin_client.post(reverse("schools:edit", args=["bathnes", world.school.pk]), data)
    with scope(authority=world.authority):
        entry = AuditEntry.objects.get(action="school.changed")
    assert [c for c in entry.changes if c[0] == "name"] == [
        ("name", "Chandag Infant", "Chandag Infant School")
    ]


@pytest.mark.parametrize(
    "changes, errors",
    [
        (
            {k: "" for k in VALID},
            {
                "name": ["This field is required."],
                "urn": ["This field is required."],
                "phase": ["This field is required."],
            },
        ),
        (
            {"name": "x" * 151},
            {"name": ["Ensure this value has at most 150 characters (it has 151)."]},
        ),
        ({"roll_size": "lots"}, {"roll_size": ["Enter a whole number."]}),
        ({"roll_size": "-3"}, {"roll_size": ["Ensure this value is greater than or equal to 0."]}),
        (
            {"urn": "12ab"},
            {"urn": ["A URN is six or seven digits, as in Get Information about Schools."]},
        ),
        ({"urn": "DUPLICATE"}, {"urn": ["Another school of this authority already has this URN."]}),
        ({"postcode": "nowhere"}, {"postcode": ["Enter a UK postcode, like BA1 2AB."]}),
        (
            {"phase": "university"},
            {"phase": ["Select a valid choice. university is not one of the available choices."]},
        ),
        (
            {"area": "OUTSIDER_AREA"},
            {"area": ["Select a valid choice. That choice is not one of the available choices."]},
        ),
    ],
)
def test_bad_school_input_is_refused_at_the_field_and_saves_nothing(
    admin_client, world, changes, errors
):
    swap = {"DUPLICATE": world.other_school.urn, "OUTSIDER_AREA": world.outsider_area.pk}
    data = {**VALID, **{k: swap.get(v, v) if isinstance(v, str) else v for k, v in changes.items()}}
    with scopes_disabled():
        logged = AuditEntry.objects.count()
    response = admin_client.post(reverse("schools:create", args=["bathnes"]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert "There is a problem" in response.content.decode()
    with scopes_disabled():
        assert School.objects.count() == 3
        assert AuditEntry.objects.count() == logged


def test_the_same_urn_may_be_used_by_another_authority(admin_client, world):
    response = admin_client.post(
        reverse("schools:create", args=["bathnes"]), {**VALID, "urn": world.outsider_school.urn}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "data, errors",
    [
        ({"name": "", "position": "0"}, {"name": ["This field is required."]}),
        (
            {"name": "bath", "position": "0"},
            {"name": ["This authority already has an area with this name."]},
        ),
        (
            {"name": "x" * 101, "position": "0"},
            {"name": ["Ensure this value has at most 100 characters (it has 101)."]},
        ),
        ({"name": "Keynsham", "position": "first"}, {"position": ["Enter a whole number."]}),
    ],
)
def test_bad_area_input(admin_client, world, data, errors):
    response = admin_client.post(reverse("schools:area_create", args=["bathnes"]), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    with scopes_disabled():
        assert Area.objects.count() == 2


def test_an_area_name_of_another_authority_is_free(admin_client, world):
    response = admin_client.post(
        reverse("schools:area_create", args=["bathnes"]), {"name": "Elsewhere", "position": "1"}
    )
    assert response.status_code == 302
    with scope(authority=world.authority):
        assert list(Area.objects.values_list("name", flat=True)) == ["Bath", "Elsewhere"]


def test_school_staff_see_only_their_own_school(client, world):
    """Another school of the authority is not found, as another authority's is."""
    client.force_login(world.people["school_coordinator"])
    assert (
        client.get(reverse("schools:detail", args=["bathnes", world.school.pk])).status_code == 200
    )
    assert (
        client.get(reverse("schools:detail", args=["bathnes", world.other_school.pk])).status_code
        == 404
    )


def test_school_search(admin_client, world):
    response = admin_client.get(reverse("schools:list", args=["bathnes"]), {"q": "castle"})
    assert [s.name for s in response.context["page"]] == ["Castle Primary"]
    response = admin_client.get(reverse("schools:list", args=["bathnes"]), {"q": "\x00castle\t"})
    assert (response.context["query"], [s.name for s in response.context["page"]]) == (
        "castle",
        ["Castle Primary"],
    )


@pytest.mark.parametrize("extra", [0, 2])
def test_school_list_query_count_does_not_grow(
    admin_client, world, django_assert_num_queries, extra
):
    SchoolFactory.create_batch(extra, authority=world.authority, area=world.area)
    # session, user, memberships with their authorities (the page's too), count, page of schools
    # with areas
    with django_assert_num_queries(5):
        response = admin_client.get(reverse("schools:list", args=["bathnes"]))
    assert len(response.context["page"]) == 2 + extra


def test_school_list_is_paginated(admin_client, world):
    SchoolFactory.create_batch(30, authority=world.authority, area=world.area)
    response = admin_client.get(reverse("schools:list", args=["bathnes"]), {"page": 2})
    assert (response.context["page"].number, len(response.context["page"])) == (2, 7)


@pytest.mark.parametrize("extra", [0, 2])
def test_area_list_query_count_does_not_grow(admin_client, world, django_assert_num_queries, extra):
    from .factories import AreaFactory

    AreaFactory.create_batch(extra, authority=world.authority)
    with django_assert_num_queries(4):
        response = admin_client.get(reverse("schools:areas", args=["bathnes"]))
    assert len(response.context["areas"]) == 1 + extra

"""The published list: what it holds, versions that never change, the public pages and formats,
their cache and query counts, and two admins publishing at once."""

import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import IntegrityError, InternalError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle
from audit.models import AuditEntry
from awards.models import Award, Tier
from publishing import domain
from publishing.models import Publication, PublishedSchool

from .assessment_helpers import at_once
from .factories import AreaFactory, SchoolFactory

TODAY = timezone.localdate()
AWARDED_ON = TODAY - timedelta(days=30)
EXPIRES_ON = AWARDED_ON + timedelta(days=3 * 365)


def award(school, tier=Tier.QUALITY_MARK, awarded_on=AWARDED_ON, expires_on=EXPIRES_ON, **extra):
    with scopes_disabled():
        return Award.objects.create(
            authority=school.authority,
            school=school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=expires_on,
            **extra,
        )


def publish(authority, by=None):
    with scope(authority=authority):
        return domain.publish(authority, by)


def listed(school, tier="Inclusion Quality Mark", awarded_on=AWARDED_ON, expires_on=EXPIRES_ON):
    return {
        "name": school.name,
        "tier": tier,
        "awarded_on": awarded_on.isoformat(),
        "expires_on": expires_on.isoformat(),
    }


@pytest.fixture
def areas(world):
    """Bath (the world's area) first, then Norton Radstock, each with a school of its own."""
    norton = AreaFactory(authority=world.authority, name="Norton Radstock", position=2)
    world.area.position = 1
    world.area.save()
    welton = SchoolFactory(
        authority=world.authority,
        area=norton,
        name="Welton Primary",
        latitude=51.28,
        longitude=-2.48,
    )
    return norton, welton


# The document


def test_first_publication_lists_awarded_schools_by_area_then_those_working_towards(world, areas):
    norton, welton = areas
    award(world.other_school)  # Castle Primary, Bath
    award(welton, Tier.CENTRE_OF_EXCELLENCE, expires_on=AWARDED_ON + timedelta(days=365))
    admin = world.people["authority_admin"]

    publication = publish(world.authority, admin)

    assert publication.version == 1
    assert publication.superseded_at is None
    assert publication.content == {
        "authority": "Bath & North East Somerset",
        "version": 1,
        "published_at": timezone.localtime(publication.published_at).isoformat(),
        "areas": [
            {"name": "Bath", "schools": [listed(world.other_school)]},
            {
                "name": "Norton Radstock",
                "schools": [
                    listed(
                        welton, "Centre of Excellence", expires_on=AWARDED_ON + timedelta(days=365)
                    )
                ],
            },
        ],
        "working_towards": [{"name": "Chandag Infant"}],
    }
    with scope(authority=world.authority):
        rows = list(
            PublishedSchool.objects.filter(publication=publication)
            .order_by("name")
            .values_list("name", "area", "tier", "urn", "latitude", "longitude", "school")
        )
        entry = AuditEntry.objects.get(action="list.published")
    assert rows == [
        (
            "Castle Primary",
            "Bath",
            "quality_mark",
            world.other_school.urn,
            None,
            None,
            world.other_school.pk,
        ),
        (
            "Welton Primary",
            "Norton Radstock",
            "centre_of_excellence",
            welton.urn,
            51.28,
            -2.48,
            welton.pk,
        ),
    ]
    assert (entry.actor, entry.object_id, entry.after) == (
        admin,
        str(publication.pk),
        {"version": 1, "awarded": 2, "working_towards": 1},
    )


def test_a_school_is_listed_once_with_its_highest_current_award(world):
    award(world.other_school, Tier.QUALITY_MARK)
    award(
        world.other_school,
        Tier.CENTRE_OF_EXCELLENCE,
        awarded_on=TODAY - timedelta(days=3),
        expires_on=TODAY + timedelta(days=362),
    )
    award(world.other_school, Tier.FLAGSHIP, withdrawn_at=timezone.now())
    with scope(authority=world.authority):
        areas = domain.current_list(world.authority)["areas"]
    assert areas == [
        {
            "name": "Bath",
            "schools": [
                listed(
                    world.other_school,
                    "Centre of Excellence",
                    TODAY - timedelta(days=3),
                    TODAY + timedelta(days=362),
                )
            ],
        }
    ]


def test_expired_withdrawn_and_future_awards_are_not_listed_and_only_undecided_cycles_work_towards(
    world,
):
    award(
        world.school, expires_on=TODAY - timedelta(days=1)
    )  # expired; its open cycle makes it working towards
    award(world.other_school, withdrawn_at=timezone.now())
    decided = SchoolFactory(authority=world.authority, area=world.area, name="Decided Primary")
    with scope(authority=world.authority):
        Cycle.objects.create(
            authority=world.authority,
            school=decided,
            framework=world.cycle.framework,
            mentor=world.people["mentor"],
            state=Cycle.State.DECIDED,
        )
        document = domain.current_list(world.authority)
    assert document == {
        "authority": "Bath & North East Somerset",
        "areas": [],
        "working_towards": [{"name": "Chandag Infant"}],
    }


def test_an_awarded_school_in_reassessment_is_not_working_towards_and_schools_with_no_area_last(
    world, areas
):
    award(world.school)  # its cycle is still open: a reassessment
    lone = SchoolFactory(authority=world.authority, area=None, name="Alder Academy")
    award(lone)
    with scope(authority=world.authority):
        document = domain.current_list(world.authority)
    assert document["areas"] == [
        {"name": "Bath", "schools": [listed(world.school)]},
        {"name": "Other schools", "schools": [listed(lone)]},
    ]
    assert document["working_towards"] == []


# Versions


def test_an_award_moves_the_school_into_its_area_in_the_next_version_and_version_one_is_unchanged(
    client, world
):
    award(world.other_school)
    publish(world.authority)
    v1 = {suffix: client.get(f"/bathnes/awards/v1{suffix}").content for suffix in (".json", ".csv")}

    award(world.school)
    second = publish(world.authority)

    assert second.version == 2
    assert second.content["areas"] == [
        {"name": "Bath", "schools": [listed(world.other_school), listed(world.school)]}
    ]
    assert second.content["working_towards"] == []
    with scopes_disabled():
        first = Publication.objects.get(authority=world.authority, version=1)
    assert first.superseded_at == second.published_at
    assert first.content["working_towards"] == [{"name": "Chandag Infant"}]
    assert {
        suffix: client.get(f"/bathnes/awards/v1{suffix}").content for suffix in (".json", ".csv")
    } == v1
    cache.clear()  # and made again from the database, byte for byte
    assert {
        suffix: client.get(f"/bathnes/awards/v1{suffix}").content for suffix in (".json", ".csv")
    } == v1
    page = client.get("/bathnes/awards/v1/").content.decode()
    assert "a newer one replaced it on" in page
    assert json.loads(client.get("/bathnes/awards.json").content)["version"] == 2


def test_changes_name_what_was_added_removed_and_changed_tier(world, areas):
    norton, welton = areas
    ending = award(world.other_school)
    award(welton)
    first = publish(world.authority).content
    with scopes_disabled():
        Award.objects.filter(pk=ending.pk).update(withdrawn_at=timezone.now())
    award(world.school)
    award(welton, Tier.CENTRE_OF_EXCELLENCE)
    with scope(authority=world.authority):
        now = domain.current_list(world.authority)

    found = domain.changes(first, now)

    assert found == domain.Changes(
        added=[domain.Change("Bath", "Chandag Infant", "Inclusion Quality Mark")],
        removed=[domain.Change("Bath", "Castle Primary", "Inclusion Quality Mark")],
        tier_changed=[
            domain.Change(
                "Norton Radstock",
                "Welton Primary",
                "Centre of Excellence",
                was="Inclusion Quality Mark",
            )
        ],
        now_working_towards=[],
        no_longer_working_towards=["Chandag Infant"],
    )
    assert domain.changes(first, first) == domain.Changes()
    assert not domain.changes(first, first)
    assert domain.changes(None, first).added == [
        domain.Change("Bath", "Castle Primary", "Inclusion Quality Mark"),
        domain.Change("Norton Radstock", "Welton Primary", "Inclusion Quality Mark"),
    ]


@pytest.mark.django_db(transaction=True)
def test_two_admins_publishing_at_once_make_two_consecutive_whole_versions(world):
    award(world.other_school)
    admin = world.people["authority_admin"]

    assert at_once(2, lambda: publish(world.authority, admin), IntegrityError) == ["ok", "ok"]

    with scopes_disabled():
        first, second = Publication.objects.filter(authority=world.authority).order_by("version")
        rows = {p.version: list(p.schools.values_list("name", flat=True)) for p in (first, second)}
    assert (first.version, second.version) == (1, 2)
    assert (first.superseded_at, second.superseded_at) == (second.published_at, None)
    assert rows == {1: ["Castle Primary"], 2: ["Castle Primary"]}
    for publication in (first, second):
        assert publication.content["version"] == publication.version
        assert publication.content["areas"] == [
            {"name": "Bath", "schools": [listed(world.other_school)]}
        ]


def test_the_database_refuses_to_edit_a_publication(world):
    publication = publish(world.authority)
    for sql in (
        "UPDATE publishing_publication SET content = '{}'",
        "UPDATE publishing_publication SET version = 7",
        "UPDATE publishing_publication SET superseded_at = now(), content = '{}'",
    ):
        with (
            pytest.raises(InternalError, match="a publication is never edited"),
            transaction.atomic(),
        ):
            with connection.cursor() as cursor:
                cursor.execute(sql)
    with scopes_disabled():
        assert Publication.objects.get(pk=publication.pk).content == publication.content


# The public pages


def test_nothing_published_yet_is_a_helpful_404(client, world):
    for path in ("/bathnes/awards/", "/bathnes/awards.json", "/bathnes/awards.csv"):
        response = client.get(path)
        assert response.status_code == 404
        assert (
            "Bath &amp; North East Somerset has not published its list of awarded schools yet."
            in response.content.decode()
        )
    publish(world.authority)
    response = client.get("/bathnes/awards/v2/")
    assert response.status_code == 404
    assert "There is no version 2 of this list." in response.content.decode()


def test_another_authoritys_publications_are_not_shown(client, world):
    award(world.outsider_school)
    publish(world.outsider_authority)

    for path in (
        "/bathnes/awards/",
        "/bathnes/awards/v1/",
        "/bathnes/awards.json",
        "/bathnes/awards/v1.csv",
    ):
        assert client.get(path).status_code == 404

    award(world.other_school)
    publish(world.authority)
    theirs = json.loads(client.get("/outsider/awards.json").content)
    ours = json.loads(client.get("/bathnes/awards.json").content)
    assert (theirs["authority"], theirs["areas"], theirs["working_towards"]) == (
        "Outsider Council",
        [{"name": "Elsewhere", "schools": [listed(world.outsider_school)]}],
        [],
    )
    assert (ours["authority"], ours["areas"]) == (
        "Bath & North East Somerset",
        [{"name": "Bath", "schools": [listed(world.other_school)]}],
    )
    page = client.get("/outsider/awards/").content.decode()
    assert "Outsider Academy" in page
    assert "Castle Primary" not in page and "Chandag Infant" not in page


def test_json_and_csv_exactly(client, world, areas):
    norton, welton = areas
    award(world.other_school)
    award(welton, Tier.FLAGSHIP)
    tricky = SchoolFactory(authority=world.authority, area=world.area, name='=St Mary’s, "Bath"')
    award(tricky)
    publication = publish(world.authority)
    stamp = timezone.localtime(publication.published_at).isoformat()

    response = client.get("/bathnes/awards.json")
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert (
        response.content.decode()
        == f"""{{
  "areas": [
    {{
      "name": "Bath",
      "schools": [
        {{
          "awarded_on": "{AWARDED_ON}",
          "expires_on": "{EXPIRES_ON}",
          "name": "=St Mary’s, \\"Bath\\"",
          "tier": "Inclusion Quality Mark"
        }},
        {{
          "awarded_on": "{AWARDED_ON}",
          "expires_on": "{EXPIRES_ON}",
          "name": "Castle Primary",
          "tier": "Inclusion Quality Mark"
        }}
      ]
    }},
    {{
      "name": "Norton Radstock",
      "schools": [
        {{
          "awarded_on": "{AWARDED_ON}",
          "expires_on": "{EXPIRES_ON}",
          "name": "Welton Primary",
          "tier": "Flagship"
        }}
      ]
    }}
  ],
  "authority": "Bath & North East Somerset",
  "published_at": "{stamp}",
  "version": 1,
  "working_towards": [
    {{
      "name": "Chandag Infant"
    }}
  ]
}}
"""
    )
    response = client.get("/bathnes/awards.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="bathnes-awards-v1.csv"'
    assert response.content.decode("utf-8") == (
        "\ufeffarea,school,tier,awarded_on,expires_on,status\r\n"
        f'Bath,"\'=St Mary’s, ""Bath""",'
        f"Inclusion Quality Mark,{AWARDED_ON},{EXPIRES_ON},awarded\r\n"
        f"Bath,Castle Primary,Inclusion Quality Mark,{AWARDED_ON},{EXPIRES_ON},awarded\r\n"
        f"Norton Radstock,Welton Primary,Flagship,{AWARDED_ON},{EXPIRES_ON},awarded\r\n"
        ",Chandag Infant,,,,working towards\r\n"
    )
    assert client.get("/bathnes/awards/v1.csv").content == response.content


def test_the_page_reads_like_the_list(client, world, areas):
    award(world.other_school)
    award(areas[1], Tier.CENTRE_OF_EXCELLENCE)
    publish(world.authority)
    publish(world.authority)
    response = client.get("/bathnes/awards/")
    assert response.status_code == 200
    assert "Cache-Control" not in response
    assert response.context["publication"].version == 2
    assert list(response.context["earlier"]) == [1]
    html = response.content.decode()
    headings = [line.split(">", 1)[1].split("<", 1)[0] for line in html.split("<h2")[1:]]
    assert headings == [
        "Bath",
        "Norton Radstock",
        "Schools working towards the Inclusion Quality Mark",
        "About this list",
        "Help us improve our website",
    ]
    assert (
        "<h1>Schools that have achieved the Bath &amp; North East Somerset "
        "Inclusion Quality Mark</h1>" in html
    )
    stamp = timezone.localtime(response.context["publication"].published_at).isoformat()
    assert f'<p class="awards-meta">Version 2, published <time datetime="{stamp}">' in html
    assert '<th scope="row">Welton Primary</th>\n      <td>Centre of Excellence</td>' in html
    assert "<li>Chandag Infant</li>" in html
    assert 'href="/bathnes/awards/v2.csv"' in html and 'href="/bathnes/awards/v2.json"' in html
    assert 'href="/bathnes/awards/v1/"' in html
    assert '<a href="/bathnes/awards/v2/">Permanent link to version 2</a>' in html
    assert "<script" not in html


# Speed: a fixed number of queries, and each version rendered once


@pytest.mark.parametrize("schools", [1, 3, 50])
def test_the_admins_pages_keep_their_query_count_whatever_the_number_of_schools_and_versions(
    admin_client, world, django_assert_num_queries, schools
):
    for n in range(schools):
        award(SchoolFactory(authority=world.authority, area=world.area, name=f"School {n:02}"))
        publish(world.authority, world.people["authority_admin"])
    # session, user, memberships with their authorities (the page's too), the current publication
    # and its content, the awards and the schools working towards; then, the list and the preview
    # kept, neither
    with django_assert_num_queries(7):
        preview = admin_client.get(reverse("publishing:preview", args=["bathnes"]))
    with django_assert_num_queries(4):
        again = admin_client.get(reverse("publishing:preview", args=["bathnes"]))
    assert without_tokens(again.content) == without_tokens(preview.content)
    with django_assert_num_queries(5):
        history = admin_client.get(reverse("publishing:history", args=["bathnes"]))
    assert len(preview.context["areas"][0]["schools"]) == schools
    assert [p.version for p in history.context["page"]] == list(
        range(schools, max(schools - 25, 0), -1)
    )


def without_tokens(content):
    """A page's content, its forms' CSRF tokens (each response's own) left out."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", content)


@pytest.mark.parametrize("schools", [1, 3, 50])
def test_public_pages_keep_their_query_count_whatever_the_number_of_schools(
    client, world, django_assert_num_queries, schools
):
    for n in range(schools):
        award(SchoolFactory(authority=world.authority, area=world.area, name=f"School {n:02}"))
    publish(world.authority)
    # The authority, the publication asked for, its content, and on the page the feedback box's
    # score; then the authority alone: the page is kept whole (authorities/public_pages.py).
    for path, queries in (
        ("/bathnes/awards/", 4),
        ("/bathnes/awards.json", 3),
        ("/bathnes/awards.csv", 3),
        ("/bathnes/awards/v1/", 4),
    ):
        cache.clear()
        with django_assert_num_queries(queries):
            first = client.get(path)
        with django_assert_num_queries(1):
            again = client.get(path)
        assert without_tokens(again.content) == without_tokens(first.content)
    assert (
        len(json.loads(client.get("/bathnes/awards.json").content)["areas"][0]["schools"])
        == schools
    )


def test_a_new_version_shows_at_once_after_publishing(client, world):
    award(world.other_school)
    publish(world.authority)
    assert "Chandag Infant</li>" in client.get("/bathnes/awards/").content.decode()  # cached now
    award(world.school)
    assert (
        "Chandag Infant</li>" in client.get("/bathnes/awards/").content.decode()
    )  # still version 1
    publish(world.authority)
    html = client.get("/bathnes/awards/").content.decode()
    assert "Version 2, published" in html
    assert "Chandag Infant</li>" not in html
    assert '<th scope="row">Chandag Infant</th>' in html


# The authority admin's pages


def test_preview_marks_what_publishing_would_change(admin_client, world, areas):
    award(welton := areas[1])
    award(world.other_school)
    publish(world.authority)
    award(world.school)
    award(welton, Tier.CENTRE_OF_EXCELLENCE)

    response = admin_client.get(reverse("publishing:preview", args=["bathnes"]))

    assert response.status_code == 200
    assert response.context["next_version"] == 2
    marks = [
        (area["name"], school["name"], school["change"], school["was"])
        for area in response.context["areas"]
        for school in area["schools"]
    ]
    assert marks == [
        ("Bath", "Castle Primary", "", ""),
        ("Bath", "Chandag Infant", "added", ""),
        ("Norton Radstock", "Welton Primary", "tier changed", "Inclusion Quality Mark"),
    ]
    html = response.content.decode()
    assert "Changes since version 1" in html
    assert "No longer working towards</strong> Chandag Infant" in html


def test_publishing_from_the_confirmation_page(admin_client, world):
    award(world.other_school)
    url = reverse("publishing:publish", args=["bathnes"])
    response = admin_client.get(url)
    assert "<h1>Publish version 1 of the list?</h1>" in response.content.decode()
    assert (
        "It lists 1 awarded school in 1 area, and 1 school working towards"
        in response.content.decode()
    )

    response = admin_client.post(url, {"confirmed": response.context["confirmed"]}, follow=True)

    assert response.redirect_chain == [(reverse("publishing:history", args=["bathnes"]), 302)]
    assert [str(m) for m in response.context["messages"]] == ["Version 1 of the list is published."]
    assert [(p.version, p.awarded, p.published_by) for p in response.context["page"]] == [
        (1, 1, world.people["authority_admin"])
    ]


def test_a_list_that_changed_after_the_confirmation_page_is_not_published(admin_client, world):
    award(world.other_school)
    url = reverse("publishing:publish", args=["bathnes"])
    confirmed = admin_client.get(url).context["confirmed"]
    award(world.school)  # made while the admin was reading

    response = admin_client.post(url, {"confirmed": confirmed})

    assert response.status_code == 409
    assert response.context["error"] == domain.LIST_CHANGED
    assert (
        "It lists 2 awarded schools in 1 area, and 0 schools working towards"
        in response.content.decode()
    )
    with scopes_disabled():
        assert Publication.objects.count() == 0
    for stale in ("", "0" * 64):
        assert admin_client.post(url, {"confirmed": stale}).status_code == 409
    response = admin_client.post(url, {"confirmed": response.context["confirmed"]})
    assert response.status_code == 302
    with scopes_disabled():
        assert [
            (p.version, [school["name"] for school in p.content["areas"][0]["schools"]])
            for p in Publication.objects.all()
        ] == [(1, ["Castle Primary", "Chandag Infant"])]


def test_only_authority_admins_publish(client, world):
    for role in ("mentor", "panel_chair", "head_teacher"):
        client.force_login(world.people[role])
        assert client.post(reverse("publishing:publish", args=["bathnes"])).status_code == 403
    with scopes_disabled():
        assert Publication.objects.count() == 0


def test_a_school_whose_award_lapsed_works_towards_the_mark_again(world, areas):
    norton, welton = areas
    award(world.other_school, expires_on=TODAY - timedelta(days=1))  # lapsed, no cycle
    award(welton, expires_on=TODAY - timedelta(days=1), withdrawn_at=timezone.now())
    award(welton, expires_on=TODAY)  # and this one is current, until tonight
    with scope(authority=world.authority):
        document = domain.current_list(world.authority)
    assert [s["name"] for a in document["areas"] for s in a["schools"]] == ["Welton Primary"]
    assert document["working_towards"] == [{"name": "Castle Primary"}, {"name": "Chandag Infant"}]
    withdrawn = SchoolFactory(authority=world.authority, area=world.area, name="Alder Academy")
    award(withdrawn, expires_on=TODAY - timedelta(days=1), withdrawn_at=timezone.now())
    with scope(authority=world.authority):
        assert (
            domain.current_list(world.authority)["working_towards"] == document["working_towards"]
        )

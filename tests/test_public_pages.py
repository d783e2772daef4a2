"""The public pages kept whole in the cache (authorities/public_pages.py), and the admin's preview
of the list kept until what it is made of changes (publishing.domain.proposed_list): each shows a
change as soon as it is made, and nothing of one visitor reaches another."""

import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from authorities import stamps
from awards.domain import withdraw_awards
from awards.models import Tier
from feedback import domain as feedback
from publishing.directory import publications_stamp
from publishing.models import Publication, PublishedSchool

from .conftest import start_cycle_for
from .test_publishing import EXPIRES_ON, award, publish


def names_in(client, path):
    document = json.loads(client.get(path).content)
    return [
        (area["name"], s["name"], s["tier"]) for area in document["areas"] for s in area["schools"]
    ]


def heading(response):
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


def test_the_public_list_changes_when_the_authority_publishes_and_not_before(
    client, world, django_assert_num_queries
):
    award(world.other_school)
    publish(world.authority)
    castle = [("Bath", "Castle Primary", "Inclusion Quality Mark")]
    assert names_in(client, "/bathnes/awards.json") == castle
    old_page = client.get("/bathnes/awards/v1/").content.decode()
    award(world.school)  # not published yet: the public list stays as it was
    with django_assert_num_queries(1):  # the authority; the list is kept whole
        assert names_in(client, "/bathnes/awards.json") == castle
    publish(world.authority)
    both = castle + [("Bath", "Chandag Infant", "Inclusion Quality Mark")]
    assert names_in(client, "/bathnes/awards.json") == both
    assert names_in(client, "/bathnes/awards/v1.json") == castle  # a version never changes
    headers = lambda path: [  # noqa: E731 (rendered, then kept: the same)
        {
            h: r.get(h)
            for h in ("Content-Type", "Access-Control-Allow-Origin", "Content-Disposition")
        }
        for r in (client.get(path), client.get(path))
    ]
    assert (
        headers("/bathnes/awards.json")
        == [
            {
                "Content-Type": "application/json",
                "Access-Control-Allow-Origin": "*",
                "Content-Disposition": None,
            }
        ]
        * 2
    )
    assert (
        headers("/bathnes/awards.csv")
        == [
            {
                "Content-Type": "text/csv; charset=utf-8",
                "Access-Control-Allow-Origin": None,
                "Content-Disposition": 'attachment; filename="bathnes-awards-v2.csv"',
            }
        ]
        * 2
    )
    assert "This is an earlier version of the list" not in old_page
    assert (
        "This is an earlier version of the list"
        in client.get("/bathnes/awards/v1/").content.decode()
    )
    assert "<h3>Earlier versions</h3>" in client.get("/bathnes/awards/").content.decode()


def test_a_list_not_yet_published_shows_once_it_is(client, world):
    assert client.get("/bathnes/awards.json").status_code == 404
    award(world.school)
    publish(world.authority)
    assert names_in(client, "/bathnes/awards.json") == [
        ("Bath", "Chandag Infant", "Inclusion Quality Mark")
    ]


def test_renaming_the_authority_shows_on_its_list_and_in_the_directory(client, world):
    award(world.school)
    publish(world.authority)
    directory = reverse("directory:school", args=["bathnes", world.school.urn])
    assert heading(client.get("/bathnes/awards/")) == (
        "Schools that have achieved the Bath &amp; North East Somerset Inclusion Quality Mark"
    )
    assert "<dd>Bath &amp; North East Somerset</dd>" in client.get(directory).content.decode()
    world.authority.name = "Bath and North East Somerset"
    world.authority.save()
    assert heading(client.get("/bathnes/awards/")) == (
        "Schools that have achieved the Bath and North East Somerset Inclusion Quality Mark"
    )
    assert "<dd>Bath and North East Somerset</dd>" in client.get(directory).content.decode()


def test_a_rating_shows_in_the_pages_score(client, world):
    award(world.school)
    publish(world.authority)
    score = lambda: re.search(  # noqa: E731
        r'<p class="page-feedback__score">(.*?)</p>',
        client.get("/bathnes/awards/").content.decode(),
    ).group(1)
    assert score() == "No ratings yet"
    with scope(authority=world.authority):
        feedback.rate(authority=world.authority, page="/bathnes/awards/", stars=4)
    assert score() == "Average: 4.0 (1 vote)"


def test_each_visitor_gets_a_token_of_their_own_that_their_form_is_taken_with(world):
    award(world.school)
    publish(world.authority)
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    token = lambda response: re.findall(  # noqa: E731
        r'name="csrfmiddlewaretoken" value="([^"]+)"', response.content.decode()
    )
    kept = first.get("/bathnes/awards/")
    served = second.get("/bathnes/awards/")
    assert served.context is None  # from the cache, not rendered
    assert len(token(kept)) == len(token(served)) == 2  # the rating and the sign-up forms
    assert set(token(kept)).isdisjoint(token(served))
    assert served.cookies["csrftoken"].value != kept.cookies["csrftoken"].value
    rating = {"rating-page": "/bathnes/awards/", "rating-stars": 5, "rating-website": ""}
    rate = reverse("feedback:rate", args=["bathnes"])
    assert second.post(rate, {**rating, "csrfmiddlewaretoken": token(kept)[0]}).status_code == 403
    response = second.post(rate, {**rating, "csrfmiddlewaretoken": token(served)[0]})
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()


def test_a_signed_in_visitor_gets_the_page_of_their_own_and_never_keeps_it(admin_client, world):
    award(world.school)
    publish(world.authority)
    visitor = Client()
    signed_in = admin_client.get("/bathnes/awards/").content.decode()
    signed_out = visitor.get("/bathnes/awards/").content.decode()
    again = admin_client.get("/bathnes/awards/").content.decode()
    assert ("Sign out" in signed_in, "Sign out" in signed_out, "Sign out" in again) == (
        True,
        False,
        True,
    )
    assert "Authority admin" in again
    assert "Authority admin" not in visitor.get("/bathnes/awards/").content.decode()


def test_the_directory_shows_a_publication_at_once(client, world, django_assert_num_queries):
    search = reverse("directory:search")
    htmx = {"HX-Request": "true"}
    school = reverse("directory:school", args=["bathnes", world.school.urn])
    found = lambda **kwargs: re.findall(  # noqa: E731
        r'<a href="/awards/bathnes/\d+/">([^<]+)</a>',
        client.get(search, {"name": "chandag"}, **kwargs).content.decode(),
    )
    assert (found(), found(headers=htmx)) == ([], [])
    assert client.get(school).status_code == 404
    award(world.school)
    publish(world.authority)
    assert (found(), found(headers=htmx)) == (["Chandag Infant"], ["Chandag Infant"])
    with django_assert_num_queries(0):
        whole, part = (
            client.get(search, {"name": "chandag"}),
            client.get(search, {"name": "chandag"}, headers=htmx),
        )
    assert ("<h1" in whole.content.decode(), "<h1" in part.content.decode()) == (True, False)
    tier = lambda: re.search(  # noqa: E731
        r"<dt>Award</dt><dd><strong>(.*?)</strong>", client.get(school).content.decode()
    ).group(1)
    assert tier() == "Inclusion Quality Mark"
    award(world.school, Tier.CENTRE_OF_EXCELLENCE)
    publish(world.authority)
    assert tier() == "Centre of Excellence"


def test_a_restore_shows_the_list_it_brought_back_under_a_number_shown_before(client, world):
    """A restore replaces the tables past the models' signals, and the list published after it
    may take a version's number again, with other content."""
    award(world.school)
    publish(world.authority)
    assert names_in(client, "/bathnes/awards/v1.json") == [
        ("Bath", "Chandag Infant", "Inclusion Quality Mark")
    ]
    with scopes_disabled():  # back to before the first publication
        PublishedSchool.objects.all().delete()
        Publication.objects.all().delete()
    award(world.school, Tier.CENTRE_OF_EXCELLENCE)
    publish(world.authority)  # version 1 again
    # The rendering kept of the first version 1, until the restore's renewal.
    assert names_in(client, "/bathnes/awards/v1.json") == [
        ("Bath", "Chandag Infant", "Inclusion Quality Mark")
    ]
    stamps.renew_everything()  # as the restore does
    assert names_in(client, "/bathnes/awards/v1.json") == [
        ("Bath", "Chandag Infant", "Centre of Excellence")
    ]


def test_the_directorys_kept_figures_are_counted_again_after_a_restore(world):
    """A restore may bring back as many publications with the same highest id as before."""
    before = publications_stamp()
    assert publications_stamp() == before
    stamps.renew_everything()
    assert publications_stamp() != before


# The admin's preview ----------------------------------------------------------------------------


def proposed(client, world):
    client.force_login(world.people["authority_admin"])  # the clock moves years in a test
    document = client.get(reverse("publishing:preview", args=["bathnes"])).context["document"]
    return (
        [
            (area["name"], s["name"], s["tier"])
            for area in document["areas"]
            for s in area["schools"]
        ],
        [school["name"] for school in document["working_towards"]],
    )


def test_the_preview_follows_every_change_to_what_it_lists(client, world, time_machine):
    time_machine.move_to(EXPIRES_ON - timedelta(days=1), tick=False)
    QM = "Inclusion Quality Mark"
    castle = award(world.other_school)
    assert proposed(client, world) == ([("Bath", "Castle Primary", QM)], ["Chandag Infant"])
    award(world.school)  # an award made
    assert proposed(client, world) == (
        [("Bath", "Castle Primary", QM), ("Bath", "Chandag Infant", QM)],
        [],
    )
    world.other_school.name = "Castle Primary School"  # a school renamed
    world.other_school.save()
    assert proposed(client, world) == (
        [("Bath", "Castle Primary School", QM), ("Bath", "Chandag Infant", QM)],
        [],
    )
    world.area.name = "Bath City"  # its area renamed
    world.area.save()
    assert proposed(client, world) == (
        [("Bath City", "Castle Primary School", QM), ("Bath City", "Chandag Infant", QM)],
        [],
    )
    with scope(authority=world.authority):
        withdraw_awards(None)  # the awards of a decision corrected: here, those with none
    assert proposed(client, world) == ([], ["Chandag Infant"])
    castle.refresh_from_db()
    assert castle.withdrawn_at is not None
    start_cycle_for(world.authority, world.other_school, world.people["mentor"])  # a new cycle
    assert proposed(client, world) == ([], ["Castle Primary School", "Chandag Infant"])
    award(world.other_school)
    assert proposed(client, world) == (
        [("Bath City", "Castle Primary School", QM)],
        ["Chandag Infant"],
    )
    time_machine.move_to(EXPIRES_ON + timedelta(days=1), tick=False)  # the award expired
    assert proposed(client, world) == ([], ["Castle Primary School", "Chandag Infant"])


@pytest.mark.parametrize("schools", [1, 3, 50])
def test_the_preview_is_read_once_until_the_list_changes(
    admin_client, world, django_assert_num_queries, schools
):
    from .factories import SchoolFactory

    for n in range(schools):
        award(SchoolFactory(authority=world.authority, area=world.area, name=f"School {n:02}"))
    url = reverse("publishing:preview", args=["bathnes"])
    # session, user, memberships with their authorities (the page's too), the current
    # publication; the awards and the schools working towards, the first time only
    with django_assert_num_queries(6):
        first = admin_client.get(url)
    with django_assert_num_queries(4):
        again = admin_client.get(url)
    assert first.context["document"] == again.context["document"]
    assert len(again.context["document"]["areas"][0]["schools"]) == schools


def test_the_preview_shows_its_changes_against_the_version_published_now(admin_client, world):
    url = reverse("publishing:preview", args=["bathnes"])
    changes = lambda: re.findall(  # noqa: E731
        r'<ul class="awards-change-list">(.*?)</ul>|<p>(Nothing has changed)',
        admin_client.get(url).content.decode(),
        re.S,
    )
    award(world.other_school)
    assert changes() == []  # nothing published yet
    publish(world.authority)
    assert changes() == [("", "Nothing has changed")]
    award(world.school)
    assert [
        re.sub(r"<[^>]+>", "", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", changes()[0][0])
    ] == [
        "New Chandag Infant (Bath): Inclusion Quality Mark",
        "No longer working towards Chandag Infant",
    ]


def test_a_change_is_made_though_the_cache_cannot_be_reached(world, settings, caplog):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        }
    }
    world.school.name = "Chandag Infant School"
    world.school.save()
    with scope(authority=world.authority):
        world.school.refresh_from_db()
    assert world.school.name == "Chandag Infant School"
    pk = world.authority.pk
    assert [(r.msg, r.args[0]) for r in caplog.records] == [
        ("Could not renew the stamps %s: %s", (f"publishing:list:{pk}",)),
        ("Could not renew the stamps %s: %s", (f"overview:{pk}", f"overview-counts:{pk}")),
    ]

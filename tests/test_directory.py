"""The national directory: /awards/ searches every authority's current published list."""

from collections import Counter
from datetime import date
from itertools import count

import pytest
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from awards.models import Award, Tier
from publishing import directory, domain
from publishing.management.commands.bench_directory import publish_made_up_schools
from publishing.models import Publication, PublishedSchool
from schools.models import School

from .factories import AuthorityFactory

PLACES = {  # latitude, longitude
    "Bath": (51.3811, -2.3590),
    "Keynsham": (51.4135, -2.4977),
    "Bristol": (51.4545, -2.5879),
    "Chippenham": (51.4585, -2.1158),
    "Frome": (51.2279, -2.3215),
    "Wells": (51.2093, -2.6450),
    "Oxford": (51.7520, -1.2577),
    "Bicester": (51.8994, -1.1537),
}
URNS = count(200001)


def row(
    name, tier=Tier.QUALITY_MARK, area="Bath", phase=School.Phase.PRIMARY, place=None, urn=None
):
    latitude, longitude = PLACES[place] if place else (None, None)
    return {
        "name": name,
        "tier": tier,
        "area": area,
        "phase": phase,
        "latitude": latitude,
        "longitude": longitude,
        "urn": urn or str(next(URNS)),
    }


def publish(authority, *rows, pk=None):
    """The authority's next published list, of these rows, superseding its current one."""
    now = timezone.now()
    with scopes_disabled():
        last = Publication.objects.filter(authority=authority, superseded_at__isnull=True).first()
        if last:
            Publication.objects.filter(pk=last.pk).update(superseded_at=now)
        publication = Publication.objects.create(
            pk=pk,
            authority=authority,
            version=last.version + 1 if last else 1,
            published_at=now,
            content={},
        )
        PublishedSchool.objects.bulk_create(
            PublishedSchool(
                publication=publication,
                authority=authority,
                awarded_on=date(2025, 7, 1),
                expires_on=date(2028, 7, 1),
                **fields,
            )
            for fields in rows
        )
    return publication


def names(results):
    return [school.name for school in results.page]


def find(query=""):
    return directory.find(QueryDict(query))


@pytest.fixture
def councils(db):
    """Three published lists and one authority that has published nothing."""
    bathnes = AuthorityFactory(name="Bath & North East Somerset", slug="bathnes")
    bristol = AuthorityFactory(name="Bristol", slug="bristol")
    oxfordshire = AuthorityFactory(name="Oxfordshire", slug="oxfordshire")
    publish(
        bathnes,
        row(
            "Chandag Infant",
            Tier.FLAGSHIP,
            "Chew Valley & Keynsham",
            School.Phase.INFANT,
            "Keynsham",
        ),
        row("Castle Primary", Tier.QUALITY_MARK, "Norton Radstock", place="Frome"),
        row("Oldfield Park Junior", Tier.CENTRE_OF_EXCELLENCE, "Bath", School.Phase.JUNIOR, "Bath"),
        row("Parkside Infant", Tier.QUALITY_MARK, "Bath", School.Phase.INFANT, "Bath"),
    )
    publish(
        bristol,
        row("Park Primary", Tier.QUALITY_MARK, "North", place="Bristol"),
        row("Bristol Park Academy", Tier.FLAGSHIP, "Central", School.Phase.SECONDARY, "Bristol"),
    )
    publish(
        oxfordshire,
        row(
            "Bicester Park School",
            Tier.CENTRE_OF_EXCELLENCE,
            "Cherwell",
            School.Phase.SPECIAL,
            "Bicester",
        ),
    )
    AuthorityFactory(name="Quiet Council", slug="quiet")
    return bathnes, bristol, oxfordshire


def test_everything_listed_in_name_order(councils):
    results = find()
    assert names(results) == [
        "Bicester Park School",
        "Bristol Park Academy",
        "Castle Primary",
        "Chandag Infant",
        "Oldfield Park Junior",
        "Park Primary",
        "Parkside Infant",
    ]
    assert [listed.name for listed in results.choices.authorities] == [
        "Bath & North East Somerset",
        "Bristol",
        "Oxfordshire",
    ]
    assert results.areas == [
        "Bath",
        "Central",
        "Cherwell",
        "Chew Valley & Keynsham",
        "North",
        "Norton Radstock",
    ]


def test_name_search_ignores_case_and_puts_names_that_begin_with_it_first(councils):
    assert names(find("name=PARK")) == [
        "Park Primary",
        "Parkside Infant",
        "Bicester Park School",
        "Bristol Park Academy",
        "Oldfield Park Junior",
    ]
    assert names(find("name=++park++primary")) == ["Park Primary"]
    assert names(find("name=100%25")) == []  # LIKE's wildcards are searched for as themselves
    assert names(find("name=park%00primary%0A")) == [
        "Park Primary"
    ]  # control characters count as spaces


@pytest.mark.parametrize(
    "query, expected",
    [
        (
            "authority=bathnes",
            ["Castle Primary", "Chandag Infant", "Oldfield Park Junior", "Parkside Infant"],
        ),
        ("authority=bathnes&area=Bath", ["Oldfield Park Junior", "Parkside Infant"]),
        ("area=North", ["Park Primary"]),
        ("tier=flagship", ["Bristol Park Academy", "Chandag Infant"]),
        ("phase=infant", ["Chandag Infant", "Parkside Infant"]),
        ("tier=quality_mark&phase=infant&name=side", ["Parkside Infant"]),
        ("authority=bristol&tier=centre_of_excellence", []),
    ],
)
def test_filters(councils, query, expected):
    assert names(find(query)) == expected


def test_a_value_that_is_not_offered_means_any(councils):
    results = find("authority=quiet&tier=gold&phase=sixth_form&area=Nowhere")
    assert not results.search
    assert len(names(results)) == 7
    # An area of another authority than the one chosen is not offered either.
    assert names(find("authority=bristol&area=Bath")) == ["Bristol Park Academy", "Park Primary"]
    assert find("authority=bristol").areas == ["Central", "North"]


def test_counts_per_tier_of_what_was_found_and_the_national_headline(councils):
    results = find("name=park")
    assert (results.counts.total, results.counts.by_tier) == (
        5,
        {Tier.FLAGSHIP: 1, Tier.CENTRE_OF_EXCELLENCE: 2, Tier.QUALITY_MARK: 2},
    )
    assert list(results.counts.by_tier) == [
        Tier.FLAGSHIP,
        Tier.CENTRE_OF_EXCELLENCE,
        Tier.QUALITY_MARK,
    ]
    assert results.national.headline == "7 schools hold an IQM award; 2 are Flagship."


@pytest.mark.parametrize(
    "total, flagship, headline",
    [
        (0, 0, "No school has a published IQM award yet."),
        (1, 0, "1 school holds an IQM award."),
        (1, 1, "1 school holds an IQM award; 1 is Flagship."),
        (5500, 100, "5,500 schools hold an IQM award; 100 are Flagship."),
        (24000, 1, "24,000 schools hold an IQM award; 1 is Flagship."),
    ],
)
def test_headline_wording(total, flagship, headline):
    counts = directory.TierCounts(
        total,
        {
            Tier.FLAGSHIP: flagship,
            Tier.CENTRE_OF_EXCELLENCE: 0,
            Tier.QUALITY_MARK: total - flagship,
        },
    )
    assert counts.headline == headline


def test_the_page(client, councils):
    response = client.get(reverse("directory:search"), {"name": "park", "tier": "flagship"})
    assert response.status_code == 200
    assert names(response.context["results"]) == ["Bristol Park Academy"]
    content = response.content.decode()
    assert "7 schools hold an IQM award; 2 are Flagship." in content
    assert (
        '<p id="directory-count" class="directory-count" role="status">1 school found.</p>'
        in content
    )
    assert '<a href="/awards/bristol/' in content
    assert '<option value="flagship" selected>Flagship</option>' in content
    assert "<title>Schools with an IQM award: 1 found – IQM Portal</title>" in content


def test_htmx_gets_the_results_the_count_and_the_areas_alone(client, councils):
    response = client.get(
        reverse("directory:search"), {"authority": "bristol"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "publishing/directory_update.html"
    content = response.content.decode()
    assert "<h1" not in content
    assert '<p id="directory-count" hx-swap-oob="innerHTML">2 schools found.</p>' in content
    assert "<option>Central</option><option>North</option>" in content
    assert "HX-Request" in response["Vary"]


def test_pages_of_25(councils):
    bathnes = councils[0]
    publish(bathnes, *(row(f"School {n:02}") for n in range(1, 51)))
    results = find("authority=bathnes&page=2")
    assert names(results) == [f"School {n:02}" for n in range(26, 51)]
    assert (results.page.number, results.page.paginator.num_pages, results.counts.total) == (
        2,
        2,
        50,
    )


def test_only_the_current_version_of_each_list(client, councils):
    bathnes = councils[0]
    client.get(reverse("directory:search"))  # the choices and counts are cached now
    castle = find("name=castle").page[0]
    publish(
        bathnes,
        row("Castle Primary", Tier.CENTRE_OF_EXCELLENCE, "Midsomer Norton", urn=castle.urn),
        row("Widcombe Infant", Tier.QUALITY_MARK, "Bath", School.Phase.INFANT),
    )

    results = find("authority=bathnes")
    assert [(s.name, s.tier, s.area) for s in results.page] == [
        ("Castle Primary", Tier.CENTRE_OF_EXCELLENCE, "Midsomer Norton"),
        ("Widcombe Infant", Tier.QUALITY_MARK, "Bath"),
    ]
    assert results.areas == ["Bath", "Midsomer Norton"]
    assert results.national.headline == "5 schools hold an IQM award; 1 is Flagship."
    assert names(find("name=chandag")) == []

    page = client.get(reverse("directory:school", args=["bathnes", castle.urn]))
    assert page.context["school"].tier == Tier.CENTRE_OF_EXCELLENCE
    chandag_urn = PublishedSchool.objects.with_scopes_disabled().get(name="Chandag Infant").urn
    assert client.get(reverse("directory:school", args=["bathnes", chandag_urn])).status_code == 404


def test_a_publication_that_commits_after_a_later_one_still_shows(councils):
    """Ids are taken when a publication begins: the one begun first may commit last, with a lower
    id."""
    first = find()
    assert first.national.total == 7
    with scopes_disabled():
        lowest = Publication.objects.order_by("pk").first().pk
    publish(AuthorityFactory(name="Late Council"), row("Late Primary", area="Late"), pk=lowest - 1)
    results = find()
    assert results.national.total == 8
    assert [listed.name for listed in results.choices.authorities] == [
        "Bath & North East Somerset",
        "Bristol",
        "Late Council",
        "Oxfordshire",
    ]


def test_what_an_authority_publishes_is_what_the_directory_shows(world):
    today = timezone.localdate()
    with scope(authority=world.authority):
        School.objects.filter(pk=world.school.pk).update(latitude=51.3811, longitude=-2.3590)
        Award.objects.create(
            authority=world.authority,
            school=world.school,
            tier=Tier.QUALITY_MARK,
            awarded_on=today,
            expires_on=today.replace(year=today.year + 3),
        )
        domain.publish(world.authority, by=world.people["authority_admin"])
    assert [(s.name, s.tier, s.area, s.latitude) for s in find().page] == [
        ("Chandag Infant", Tier.QUALITY_MARK, "Bath", 51.3811)
    ]

    with scope(authority=world.authority):
        for school, tier in (
            (world.school, Tier.FLAGSHIP),
            (world.other_school, Tier.QUALITY_MARK),
        ):
            Award.objects.create(
                authority=world.authority,
                school=school,
                tier=tier,
                awarded_on=today,
                expires_on=today.replace(year=today.year + 1),
            )
        domain.publish(world.authority, by=world.people["authority_admin"])
    results = find()
    assert [(s.name, s.tier) for s in results.page] == [
        ("Castle Primary", Tier.QUALITY_MARK),
        ("Chandag Infant", Tier.FLAGSHIP),
    ]
    assert results.national.headline == "2 schools hold an IQM award; 1 is Flagship."


def test_an_authority_that_has_not_published_is_absent(client, world):
    with scopes_disabled():
        Award.objects.create(
            authority=world.outsider_authority,
            school=world.outsider_school,
            tier=Tier.FLAGSHIP,
            awarded_on=date(2026, 7, 1),
            expires_on=date(2027, 7, 1),
        )
    publish(world.authority, row(world.school.name, urn=world.school.urn))
    results = find()
    assert names(results) == ["Chandag Infant"]
    assert [listed.slug for listed in results.choices.authorities] == ["bathnes"]
    assert names(find(f"name={world.outsider_school.name}")) == []
    url = reverse(
        "directory:school", args=[world.outsider_authority.slug, world.outsider_school.urn]
    )
    assert client.get(url).status_code == 404


def test_nearest_schools_of_each_tier(councils):
    bathnes, bristol, oxfordshire = councils
    publish(
        oxfordshire,
        row("Oxford Flagship", Tier.FLAGSHIP, place="Oxford"),
        row("Bicester Flagship", Tier.FLAGSHIP, place="Bicester"),
        row("Bicester QM", place="Bicester"),
        row("Nowhere Flagship", Tier.FLAGSHIP),
    )
    publish(
        bristol,
        row("Bristol Flagship", Tier.FLAGSHIP, place="Bristol"),
        row("Bristol QM", place="Bristol"),
    )
    publish(
        bathnes,
        row("Bath Flagship", Tier.FLAGSHIP, place="Bath"),
        row("Wells Flagship", Tier.FLAGSHIP, place="Wells"),
        row("Keynsham CoE", Tier.CENTRE_OF_EXCELLENCE, place="Keynsham"),
        row("Chippenham CoE", Tier.CENTRE_OF_EXCELLENCE, place="Chippenham"),
        row("Keynsham QM", place="Keynsham"),
        row("Frome QM", place="Frome"),
        row("Chippenham QM", place="Chippenham"),
    )
    bath = directory.published_school("bathnes", find("name=bath+flagship").page[0].urn)

    nearest = {
        group.tier: [(n.school.name, round(n.km, 2)) for n in group.schools]
        for group in directory.nearest_by_tier(bath)
    }

    assert list(nearest) == [Tier.FLAGSHIP, Tier.CENTRE_OF_EXCELLENCE, Tier.QUALITY_MARK]
    # Oxford and Bicester lie outside the first box searched; superseded rows and places unknown
    # are left out.
    assert nearest[Tier.FLAGSHIP] == [
        ("Bristol Flagship", 17.85),
        ("Wells Flagship", 27.58),
        ("Oxford Flagship", 86.57),
    ]
    assert nearest[Tier.CENTRE_OF_EXCELLENCE] == [
        ("Keynsham CoE", 10.27),
        ("Chippenham CoE", 18.93),
    ]
    assert nearest[Tier.QUALITY_MARK] == [
        ("Keynsham QM", 10.27),
        ("Frome QM", 17.23),
        ("Bristol QM", 17.85),
    ]


def test_the_school_page(client, db):
    bathnes = AuthorityFactory(name="Bath & North East Somerset", slug="bathnes")
    publish(
        bathnes,
        row("Bath Flagship", Tier.FLAGSHIP, "Bath", place="Bath", urn="123456"),
        row("Keynsham QM", place="Keynsham"),
        row("Unplaced QM"),
    )
    response = client.get(reverse("directory:school", args=["bathnes", "123456"]))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<h1>Bath Flagship</h1>" in content
    assert "<dt>Local authority</dt><dd>Bath &amp; North East Somerset</dd>" in content
    assert (
        '<a href="/bathnes/awards/">'
        "Bath &amp; North East Somerset’s published list of awarded schools</a>" in content
    )
    assert (
        '">Keynsham QM</a></td><td>Bath &amp; North East Somerset</td>'
        '<td class="numeric">10.3 km</td>' in content
    )
    assert content.count("No other school with this award has published a location.") == 2

    unplaced = find("name=unplaced").page[0]
    response = client.get(reverse("directory:school", args=["bathnes", unplaced.urn]))
    assert response.context["nearest"] == []
    assert "has not published this school’s location" in response.content.decode()
    assert client.get(reverse("directory:school", args=["bathnes", "999999"])).status_code == 404


@pytest.mark.parametrize("schools", [1, 3, 50])
def test_query_count_does_not_grow_with_the_schools(client, db, schools, django_assert_num_queries):
    authority = AuthorityFactory()
    publish(authority, *(row(f"School {n}", place="Bath") for n in range(schools)))
    url = reverse("directory:search")
    # The publications' stamp, the choices, the national counts, the rows of the page.
    with django_assert_num_queries(4):
        assert client.get(url).status_code == 200
    # The same, the choices and national counts cached now, and the counts of what was found.
    with django_assert_num_queries(3):
        assert client.get(url, {"name": "school", "tier": "quality_mark"}).status_code == 200
    urn = find().page[0].urn
    # The school, its nearest in a box around it, and the tiers short there across the country.
    with django_assert_num_queries(3):
        assert (
            client.get(reverse("directory:school", args=[authority.slug, urn])).status_code == 200
        )
    # Asked again, each is answered from the cache whole (authorities/public_pages.py).
    with django_assert_num_queries(0):
        client.get(url)
        client.get(url, {"name": "school", "tier": "quality_mark"})
        client.get(reverse("directory:school", args=[authority.slug, urn]))


def test_24000_schools(db):
    """The search finds exactly the rows it should at scale; the order of a page is the
    database's."""
    made = publish_made_up_schools(24000, authorities=6)

    def in_database_order(rows):
        return list(
            PublishedSchool.objects.with_scopes_disabled()
            .filter(pk__in=[s.pk for s in rows])
            .order_by("name", "pk")
            .values_list("pk", flat=True)
        )

    results = find("name=oak")
    oak = [s for s in made if "oak" in s.name.lower()]
    assert results.counts.total == len(oak)
    assert [s.pk for s in results.page] == in_database_order(oak)[
        :25
    ]  # every one begins with "Oak"

    results = find("tier=flagship&phase=secondary&page=2")
    both = [s for s in made if s.tier == Tier.FLAGSHIP and s.phase == School.Phase.SECONDARY]
    assert results.counts.total == len(both)
    assert [s.pk for s in results.page] == in_database_order(both)[25:50]

    tiers = Counter(s.tier for s in made)
    results = find()
    assert results.national.by_tier == {tier: tiers[tier] for tier in directory.TIERS}
    assert len(results.choices.authorities) == 6

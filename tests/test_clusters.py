"""Clusters: a school's partner schools (of any authority, or outside the portal by name) and the
log of what they do together."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from audit.models import AuditEntry
from clusters.domain import activities_between, partner_count
from clusters.models import Activity, Cluster, Partner

from .factories import ClusterFactory, PartnerFactory, SchoolFactory, UserFactory


@pytest.fixture
def cluster(world):
    return ClusterFactory(lead_school=world.school, name="Keynsham inclusion cluster")


def url(name, *args, slug="bathnes"):
    return reverse(f"clusters:{name}", args=[slug, *args])


def log(cluster, title, day, kind=Activity.Kind.COLLABORATION, attended_by=()):
    with scopes_disabled():
        activity = Activity.objects.create(
            cluster=cluster,
            kind=kind,
            date=day,
            title=title,
            description="What happened.",
            recorded_by=UserFactory(),
        )
        activity.attended_by.set(attended_by)
    return activity


def test_the_schools_lead_starts_its_cluster_and_it_is_logged(client, world):
    client.force_login(world.people["head_teacher"])
    response = client.post(url("start", world.school.pk), {"name": "Chandag cluster"})
    with scope(authority=world.authority):
        cluster = Cluster.objects.get(lead_school=world.school)
        assert response["Location"] == url("detail", cluster.pk)
        assert cluster.name == "Chandag cluster"
        entry = AuditEntry.objects.get(action="cluster.started")
    assert (entry.school, entry.after) == (world.school, {"name": "Chandag cluster"})
    # Once started, the start page leads to it.
    assert client.get(url("start", world.school.pk))["Location"] == url("detail", cluster.pk)


def test_partners_are_added_by_urn_in_any_authority_or_by_name(client, world, cluster):
    client.force_login(world.people["school_coordinator"])
    for data in (
        {"urn": world.other_school.urn},
        {"urn": world.outsider_school.urn},
        {"name": "Longfields Primary School"},
    ):
        assert client.post(url("partner_add", cluster.pk), data).status_code == 302
    with scope(authority=world.authority):
        partners = list(cluster.partners.all())
        # Another authority's school is stored with its name, as this authority cannot read it.
        assert [(p.school_id, p.name) for p in partners] == [
            (world.other_school.pk, ""),
            (world.outsider_school.pk, "Outsider Academy"),
            (None, "Longfields Primary School"),
        ]
        assert partner_count(world.school) == 3
        logged = AuditEntry.objects.filter(action="cluster.partner_added").order_by("pk")
        assert [(e.after["school"], e.after["name"]) for e in logged] == [
            (world.other_school.pk, ""),
            (world.outsider_school.pk, ""),
            (None, "Longfields Primary School"),
        ]


@pytest.mark.parametrize(
    "data, errors",
    [
        (
            {},
            {
                "__all__": [
                    "Give either the URN of a school in the portal or the name of a school "
                    "outside it."
                ]
            },
        ),
        (
            {"urn": "OTHER", "name": "Longfields"},
            {
                "__all__": [
                    "Give either the URN of a school in the portal or the name of a school "
                    "outside it."
                ]
            },
        ),
        (
            {"urn": "12ab"},
            {"urn": ["A URN is six or seven digits, as in Get Information about Schools."]},
        ),
        (
            {"urn": "999999"},
            {"urn": ["No school in the portal has this URN: add it by name instead."]},
        ),
        ({"urn": "OWN"}, {"urn": ["A school cannot be its own partner."]}),
        ({"urn": "OTHER"}, {"urn": ["Castle Primary is already a partner."]}),
    ],
)
def test_bad_partners_are_refused_where_the_lead_can_act_and_nothing_is_saved(
    client, world, cluster, data, errors
):
    PartnerFactory(cluster=cluster, school=world.other_school)
    swap = {"OTHER": world.other_school.urn, "OWN": world.school.urn}
    data = {k: swap.get(v, v) for k, v in data.items()}
    client.force_login(world.people["school_coordinator"])
    response = client.post(url("partner_add", cluster.pk), data)
    assert response.status_code == 200
    assert response.context["form"].errors == errors
    assert "There is a problem" in response.content.decode()
    with scopes_disabled():
        assert Partner.objects.count() == 1


def test_a_removed_partner_no_longer_counts_but_the_meetings_it_attended_still_name_it(
    client, world, cluster
):
    partner = PartnerFactory(cluster=cluster, school=world.other_school)
    meeting = log(cluster, "Spring meeting", date(2026, 3, 1), Activity.Kind.MEETING, [partner])
    client.force_login(world.people["authority_admin"])
    assert client.post(url("partner_remove", cluster.pk, partner.pk)).status_code == 302
    with scope(authority=world.authority):
        assert partner_count(world.school) == 0
        assert list(meeting.attended_by.all()) == [partner]
    page = client.get(url("detail", cluster.pk)).content.decode()
    assert "No partner schools yet." in page
    assert "Castle Primary; " not in page and "<dd>Castle Primary</dd>" in page.replace("\n", "")
    # It can join again.
    assert (
        client.post(url("partner_add", cluster.pk), {"urn": world.other_school.urn}).status_code
        == 302
    )
    with scope(authority=world.authority):
        assert partner_count(world.school) == 1


def test_a_meeting_is_logged_with_its_attendance_and_other_activities_without(
    client, world, cluster
):
    partner = PartnerFactory(cluster=cluster, school=world.other_school)
    client.force_login(world.people["head_teacher"])
    meeting = {
        "kind": "meeting",
        "date": "2026-06-01",
        "title": "Summer cluster meeting",
        "description": "Transition plans for Year 6.",
        "outcomes": "A shared passport.",
        "attended_by": [partner.pk],
        "attendance": "12",
    }
    assert client.post(url("activity_create", cluster.pk), meeting).status_code == 302
    talk = {**meeting, "kind": "dissemination", "title": "Talk to SENCOs", "date": "2026-06-02"}
    assert client.post(url("activity_create", cluster.pk), talk).status_code == 302
    with scope(authority=world.authority):
        rows = [
            (a.title, a.kind, a.attendance, [p.pk for p in a.attended_by.all()], a.recorded_by)
            for a in Activity.objects.order_by("date")
        ]
    person = world.people["head_teacher"]
    assert rows == [
        ("Summer cluster meeting", "meeting", 12, [partner.pk], person),
        ("Talk to SENCOs", "dissemination", None, [], person),
    ]


def test_an_activity_is_changed_by_the_lead_and_refused_when_incomplete(client, world, cluster):
    activity = log(cluster, "Lesson study", date(2026, 5, 1))
    client.force_login(world.people["school_coordinator"])
    edit = url("activity_edit", cluster.pk, activity.pk)
    response = client.post(
        edit, {"kind": "collaboration", "date": "", "title": "", "description": ""}
    )
    assert response.context["form"].errors == {
        "date": ["This field is required."],
        "title": ["This field is required."],
        "description": ["This field is required."],
    }
    data = {
        "kind": "collaboration",
        "date": "2026-05-02",
        "title": "Joint lesson study",
        "description": "Reading lessons planned and observed together.",
    }
    assert client.post(edit, data).status_code == 302
    activity.refresh_from_db()
    assert (activity.title, activity.date) == ("Joint lesson study", date(2026, 5, 2))


def test_the_cluster_page_lists_activities_newest_first_ten_a_page(client, world, cluster):
    for day in range(1, 12):
        log(cluster, f"Activity {day}", date(2026, 1, day))
    client.force_login(world.people["mentor"])
    first = client.get(url("detail", cluster.pk))
    assert [a.title for a in first.context["page"]] == [f"Activity {d}" for d in range(11, 1, -1)]
    assert first.context["can_manage"] is False
    second = client.get(url("detail", cluster.pk), {"page": 2})
    assert [a.title for a in second.context["page"]] == ["Activity 1"]


@pytest.mark.parametrize("count", [1, 3])
def test_the_cluster_pages_queries_do_not_grow(
    client, world, cluster, django_assert_num_queries, count
):
    for n in range(count):
        partner = PartnerFactory(
            cluster=cluster, school=SchoolFactory(authority=world.outsider_authority)
        )
        log(cluster, f"Meeting {n}", date(2026, 1, n + 1), Activity.Kind.MEETING, [partner])
    client.force_login(world.people["school_coordinator"])
    # session, user, memberships with their authorities (the page's too); the cluster, partners,
    # activities' count, page and attendance
    with django_assert_num_queries(8):
        response = client.get(url("detail", cluster.pk))
    assert len(response.context["page"]) == count


def test_another_authoritys_partner_school_is_shown_only_by_name(client, world, cluster):
    with scopes_disabled():
        world.outsider_school.address = "1 Secret Lane"
        world.outsider_school.save()
    PartnerFactory(cluster=cluster, school=world.outsider_school)
    client.force_login(world.people["school_coordinator"])
    page = client.get(url("detail", cluster.pk)).content.decode()
    assert "Outsider Academy" in page
    for leak in ("1 Secret Lane", world.outsider_school.urn, "Outsider Council", "/outsider/"):
        assert leak not in page
    # Its own authority sees, on its own page, the cluster and its lead by name, nothing more.
    client.force_login(world.outsider)
    own = client.get(reverse("schools:detail", args=["outsider", world.outsider_school.pk]))
    text = own.content.decode()
    assert "Partner in Keynsham inclusion cluster, led by Chandag Infant." in text
    assert "/bathnes/" not in text
    assert client.get(url("detail", cluster.pk, slug="outsider")).status_code == 404


def test_another_authoritys_cluster_is_not_found_for_every_role(world):
    outsider_cluster = ClusterFactory(lead_school=world.outsider_school)
    partner = PartnerFactory(cluster=outsider_cluster, name="X", school=None)
    activity = log(outsider_cluster, "Theirs", date(2026, 1, 1))
    pages = [
        ("get", url("detail", outsider_cluster.pk)),
        ("get", url("partner_add", outsider_cluster.pk)),
        ("post", url("partner_remove", outsider_cluster.pk, partner.pk)),
        ("get", url("activity_create", outsider_cluster.pk)),
        ("get", url("activity_edit", outsider_cluster.pk, activity.pk)),
        ("get", url("start", world.outsider_school.pk)),
    ]
    for who, person in {**world.people, **world.others}.items():
        client = Client()
        client.force_login(person)
        for method, page in pages:
            assert (who, page, getattr(client, method)(page).status_code) == (who, page, 404)
    with scopes_disabled():
        assert Partner.objects.get(pk=partner.pk).removed_at is None


def test_the_annual_review_reads_the_activities_between_two_days_inclusive(world, cluster):
    for day in (1, 2, 30, 31):
        log(cluster, f"March {day}", date(2026, 3, day))
    other = ClusterFactory(lead_school=world.other_school)
    log(other, "Another cluster's", date(2026, 3, 15))
    with scope(authority=world.authority):
        found = activities_between(world.school, date(2026, 3, 2), date(2026, 3, 30))
        assert [a.title for a in found] == ["March 2", "March 30"]


def test_the_school_page_offers_its_leads_a_cluster_and_shows_the_one_it_leads(client, world):
    client.force_login(world.people["head_teacher"])
    detail = reverse("schools:detail", args=["bathnes", world.school.pk])
    assert url("start", world.school.pk) in client.get(detail).content.decode()
    client.force_login(world.people["school_contributor"])
    assert "Leads no cluster." in client.get(detail).content.decode()
    cluster = ClusterFactory(lead_school=world.school, name="Chandag cluster")
    PartnerFactory(cluster=cluster, school=world.other_school)
    text = client.get(detail).content.decode()
    assert (
        f'<a href="{url("detail", cluster.pk)}">Chandag cluster</a>, with 1 partner school.' in text
    )


def test_the_migration_turns_each_schools_partners_into_a_cluster_it_leads(world, database_owner):
    """Partner pairs were symmetrical: each school keeps its number of partner schools."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before = [("clusters", "0001_clusters_partners_activities"), ("schools", "0003_school_import")]
    after = [
        ("clusters", "0002_partners_from_schools"),
        ("schools", "0004_partners_move_to_clusters"),
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    School = old.get_model("schools", "School")
    # Both rows of the pair, as the symmetrical field saved them (its historical model is not).
    School.objects.get(pk=world.school.pk).partners.add(world.other_school.pk)
    School.objects.get(pk=world.other_school.pk).partners.add(world.school.pk)
    with connection.cursor() as cursor:  # check the new rows now, so their table may be dropped
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    with scopes_disabled():
        clusters = [
            (c.lead_school, c.name, [p.school for p in c.partners.all()])
            for c in Cluster.objects.order_by("lead_school__name")
        ]
    assert clusters == [
        (world.other_school, "Castle Primary cluster", [world.school]),
        (world.school, "Chandag Infant cluster", [world.other_school]),
    ]

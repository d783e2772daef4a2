"""The API's awards, clusters, published lists and render jobs (api/records.py): what each reads
and does, with the browser's rules, and lists whose queries do not grow with their rows."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django_scopes import scope, scopes_disabled

from awards.models import Award, Tier
from clusters.models import Activity, Partner
from publishing import domain as publishing
from publishing.models import Publication
from reports.models import RenderJob

from .api_isolation import token_client
from .conftest import start_cycle_for
from .factories import ClusterFactory, PartnerFactory, SchoolFactory
from .journey import advance

TODAY = timezone.localdate()


def url(name, **kwargs):
    return reverse(f"api:{name}", kwargs={"authority_slug": "bathnes", **kwargs})


def make_award(school, tier=Tier.QUALITY_MARK, awarded_on=None, years=3, **fields):
    awarded_on = awarded_on or TODAY - timedelta(days=30)
    with scopes_disabled():
        return Award.objects.create(
            authority=school.authority,
            school=school,
            tier=tier,
            awarded_on=awarded_on,
            expires_on=awarded_on.replace(year=awarded_on.year + years),
            **fields,
        )


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


# Awards


def test_awards_show_their_status_as_the_schools_history_does(world):
    current = make_award(world.school, Tier.CENTRE_OF_EXCELLENCE)
    withdrawn = make_award(world.school, withdrawn_at=timezone.now())
    lapsed = make_award(world.school, awarded_on=date(2019, 1, 10))
    upcoming = make_award(world.school, awarded_on=TODAY + timedelta(days=5))
    response = token_client(world, "school_coordinator").get(url("award-list"))
    rows = {row["id"]: row for row in response.json()["results"]}
    assert {pk: row["status"] for pk, row in rows.items()} == {
        current.pk: "current",
        withdrawn.pk: "withdrawn",
        lapsed.pk: "lapsed",
        upcoming.pk: "upcoming",
    }
    assert rows[current.pk] == {
        "id": current.pk,
        "school": world.school.pk,
        "tier": "centre_of_excellence",
        "awarded_on": current.awarded_on.isoformat(),
        "expires_on": current.expires_on.isoformat(),
        "decision": None,
        "withdrawn_at": None,
        "status": "current",
    }
    assert rows[withdrawn.pk]["withdrawn_at"] is not None


def test_awards_are_those_of_the_schools_the_caller_may_see(world):
    ours = make_award(world.school)
    theirs = make_award(world.other_school)
    make_award(world.outsider_school)
    assert ids(token_client(world, "authority_admin").get(url("award-list"))) == [
        ours.pk,
        theirs.pk,
    ]
    assert ids(token_client(world, "school_coordinator").get(url("award-list"))) == [ours.pk]
    assert ids(token_client(world, "other_school_coordinator").get(url("award-list"))) == [
        theirs.pk
    ]
    assert ids(token_client(world, "other_mentor").get(url("award-list"))) == []
    response = token_client(world, "school_coordinator").get(url("award-detail", pk=theirs.pk))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"


def test_awards_filter_by_tier_school_area_dates_and_current(world):
    elsewhere = SchoolFactory(authority=world.authority, area=None, name="Nowhere Primary")
    quality = make_award(world.school, awarded_on=date(2024, 9, 1))
    excellence = make_award(world.school, Tier.CENTRE_OF_EXCELLENCE, awarded_on=date(2025, 9, 1))
    withdrawn = make_award(
        world.other_school, awarded_on=date(2025, 3, 1), withdrawn_at=timezone.now()
    )
    old = make_award(elsewhere, awarded_on=date(2020, 1, 1))
    client = token_client(world, "authority_admin")

    def found(**query):
        return ids(client.get(url("award-list"), query))

    assert found(tier="centre_of_excellence") == [excellence.pk]
    assert found(school=world.other_school.pk) == [withdrawn.pk]
    assert found(area=world.area.pk) == [excellence.pk, withdrawn.pk, quality.pk]
    assert found(awarded_on_after="2025-01-01", awarded_on_before="2025-06-30") == [withdrawn.pk]
    assert found(expires_on_before="2023-12-31") == [old.pk]
    assert found(current="true") == [excellence.pk, quality.pk]
    assert found(current="false") == [withdrawn.pk, old.pk]
    assert found(ordering="awarded_on") == [old.pk, quality.pk, withdrawn.pk, excellence.pk]
    assert found(ordering="-tier_rank,awarded_on") == [
        excellence.pk,
        old.pk,
        quality.pk,
        withdrawn.pk,
    ]
    response = client.get(url("award-list"), {"tier": "gold"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "tier"
    page = client.get(url("award-list"), {"page_size": 3, "page": 2}).json()
    assert (page["count"], [row["id"] for row in page["results"]]) == (4, [old.pk])


@pytest.mark.parametrize("count", [1, 3])
def test_the_award_list_costs_the_same_however_many_rows(world, django_assert_num_queries, count):
    for n in range(count):
        make_award(world.school, awarded_on=TODAY - timedelta(days=n))
        make_award(world.other_school, awarded_on=TODAY - timedelta(days=n))
    client = token_client(world, "school_contributor")
    # the token, its last use, memberships; the count, the page, the schools' awards
    client.get(url("award-list"))  # the authority is read once, then kept in the cache
    with django_assert_num_queries(6):
        response = client.get(url("award-list"), {"page_size": 2})
    assert len(response.json()["results"]) == min(count, 2)
    with django_assert_num_queries(6):
        response = client.get(url("award-list"))
    assert len(response.json()["results"]) == count


# Clusters


@pytest.fixture
def cluster(world):
    return ClusterFactory(lead_school=world.school, name="Keynsham inclusion cluster")


def test_a_cluster_shows_its_partners_another_authoritys_by_name_only(world, cluster):
    own = PartnerFactory(cluster=cluster, school=world.other_school)
    foreign = PartnerFactory(cluster=cluster, school=world.outsider_school)
    outside = PartnerFactory(cluster=cluster, school=None, name="Longfields Primary")
    gone = PartnerFactory(cluster=cluster, school=None, name="Gone Primary")
    with scopes_disabled():
        Partner.objects.filter(pk=gone.pk).update(removed_at=timezone.now())
        meeting = Activity.objects.create(
            cluster=cluster,
            kind=Activity.Kind.MEETING,
            date=date(2026, 5, 1),
            title="Summer meeting",
            description="Transition plans.",
            attendance=7,
            recorded_by=world.people["school_coordinator"],
        )
        meeting.attended_by.set([own, gone])
    client = token_client(world, "mentor")
    [listed] = client.get(url("cluster-list")).json()["results"]
    assert [(p["id"], p["school"], p["name"]) for p in listed["partners"]] == [
        (own.pk, world.other_school.pk, "Castle Primary"),
        (foreign.pk, None, "Outsider Academy"),
        (outside.pk, None, "Longfields Primary"),
    ]
    assert "activities" not in listed
    assert parse_datetime(listed["partners"][0].pop("added_at")) == own.added_at
    assert set(listed["partners"][0]) == {"id", "school", "name"}
    detail = client.get(url("cluster-detail", pk=cluster.pk)).json()
    detail["partners"][0].pop("added_at")
    assert detail["partners"] == listed["partners"]
    assert detail["lead_school"] == world.school.pk
    assert [
        (a["id"], a["kind"], a["attendance"], a["attended_by"]) for a in detail["activities"]
    ] == [(meeting.pk, "meeting", 7, [own.pk, gone.pk])]


def test_only_the_lead_schools_people_its_mentor_and_the_admin_see_a_cluster(world, cluster):
    other = ClusterFactory(lead_school=world.other_school)
    assert ids(token_client(world, "authority_admin").get(url("cluster-list"))) == [
        other.pk,
        cluster.pk,
    ]
    assert ids(token_client(world, "other_school_coordinator").get(url("cluster-list"))) == [
        other.pk
    ]
    for who in ("school_contributor", "mentor"):
        assert ids(token_client(world, who).get(url("cluster-list"))) == [cluster.pk]
    advance(world, "visit_planned")  # the moderators see the school's case, not its cluster
    assert ids(token_client(world, "moderator").get(url("cluster-list"))) == []
    client = token_client(world, "moderator")
    assert client.get(url("cluster-detail", pk=cluster.pk)).status_code == 404
    filtered = token_client(world, "authority_admin").get(
        url("cluster-list"), {"lead_school": world.other_school.pk}
    )
    assert ids(filtered) == [other.pk]


@pytest.mark.parametrize("who", ["authority_admin", "mentor"])
@pytest.mark.parametrize("count", [1, 3])
def test_the_cluster_list_costs_the_same_however_many_rows(
    world, django_assert_num_queries, count, who
):
    """The admin sees every cluster; the mentor, those of the schools whose latest case they
    mentor, which the list reads with the clusters, not one cluster at a time."""
    schools = [world.school] + [SchoolFactory(authority=world.authority) for _ in range(2)]
    for school in schools[:count]:
        if school != world.school:
            start_cycle_for(world.authority, school, world.people["mentor"])
        cluster = ClusterFactory(lead_school=school)
        for _ in range(count):
            PartnerFactory(cluster=cluster)
    client = token_client(world, who)
    # the token, its last use, memberships; the visible clusters with their mentors (not read
    # for the admin, who sees them all), the count, the page, its partners
    queries = 6 if who == "authority_admin" else 7
    client.get(url("cluster-list"))  # the authority is read once, then kept in the cache
    with django_assert_num_queries(queries):
        response = client.get(url("cluster-list"), {"page_size": 2})
    assert len(response.json()["results"]) == min(count, 2)
    with django_assert_num_queries(queries):
        response = client.get(url("cluster-list"))
    assert [len(row["partners"]) for row in response.json()["results"]] == [count] * count


# Published lists


def test_the_admin_previews_then_publishes_exactly_what_was_previewed(world):
    make_award(world.school, Tier.CENTRE_OF_EXCELLENCE)
    admin = token_client(world, "authority_admin")
    assert admin.get(url("publication-current")).status_code == 404
    preview = admin.get(url("publication-preview")).json()
    assert preview["version"] == 1
    assert preview["document"]["areas"][0]["schools"][0]["name"] == "Chandag Infant"
    assert [c["name"] for c in preview["changes"]["added"]] == ["Chandag Infant"]

    make_award(world.other_school)  # the list changes after the preview
    response = admin.post(
        url("publication-list"), {"confirmed": preview["fingerprint"]}, format="json"
    )
    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "list_changed"
    assert [c["name"] for c in problem["current"]["changes"]["added"]] == [
        "Castle Primary",
        "Chandag Infant",
    ]
    with scopes_disabled():
        assert Publication.objects.count() == 0

    response = admin.post(
        url("publication-list"), {"confirmed": problem["current"]["fingerprint"]}, format="json"
    )
    assert response.status_code == 201
    published = response.json()
    with scopes_disabled():
        publication = Publication.objects.get()
    assert published["version"] == 1 and published["current"] is True
    assert published["content"] == publication.content
    assert published["awarded"] == 2
    assert admin.get(url("publication-current")).json() == published
    assert admin.get(url("publication-detail", version=1)).json() == published
    assert admin.get(url("publication-detail", version=2)).status_code == 404
    response = admin.post(url("publication-list"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "confirmed"


def test_every_member_reads_the_published_lists_only_the_admin_previews(world):
    with scopes_disabled():
        publishing.publish(world.authority, None)
        publishing.publish(world.authority, None)
        publishing.publish(world.outsider_authority, None)
    client = token_client(world, "school_contributor")
    rows = client.get(url("publication-list")).json()["results"]
    assert [(r["version"], r["current"]) for r in rows] == [(2, True), (1, False)]
    assert "content" not in rows[0]
    assert client.get(url("publication-current")).json()["version"] == 2
    assert client.get(url("publication-preview")).status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize("count", [1, 3])
def test_the_publication_list_costs_the_same_however_many_rows(
    world, django_assert_num_queries, count
):
    make_award(world.school)
    with scopes_disabled():
        for _ in range(count):
            publishing.publish(world.authority, None)
    client = token_client(world, "panel_member")
    # the token, its last use, memberships; the count, the page
    client.get(url("publication-list"))  # the authority is read once, then kept in the cache
    with django_assert_num_queries(5):
        response = client.get(url("publication-list"), {"page_size": 2})
    assert [row["awarded"] for row in response.json()["results"]] == [1] * min(count, 2)
    with django_assert_num_queries(5):
        response = client.get(url("publication-list"))
    assert len(response.json()["results"]) == count


# Render jobs


def test_a_certificate_is_asked_for_made_and_downloaded(world, django_capture_on_commit_callbacks):
    award = make_award(world.school)
    client = token_client(world, "school_coordinator")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url("render-job-list"), {"kind": "certificate", "object_id": award.pk}, format="json"
        )
    assert response.status_code == 201
    job = response.json()
    assert (job["kind"], job["object_id"], job["state"], job["download"]) == (
        "certificate",
        award.pk,
        "queued",
        None,
    )
    done = client.get(url("render-job-detail", pk=job["id"])).json()
    assert done["state"] == "done" and done["pages"] == 1
    assert done["download"] == "http://testserver" + url("render-job-file", pk=job["id"])
    response = client.get(done["download"])
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="iqm-certificate-{world.school.pk}-{award.awarded_on:%Y}.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    # The same input again: the job already made.
    again = client.post(
        url("render-job-list"), {"kind": "certificate", "object_id": award.pk}, format="json"
    )
    assert (again.status_code, again.json()["id"]) == (200, job["id"])


def test_render_jobs_have_the_browsers_subject_checks(world):
    award = make_award(world.school)
    other = make_award(world.other_school)
    client = token_client(world, "school_coordinator")

    def ask(kind, object_id):
        return client.post(
            url("render-job-list"), {"kind": kind, "object_id": object_id}, format="json"
        )

    assert ask("certificate", other.pk).status_code == 404  # another school's
    assert ask("plaque", award.pk).status_code == 404  # the admin's artwork
    assert ask("certificate", 999999).status_code == 404
    refused = ask("summary", world.cycle.pk)  # not submitted yet
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("The self-review summary can be made once")
    assert ask("poster", award.pk).status_code == 400

    # Queued and never run: not ready to download.
    job = ask("certificate", award.pk).json()
    response = client.get(url("render-job-file", pk=job["id"]))
    assert (response.status_code, response.json()["code"]) == (409, "not_ready")
    # Once the award is withdrawn its certificate is no one's to have.
    with scopes_disabled():
        Award.objects.filter(pk=award.pk).update(withdrawn_at=timezone.now())
    for name in ("render-job-detail", "render-job-file"):
        response = client.get(url(name, pk=job["id"]))
        assert response.status_code == 403
        assert "withdrawn" in response.json()["detail"]
    # Another school's people do not find the job.
    stranger = token_client(world, "other_school_coordinator")
    assert stranger.get(url("render-job-detail", pk=job["id"])).status_code == 404


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_render_job_goes_through_redis_to_the_worker(world, worker):
    from .test_worker import wait_for

    award = make_award(world.school)
    client = token_client(world, "authority_admin")
    response = client.post(
        url("render-job-list"), {"kind": "plaque", "object_id": award.pk}, format="json"
    )
    assert response.status_code == 201
    job_url = url("render-job-detail", pk=response.json()["id"])
    assert wait_for(lambda: client.get(job_url).json()["state"] == "done", seconds=60)
    response = client.get(client.get(job_url).json()["download"])
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    with scope(authority=world.authority):
        assert RenderJob.objects.get().requested_by == world.people["authority_admin"]


# Cluster writes


def test_the_lead_runs_the_cluster_through_the_api(world):
    client = token_client(world, "school_coordinator")
    response = client.post(
        url("cluster-list"),
        {"lead_school": world.school.pk, "name": "Keynsham cluster"},
        format="json",
    )
    assert response.status_code == 201
    cluster = response.json()
    assert (cluster["name"], cluster["partners"], cluster["activities"]) == (
        "Keynsham cluster",
        [],
        [],
    )
    again = client.post(
        url("cluster-list"), {"lead_school": world.school.pk, "name": "Twice"}, format="json"
    )
    assert again.status_code == 400
    assert again.json()["errors"] == [
        {"field": None, "message": "This school already leads a cluster."}
    ]

    partners = url("cluster-partners", pk=cluster["id"])
    response = client.post(partners, {"urn": world.outsider_school.urn}, format="json")
    assert response.status_code == 201
    [foreign] = response.json()["partners"]
    assert (foreign["school"], foreign["name"]) == (None, "Outsider Academy")
    response = client.post(partners, {"urn": world.other_school.urn}, format="json")
    own = response.json()["partners"][1]
    assert (own["school"], own["name"]) == (world.other_school.pk, "Castle Primary")
    both = client.post(partners, {"urn": world.other_school.urn, "name": "X"}, format="json")
    assert both.status_code == 400
    assert both.json()["errors"][0]["message"].startswith("Give either the URN")
    twice = client.post(partners, {"urn": world.other_school.urn}, format="json")
    assert twice.json()["errors"] == [
        {"field": "urn", "message": "Castle Primary is already a partner."}
    ]

    activities = url("cluster-activities", pk=cluster["id"])
    meeting = {
        "kind": "meeting",
        "date": "2026-06-01",
        "title": "Summer meeting",
        "description": "Transition plans.",
        "attended_by": [own["id"]],
        "attendance": 9,
    }
    response = client.post(activities, meeting, format="json")
    assert response.status_code == 201
    [logged] = response.json()["activities"]
    assert (logged["title"], logged["attended_by"], logged["attendance"]) == (
        "Summer meeting",
        [own["id"]],
        9,
    )
    # Not a meeting: no attendance is kept.
    response = client.put(
        url("cluster-activity", pk=cluster["id"], activity_pk=logged["id"]),
        {**meeting, "kind": "collaboration", "title": "Lesson study"},
        format="json",
    )
    assert response.status_code == 200
    [changed] = response.json()["activities"]
    assert (changed["id"], changed["title"], changed["attended_by"], changed["attendance"]) == (
        logged["id"],
        "Lesson study",
        [],
        None,
    )
    missing = client.post(activities, {"kind": "meeting"}, format="json")
    assert missing.status_code == 400
    assert sorted(e["field"] for e in missing.json()["errors"]) == ["date", "description", "title"]

    response = client.delete(url("cluster-partner", pk=cluster["id"], partner_pk=foreign["id"]))
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["partners"]] == [own["id"]]
    gone = client.delete(url("cluster-partner", pk=cluster["id"], partner_pk=foreign["id"]))
    assert gone.status_code == 404
    # The school's contributor sees the cluster but does not run it.
    contributor = token_client(world, "school_contributor")
    refused = contributor.post(partners, {"name": "Longfields"}, format="json")
    assert refused.status_code == 403


def test_ids_out_of_any_range_are_not_found_not_server_errors(world, cluster):
    client = token_client(world, "authority_admin")
    huge = 10**20
    assert client.get(url("award-list"), {"school": huge}).json()["count"] == 0
    assert client.get(url("award-detail", pk=huge)).status_code == 404
    assert client.get(url("cluster-detail", pk=huge)).status_code == 404
    assert client.get(url("publication-detail", version=huge)).status_code == 404
    assert client.get(url("render-job-detail", pk=huge)).status_code == 404
    asked = client.post(
        url("render-job-list"), {"kind": "certificate", "object_id": huge}, format="json"
    )
    assert asked.status_code == 404
    started = client.post(url("cluster-list"), {"lead_school": huge, "name": "X"}, format="json")
    assert started.status_code == 404
    meeting = {
        "kind": "meeting",
        "date": "2026-06-01",
        "title": "T",
        "description": "D",
        "attended_by": [huge],
    }
    logged = client.post(url("cluster-activities", pk=cluster.pk), meeting, format="json")
    assert logged.status_code == 400
    assert client.get(url("award-list"), {"awarded_on_after": "soon"}).status_code == 400

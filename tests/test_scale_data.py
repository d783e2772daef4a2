"""The scale data (iqm_portal/scale): a small set made on the test database, with exact counts,
every state of the workflow, and its known people signing in to the pages a bench measures."""

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_scopes import scopes_disabled

from accounts.models import User
from assessments.models import Assignment, Cycle
from assessments.workflow import REVIEW_KINDS
from iqm_portal.scale import ScaleError, generate, second_factor_code, showcase_cases
from iqm_portal.scale.plan import PATHS, SHOWCASE, authority_sizes, story_counts
from schools.models import School

# The largest authority holds 21 of the 60 schools: room for the 17 showcase cases.
SIZE = {"authorities": 3, "schools": 60, "seed": 1}
SLUG = "scale-001"
Kind = Cycle.Kind


@pytest.fixture
def scale_data(db, time_machine):
    time_machine.move_to("2026-11-02 10:00:00+00:00", tick=False)
    return generate(**SIZE, say=lambda line: None)


def url(name, **kwargs):
    return reverse(name, kwargs={"authority_slug": SLUG, **kwargs})


def cases() -> dict:
    """The showcase's cycles by (kind, state)."""
    return {(c.kind, c.state): c for c in showcase_cases()}


def signed_in(local) -> Client:
    client = Client()
    with scopes_disabled():
        client.force_login(User.objects.get(email=f"{local}@{SLUG}.test"))
    return client


def test_the_national_shape_scales_down_in_proportion():
    assert authority_sizes(150, 24_000)[:3] == [600, 568, 539]
    assert authority_sizes(150, 24_000)[-1] == 63
    assert authority_sizes(150, 1000)[0] == 25
    assert sum(authority_sizes(150, 1000)) == 1000
    national, small = story_counts(24_000), story_counts(1000)
    assert national["initial"] == 3700 and national["outside"] == 14_060
    assert small["initial"] == 154 and sum(small.values()) == 1000


def test_the_data_has_exact_counts(scale_data):
    assert scale_data.counts == {
        "authorities.Authority": 3,
        "schools.Area": 6,
        "schools.School": 60,
        "accounts.User": 90,
        "accounts.Membership": 123,
        "assessments.Cycle": 34,
        "assessments.Answer": 250,
        "assessments.MentorReview": 180,
        "assessments.Target": 52,
        "portfolios.EvidenceItem": 556,
        "moderation.Visit": 15,
        "moderation.VisitNote": 74,
        "moderation.Report": 11,
        "reviews.Update": 59,
        "reviews.Ratification": 4,
        "moderation.Ballot": 32,
        "moderation.Decision": 8,
        "awards.Award": 54,
        "clusters.Cluster": 8,
        "workshops.Workshop": 6,
        "workshops.Booking": 59,
        "publishing.Publication": 3,
        "publishing.PublishedSchool": 18,
        "audit.AuditEntry": 2500,
    }
    assert scale_data.states == {
        "annual_update": 1,
        "decided": 8,
        "portfolio_submitted": 2,
        "ratified": 1,
        "ready_for_visit": 1,
        "registered": 3,
        "reported": 2,
        "self_review": 6,
        "submitted": 2,
        "update_submitted": 1,
        "validated": 3,
        "visit_planned": 2,
        "with_panel": 2,
    }
    assert scale_data.tiers == {"centre_of_excellence": 6, "flagship": 3, "quality_mark": 15}
    assert scale_data.largest == (SLUG, 21)
    with scopes_disabled():
        names = list(
            School.objects.filter(authority__slug=SLUG).order_by("urn").values_list("name")[:3]
        )
    assert names == [
        ("Marshford C of E Junior School",),
        ("Longbridge Academy",),
        ("Marshwood School",),
    ]


def test_every_state_of_the_workflow_is_there(scale_data):
    with scopes_disabled():
        found = set(Cycle.objects.values_list("kind", "state"))
    assert {state for _, state in found} == set(Cycle.State)
    assert {(Kind.INITIAL, state) for state in PATHS[Kind.INITIAL]} <= found
    assert set(PATHS[Kind.FLAGSHIP]) <= {state for kind, state in found if kind in REVIEW_KINDS}
    showcase = [(c.kind, c.state) for c in showcase_cases()]
    assert len(showcase) == len(SHOWCASE)
    assert [state for kind, state in showcase if kind == Kind.INITIAL] == PATHS[Kind.INITIAL]
    assert [state for kind, state in showcase if kind in REVIEW_KINDS] == PATHS[Kind.FLAGSHIP]


def test_it_is_written_as_the_application_under_row_level_security(scale_data, settings):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, relrowsecurity, relforcerowsecurity FROM pg_class "
            "WHERE relname = 'audit_auditentry'"
        )
        assert cursor.fetchone() == (settings.DATABASE_APP_ROLE, True, True)


def test_a_database_with_data_is_refused(scale_data):
    with pytest.raises(ScaleError, match="--reset"):
        generate(**SIZE, say=lambda line: None)


def test_a_known_person_signs_in_with_the_password_and_the_app_code(scale_data):
    client = Client()
    email = f"admin@{SLUG}.test"
    response = client.post(
        reverse("accounts:login"), {"username": email, "password": "iqm-demo-2026"}
    )
    assert response["Location"].startswith("/accounts/two-factor/")
    response = client.post("/accounts/two-factor/", {"code": second_factor_code(email)})
    assert response.status_code == 302
    assert client.get(f"/{SLUG}/").status_code == 200


def test_the_key_pages_render_for_the_known_people(scale_data):
    by_state = cases()
    initial = Cycle.Kind.INITIAL
    validated = by_state[initial, Cycle.State.VALIDATED]
    self_review = by_state[initial, Cycle.State.SELF_REVIEW]
    with scopes_disabled():
        given = Assignment.objects.filter(cycle=self_review).first()
    pages = {
        "coordinator": [
            url("dashboard"),
            url("assessments:cycle", cycle_pk=self_review.pk),
            url("assessments:plan", cycle_pk=validated.pk),
        ],
        "contributor": [
            url("assessments:element", cycle_pk=self_review.pk, element_pk=given.element_id)
        ],
        "mentor": [url("assessments:review", cycle_pk=by_state[initial, "submitted"].pk)],
        "chair": [url("moderation:queue"), url("overview:page")],
        "moderator": [
            url("moderation:visit", cycle_pk=by_state[initial, "visit_planned"].pk),
            url("moderation:report", cycle_pk=by_state[initial, "visit_planned"].pk),
        ],
        "panel": [url("moderation:panel", cycle_pk=by_state[initial, "with_panel"].pk)],
        "admin": [url("audit:log"), url("schools:list"), f"/{SLUG}/people/"],
    }
    for local, addresses in pages.items():
        client = signed_in(local)
        for address in addresses:
            assert (local, address, client.get(address).status_code) == (local, address, 200)
    portfolio = signed_in("coordinator").get(url("portfolios:portfolio", cycle_pk=validated.pk))
    assert portfolio.context["page"].paginator.count == 100
    panel = signed_in("panel").get(
        url("moderation:panel", cycle_pk=by_state[initial, "with_panel"].pk)
    )
    assert "vote" in panel.context["actions"]


def test_the_published_lists_and_the_directory_render(scale_data, client):
    assert client.get(f"/{SLUG}/awards/").status_code == 200
    listed = client.get(f"/{SLUG}/awards.json").json()
    assert sum(len(area["schools"]) for area in listed["areas"]) == 8
    assert client.get("/awards/").status_code == 200
    assert client.get("/awards/", {"q": "oak"}).status_code == 200


def test_the_command_refuses_too_small_a_size(db):
    with pytest.raises(Exception, match="needs at least 17"):
        call_command("generate_scale_data", authorities=10, schools=60)

"""The API's cycles, the self-review's answers and the mentor's review (api/cycles.py): what each
returns, the same refusals as the browser's pages, and queries that do not grow with the rows."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from accounts.models import User
from assessments.models import Answer, Cycle, MentorReview, Rating

from .api_isolation import token_client
from .assessment_helpers import complete_answer_data, complete_self_review, review_all
from .conftest import start_cycle_for
from .factories import AreaFactory, SchoolFactory
from .journey import advance

State = Cycle.State


def url(world, name, **kwargs):
    return reverse(f"api:{name}", kwargs={"authority_slug": world.authority.slug, **kwargs})


def call(world, who, method, address, data=None):
    client = token_client(world, who)
    if method == "get":
        return client.get(address)
    return client.generic(
        method.upper(), address, json.dumps(data or {}), content_type="application/json"
    )


def first_element(world):
    with scopes_disabled():
        return world.cycle.framework.elements.prefetch_related("descriptors").first()


# Listing and reading cycles


def more_cycles(world, count):
    """`count` more cycles of the world's authority, at new schools (one in another area)."""
    other_area = AreaFactory(authority=world.authority, name="Keynsham")
    made = []
    for n in range(count):
        school = SchoolFactory(
            authority=world.authority,
            area=other_area if n == 0 else world.area,
            name=f"School {n}",
        )
        made.append(start_cycle_for(world.authority, school, world.people["mentor"]))
    return made


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_list_filters_orders_and_pages(world):
    extra = more_cycles(world, 2)
    advance(world, State.SELF_REVIEW)
    with scopes_disabled():
        Cycle.objects.filter(pk=extra[1].pk).update(created_at=timezone.now() - timedelta(days=40))
    address = url(world, "cycle-list")
    admin = "authority_admin"
    # By school name (Chandag Infant, School 0, School 1), never the outsider's.
    assert ids(call(world, admin, "get", address)) == [world.cycle.pk, extra[0].pk, extra[1].pk]
    assert ids(call(world, admin, "get", f"{address}?state=self_review")) == [world.cycle.pk]
    assert ids(call(world, admin, "get", f"{address}?state=self_review&state=registered")) == [
        world.cycle.pk,
        extra[0].pk,
        extra[1].pk,
    ]
    assert ids(call(world, admin, "get", f"{address}?kind=flagship")) == []
    assert ids(call(world, admin, "get", f"{address}?school={world.school.pk}")) == [world.cycle.pk]
    area = extra[0].school.area_id
    assert ids(call(world, admin, "get", f"{address}?area={area}")) == [extra[0].pk]
    before = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert ids(call(world, admin, "get", f"{address}?created_before={before}")) == [extra[1].pk]
    assert ids(call(world, admin, "get", f"{address}?created_after={before}")) == [
        world.cycle.pk,
        extra[0].pk,
    ]
    today = timezone.localdate().isoformat()
    assert ids(call(world, admin, "get", f"{address}?submitted_after={today}")) == []
    assert ids(call(world, admin, "get", f"{address}?ordering=created_at")) == [
        extra[1].pk,
        world.cycle.pk,
        extra[0].pk,
    ]
    assert ids(call(world, admin, "get", f"{address}?ordering=-school__name")) == [
        extra[1].pk,
        extra[0].pk,
        world.cycle.pk,
    ]
    page = call(world, admin, "get", f"{address}?page_size=2&page=2").json()
    assert (page["count"], [r["id"] for r in page["results"]]) == (3, [extra[1].pk])
    # The other school's coordinator sees none of them; the mentor all three.
    assert ids(call(world, "other_school_coordinator", "get", address)) == []
    assert len(ids(call(world, "mentor", "get", address))) == 3
    bad = call(world, admin, "get", f"{address}?state=nonsense")
    assert (bad.status_code, bad["Content-Type"]) == (400, "application/problem+json")
    assert bad.json()["errors"][0]["field"] == "state"


def test_the_detail_has_history_and_the_callers_actions(world):
    advance(world, State.SUBMITTED)
    response = call(
        world, "school_coordinator", "get", url(world, "cycle-detail", pk=world.cycle.pk)
    )
    assert response.status_code == 200
    body = response.json()
    assert body["school"] == {"id": world.school.pk, "name": "Chandag Infant"}
    assert body["mentor"] == {"id": world.people["mentor"].pk, "name": "Mentor"}
    assert (body["kind"], body["state"], body["state_label"]) == (
        "initial",
        "submitted",
        "With the mentor",
    )
    assert body["submitted_at"] is not None and body["validated_at"] is None
    assert [(e["event"], e["from_state"], e["to_state"]) for e in body["history"]] == [
        ("registered", "registered", "registered"),
        ("self_review_started", "registered", "self_review"),
        ("submitted", "self_review", "submitted"),
    ]
    assert body["history"][0]["by"] is None  # registered by the fixture, with no one signed in
    assert body["history"][2]["by"] == {
        "id": world.people["head_teacher"].pk,
        "name": "Head teacher",
    }
    assert body["history"][2]["label"] == "submit the self-review"
    # With the mentor: the school may add evidence, comment and plan; the mentor reviews.
    assert body["actions"] == ["plan_targets", "add_evidence", "comment_evidence"]
    mentor = call(world, "mentor", "get", url(world, "cycle-detail", pk=world.cycle.pk)).json()
    assert mentor["actions"] == ["review", "return", "validate", "plan_targets", "comment_evidence"]


@pytest.mark.parametrize("who", ["authority_admin", "mentor", "school_coordinator"])
def test_a_lists_row_is_the_cycles_detail_without_its_history(world, who):
    """The list reads only the columns it writes of the school, mentor and framework: it writes what
    the detail does."""
    advance(world, State.VISIT_PLANNED)
    [row] = call(world, who, "get", url(world, "cycle-list")).json()["results"]
    detail = call(world, who, "get", url(world, "cycle-detail", pk=world.cycle.pk)).json()
    assert detail.pop("history")
    assert row == detail


@pytest.mark.parametrize("route", ["cycle-list", "cycle-detail"])
def test_a_person_with_no_full_name_is_named_by_their_email(world, route):
    """A cycle reads its mentor's name as SQL (User.name_at): what str() gives, the email when the
    full name is empty."""
    mentor = world.people["mentor"]
    User.objects.filter(pk=mentor.pk).update(full_name="")
    kwargs = {"pk": world.cycle.pk} if route == "cycle-detail" else {}
    body = call(world, "authority_admin", "get", url(world, route, **kwargs)).json()
    [row] = body["results"] if route == "cycle-list" else [body]
    assert row["mentor"] == {"id": mentor.pk, "name": mentor.email}
    mentor.refresh_from_db()
    assert str(mentor) == mentor.email


def test_the_list_is_counted_on_the_cycles_alone(world):
    """The names a row shows of its school, mentor and framework are read with the page (`shown`),
    not joined into the count."""
    client = token_client(world, "authority_admin")
    address = url(world, "cycle-list")
    client.get(address)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(address).json()["count"] == 1
    [count] = [q["sql"] for q in queries.captured_queries if "COUNT(*)" in q["sql"]]
    assert "JOIN" not in count


def test_the_history_shows_only_the_workflows_steps(world):
    """No ballot (who voted, before the decision), evidence or element given shows in it."""
    advance(world, State.WITH_PANEL)
    address = url(world, "cycle-detail", pk=world.cycle.pk)
    events = [e["event"] for e in call(world, "head_teacher", "get", address).json()["history"]]
    assert events == [
        "registered",
        "self_review_started",
        "submitted",
        "validated",
        "portfolio_submitted",
        "ready_for_visit",
        "visit_planned",
        "reported",
        "with_panel",
    ]


# The authority, the token, the memberships, the count, the page (with the school, mentor and
# framework), and in one query who moderates, voted, is conflicted or was given elements on the
# page's cycles.
LIST_QUERIES = 6


@pytest.mark.parametrize("who", ["authority_admin", "mentor", "school_coordinator"])
def test_the_list_costs_the_same_for_one_cycle_or_many(world, who, django_assert_num_queries):
    advance(world, State.VISIT_PLANNED)  # a visit and its moderators to read
    address = url(world, "cycle-list")
    client = token_client(world, who)
    client.get(address)  # the token's first use is recorded once
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(address).json()["results"]) == 1
    more_cycles(world, 3)
    seen = 1 if who == "school_coordinator" else 4
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(address).json()["results"]) == seen
    with django_assert_num_queries(LIST_QUERIES):
        assert len(client.get(f"{address}?page_size=2").json()["results"]) == min(seen, 2)


# The authority, the token, the memberships, the cycle the caller may see, the cycle with its
# framework, its answers (with who saved each); the mentor's review reads the mentor's reviews as
# well. The framework's elements and statements are kept in the cache since the submission read
# them (assessments.domain.elements_of).
ANSWERS_QUERIES, REVIEWS_QUERIES = 6, 7


@pytest.mark.parametrize(
    "who, route, expected",
    [
        ("school_coordinator", "cycle-answer-list", ANSWERS_QUERIES),
        ("mentor", "cycle-mentor-review-list", REVIEWS_QUERIES),
    ],
)
def test_the_answers_and_reviews_cost_the_same_whatever_the_page_size(
    world, who, route, expected, django_assert_num_queries
):
    advance(world, State.SUBMITTED)
    address = url(world, route, cycle_pk=world.cycle.pk)
    client = token_client(world, who)
    client.get(address)  # the token's first use is recorded once
    for size in (1, 3, 10):
        with django_assert_num_queries(expected):
            assert len(client.get(f"{address}?page_size={size}").json()["results"]) == size


# Registration


def register(world, who="authority_admin", **data):
    data = {
        "school": world.other_school.pk,
        "kind": "initial",
        "mentor": world.people["mentor"].pk,
    } | data
    return call(world, who, "post", url(world, "cycle-list"), data)


def errors(response):
    assert response["Content-Type"] == "application/problem+json"
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_the_admin_registers_a_school(world):
    response = register(world)
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["school"]["id"], body["state"], body["mentor"]["id"]) == (
        world.other_school.pk,
        "registered",
        world.people["mentor"].pk,
    )
    assert [e["event"] for e in body["history"]] == ["registered"]
    assert body["history"][0]["by"]["id"] == world.people["authority_admin"].pk


def test_registration_refusals(world):
    # Under way already: a conflict.
    under_way = register(world, school=world.school.pk)
    assert (under_way.status_code, under_way.json()["code"]) == (409, "illegal_transition")
    assert under_way.json()["detail"] == "This school already has an assessment under way."
    # Not a mentor, not a school of this authority, not a kind this school may have.
    not_mentor = register(world, mentor=world.people["moderator"].pk)
    assert not_mentor.status_code == 400 and list(errors(not_mentor)) == ["mentor"]
    not_ours = register(world, school=world.outsider_school.pk)
    assert not_ours.status_code == 400 and list(errors(not_ours)) == ["school"]
    review = register(world, kind="flagship")
    assert review.status_code == 400
    assert errors(review) == {"kind": "Castle Primary cannot be registered for this kind now."}
    missing = call(world, "authority_admin", "post", url(world, "cycle-list"), {})
    assert missing.status_code == 400 and set(errors(missing)) == {"school", "kind", "mentor"}
    refused = register(world, who="panel_chair")
    assert (refused.status_code, refused.json()["detail"]) == (
        403,
        "Only an authority admin registers a school.",
    )
    with scopes_disabled():
        assert Cycle.objects.filter(school=world.other_school).count() == 0


# The self-review's answers


def test_answers_list_every_element_with_the_schools_answer(world):
    complete_self_review(world)
    response = call(
        world, "mentor", "get", url(world, "cycle-answer-list", cycle_pk=world.cycle.pk)
    )
    rows = response.json()["results"]
    assert [r["element"]["number"] for r in rows] == list(range(1, 11))
    element = first_element(world)
    first = rows[0]
    assert (first["status"], first["version"], first["rating"]) == ("complete", 1, 3)
    assert first["practice"] == "What we do for element 1."
    assert first["updated_by"] == {
        "id": world.people["school_coordinator"].pk,
        "name": "School coordinator",
    }
    assert [(s["id"], s["rating"]) for s in first["statements"]] == [
        (d.pk, 3) for d in element.descriptors.all()
    ]
    assert first["ratings"] == {str(d.pk): 3 for d in element.descriptors.all()}


def test_an_answer_is_saved_with_its_version(world):
    element = first_element(world)
    address = url(world, "cycle-answer-detail", cycle_pk=world.cycle.pk, element_pk=element.pk)
    data = complete_answer_data(element, Rating.EMBEDDED) | {"version": 0}
    data["ratings"] = {str(k): v for k, v in data["ratings"].items()}
    saved = call(world, "school_coordinator", "put", address, data)
    assert saved.status_code == 200, saved.content
    assert (saved.json()["version"], saved.json()["rating"], saved.json()["status"]) == (
        1,
        4,
        "complete",
    )
    with scopes_disabled():
        world.cycle.refresh_from_db()
        assert world.cycle.state == State.SELF_REVIEW  # the first save starts the self-review
    # Someone saved since version 0 was read: 409 with the answer as it is now.
    stale = call(world, "head_teacher", "put", address, data | {"practice": "Mine."})
    assert (stale.status_code, stale.json()["code"]) == (409, "stale_version")
    assert (stale.json()["current"]["version"], stale.json()["current"]["practice"]) == (
        1,
        "What we do for element 1.",
    )
    # Validation: the page's own messages, a statement's under ratings.<id>.
    bad = call(
        world,
        "school_coordinator",
        "put",
        address,
        {"version": 1, "ratings": {"999999": 2}, "practice": "x" * 5001},
    )
    assert bad.status_code == 400
    assert errors(bad) == {
        "ratings.999999": "This statement is not part of this element.",
        "practice": "Keep this to 5,000 characters or fewer (it has 5,001).",
    }
    assert errors(
        call(world, "school_coordinator", "put", address, {"version": 1, "rating": 7})
    ) == {"rating": '"7" is not a valid choice.'}
    with scopes_disabled():
        assert Answer.objects.get(cycle=world.cycle, element=element).version == 1


def test_a_contributor_saves_only_what_they_are_given(world):
    advance(world, State.SELF_REVIEW)  # element 1 given to the contributor
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all()[:2])
        versions = {a.element_id: a.version for a in world.cycle.answers.all()}
    for element, expected in [(elements[0], 200), (elements[1], 403)]:
        address = url(world, "cycle-answer-detail", cycle_pk=world.cycle.pk, element_pk=element.pk)
        response = call(
            world,
            "school_contributor",
            "put",
            address,
            {"version": versions[element.pk], "rating": 1, "practice": "Ours."},
        )
        assert response.status_code == expected, response.content
    assert (
        response.json()["detail"]
        == "You can edit only the elements your coordinator has given you."
    )


def test_a_submitted_self_review_cannot_be_changed(world):
    advance(world, State.SUBMITTED)
    element = first_element(world)
    address = url(world, "cycle-answer-detail", cycle_pk=world.cycle.pk, element_pk=element.pk)
    response = call(
        world, "school_coordinator", "put", address, {"version": 1, "practice": "Late."}
    )
    assert (response.status_code, response.json()["code"]) == (409, "illegal_transition")
    assert response.json()["detail"] == (
        "The self-review has been submitted to the mentor: it can be read but not changed."
    )
    other = url(world, "cycle-answer-detail", cycle_pk=world.cycle.pk, element_pk=999999)
    assert call(world, "school_coordinator", "get", other).status_code == 404


# The steps and the mentor's review


def test_from_self_review_to_validation(world):
    cycle = url(world, "cycle-detail", pk=world.cycle.pk)
    submit_url = url(world, "cycle-submit", pk=world.cycle.pk)
    early = call(world, "school_coordinator", "post", submit_url)
    assert (early.status_code, early.json()["code"]) == (409, "illegal_transition")
    complete_self_review(world)
    submitted = call(world, "school_coordinator", "post", submit_url)
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["state"] == "submitted"
    assert submitted.json()["history"][-1]["event"] == "submitted"

    reviews = url(world, "cycle-mentor-review-list", cycle_pk=world.cycle.pk)
    # Drafts: the school does not see the mentor's review before validation.
    assert call(world, "school_coordinator", "get", reviews).status_code == 403
    no_comment = call(world, "mentor", "post", url(world, "cycle-return", pk=world.cycle.pk))
    assert no_comment.status_code == 400
    assert errors(no_comment) == {
        "comment": "Tell the school what to change before returning the self-review."
    }
    validate_url = url(world, "cycle-validate", pk=world.cycle.pk)
    undecided = call(world, "mentor", "post", validate_url)
    assert undecided.status_code == 409
    assert undecided.json()["detail"].startswith("Agree or adjust the rating of every element")

    element = first_element(world)
    one = url(world, "cycle-mentor-review-detail", cycle_pk=world.cycle.pk, element_pk=element.pk)
    adjusted = call(world, "mentor", "put", one, {"rating": 2, "comment": "Not yet whole-school."})
    assert adjusted.status_code == 200, adjusted.content
    assert (adjusted.json()["rating"], adjusted.json()["decision"]) == (2, "adjusted")
    assert call(world, "school_coordinator", "put", one, {"agree": True}).status_code == 403
    agreed = call(
        world,
        "mentor",
        "post",
        url(world, "cycle-mentor-review-agree-with-remaining", cycle_pk=world.cycle.pk),
    )
    assert agreed.status_code == 200
    with scopes_disabled():
        others = [e.pk for e in world.cycle.framework.elements.all()][1:]
    assert agreed.json()["agreed"] == others
    assert [r["decision"] for r in agreed.json()["reviews"]] == ["adjusted"] + ["agreed"] * 9
    validated = call(world, "mentor", "post", validate_url)
    assert (validated.status_code, validated.json()["state"]) == (200, "validated")
    # Validated: the school reads the mentor's review.
    seen = call(world, "school_coordinator", "get", reviews).json()["results"]
    assert (seen[0]["rating"], seen[0]["comment"]) == (2, "Not yet whole-school.")
    school = call(world, "school_coordinator", "get", cycle).json()
    assert [e["event"] for e in school["history"]] == [
        "registered",
        "self_review_started",
        "submitted",
        "validated",
    ]


def test_the_mentor_returns_the_self_review(world):
    advance(world, State.SUBMITTED)
    with scope(authority=world.authority):
        review_all(world)
    returned = call(
        world,
        "mentor",
        "post",
        url(world, "cycle-return", pk=world.cycle.pk),
        {"comment": "Say more about element 3."},
    )
    assert returned.status_code == 200
    body = returned.json()
    assert (body["state"], body["return_comment"]) == ("self_review", "Say more about element 3.")
    assert (
        "submit"
        in call(world, "head_teacher", "get", url(world, "cycle-detail", pk=world.cycle.pk)).json()[
            "actions"
        ]
    )
    with scopes_disabled():
        assert MentorReview.objects.filter(cycle=world.cycle).count() == 10  # kept
    again = call(
        world, "mentor", "post", url(world, "cycle-return", pk=world.cycle.pk), {"comment": "x"}
    )
    assert again.status_code == 409


def test_a_read_only_token_takes_no_step(world):
    complete_self_review(world)
    client = token_client(world, "school_coordinator", can_write=False)
    response = client.post(url(world, "cycle-submit", pk=world.cycle.pk))
    assert (response.status_code, response.json()["detail"]) == (403, "This token can only read.")
    with scopes_disabled():
        world.cycle.refresh_from_db()
    assert world.cycle.state == State.SELF_REVIEW


@pytest.mark.parametrize(
    "body", [[], "text", 7, None, {"version": "x", "ratings": [1], "school": "x", "agree": "x"}]
)
def test_bodies_of_the_wrong_shape_are_a_400(world, body):
    advance(world, State.SUBMITTED)
    element = first_element(world)
    for who, method, route, kwargs in [
        ("authority_admin", "post", "cycle-list", {}),
        ("school_coordinator", "put", "cycle-answer-detail", {"element_pk": element.pk}),
        ("mentor", "put", "cycle-mentor-review-detail", {"element_pk": element.pk}),
        ("mentor", "post", "cycle-return", {}),
    ]:
        kwargs = kwargs | ({"pk": world.cycle.pk} if route.startswith("cycle-r") else {})
        if "element_pk" in kwargs:
            kwargs["cycle_pk"] = world.cycle.pk
        client = token_client(world, who)
        address = url(world, route, **kwargs)
        response = client.generic(
            method.upper(), address, json.dumps(body), content_type="application/json"
        )
        assert response.status_code == 400, (route, body, response.content)

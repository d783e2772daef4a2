"""The API's action plan, element assignments, and a review's annual update, ratification and
development plan (api/plans.py): what each write returns and refuses, and query counts (who may
read and write each route is the matrix's, tests/api_isolation.py)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from assessments.models import Assignment, Cycle, Target
from reviews.models import Priority, Ratification

from .api_isolation import token_client
from .factories import MembershipFactory, UserFactory
from .journey import advance

State = Cycle.State
REVIEW = Cycle.Kind.CENTRE_OF_EXCELLENCE


def _url(world, name, **kwargs):
    return reverse(f"api:{name}", kwargs={"authority_slug": world.authority.slug, **kwargs})


# The action plan


def _target_data(world, **changes):
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=2)
    return {
        "element": element.pk,
        "action": "Run a parents' forum each term.",
        "lead": world.people["school_contributor"].pk,
        "deadline": "2027-07-01",
        "success_criteria": "Three forums, minutes shared.",
        **changes,
    }


def test_the_mentor_adds_a_target_and_gets_it_back(world):
    client = token_client(world, "mentor")
    response = client.post(
        _url(world, "target-list", cycle_pk=world.cycle.pk), _target_data(world), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    with scopes_disabled():
        target = Target.objects.get(pk=body["id"])
    assert body == {
        "id": target.pk,
        "element": target.element_id,
        "action": "Run a parents' forum each term.",
        "lead": world.people["school_contributor"].pk,
        "lead_name": str(world.people["school_contributor"]),
        "lead_note": "",
        "deadline": "2027-07-01",
        "success_criteria": "Three forums, minutes shared.",
        "status": "not_started",
        "created_at": body["created_at"],
    }


def test_the_lead_is_a_person_of_the_school(world):
    """Someone of the authority who has no role at the school cannot lead its target."""
    client = token_client(world, "school_coordinator")
    url = _url(world, "target-list", cycle_pk=world.cycle.pk)
    for stranger in (world.people["mentor"], world.others["other_school_coordinator"]):
        response = client.post(url, _target_data(world, lead=stranger.pk), format="json")
        assert response.status_code == 400
        assert response["Content-Type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == ["lead"]
    with scopes_disabled():
        assert not Target.objects.exists()


def test_an_element_of_another_framework_is_refused(world):
    with scopes_disabled():
        foreign = world.outsider_cycle.framework.elements.first()
    response = token_client(world, "school_coordinator").post(
        _url(world, "target-list", cycle_pk=world.cycle.pk),
        _target_data(world, element=foreign.pk),
        format="json",
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["element"]


def test_a_target_changes_and_its_free_text_lead_is_replaced(world):
    with scopes_disabled():
        target = Target.objects.create(
            cycle=world.cycle,
            element=world.cycle.framework.elements.first(),
            action="Act",
            lead_note="Mrs Lee",
            deadline=date(2027, 1, 1),
            success_criteria="Done",
        )
    client = token_client(world, "head_teacher")
    url = _url(world, "target-detail", cycle_pk=world.cycle.pk, pk=target.pk)
    refused = client.patch(url, {"status": "at_risk"}, format="json")
    assert refused.status_code == 400  # no lead chosen yet
    assert [e["field"] for e in refused.json()["errors"]] == ["lead"]
    lead = world.people["school_coordinator"]
    response = client.patch(url, {"status": "at_risk", "lead": lead.pk}, format="json")
    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {
        "id": target.pk,
        "element": target.element_id,
        "action": "Act",
        "lead": lead.pk,
        "lead_name": str(lead),
        "lead_note": "",
        "deadline": "2027-01-01",
        "success_criteria": "Done",
        "status": "at_risk",
        "created_at": None,
    }
    full = {**_target_data(world), "status": "done"}
    assert client.put(url, full, format="json").json()["status"] == "done"


def test_a_review_has_no_action_plan_to_write(world):
    advance(world, State.REGISTERED, REVIEW)
    response = token_client(world, "school_coordinator").post(
        _url(world, "target-list", cycle_pk=world.cycle.pk), _target_data(world), format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def _targets(world, n):
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all())
        for i in range(n):
            Target.objects.create(
                cycle=world.cycle,
                element=elements[i % len(elements)],
                action=f"Action {i}",
                lead=world.people["head_teacher"] if i % 2 else world.people["school_contributor"],
                deadline=date(2027, 1, 1) + timedelta(days=i),
                success_criteria="Done",
                status="done" if i % 3 == 0 else "on_track",
            )


def test_the_plan_filters_and_orders(world):
    _targets(world, 6)
    client = token_client(world, "school_contributor")
    url = _url(world, "target-list", cycle_pk=world.cycle.pk)
    body = client.get(url).json()
    assert body["count"] == 6
    done = client.get(url, {"status": "done"}).json()["results"]
    assert [t["action"] for t in done] == ["Action 0", "Action 3"]
    window = client.get(
        url,
        {"deadline_after": "2027-01-02", "deadline_before": "2027-01-04", "ordering": "-deadline"},
    ).json()["results"]
    assert [t["deadline"] for t in window] == ["2027-01-04", "2027-01-03", "2027-01-02"]
    lead = world.people["head_teacher"].pk
    assert {t["lead"] for t in client.get(url, {"lead": lead}).json()["results"]} == {lead}
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=2)
    found = client.get(url, {"element": element.pk}).json()["results"]
    assert [t["action"] for t in found] == ["Action 1"]
    bad = client.get(url, {"deadline_after": "soon"})
    assert bad.status_code == 400


@pytest.mark.parametrize("rows, page_size", [(1, 50), (4, 50), (4, 2)])
def test_the_plan_costs_the_same_however_long(world, django_assert_num_queries, rows, page_size):
    _targets(world, rows)
    client = token_client(world, "mentor")
    url = _url(world, "target-list", cycle_pk=world.cycle.pk)
    client.get(url)  # the token's first use is recorded once
    # The token, its person, the memberships, the cycle, the count and the page.
    with django_assert_num_queries(6):
        response = client.get(url, {"page_size": page_size})
    assert len(response.json()["results"]) == min(rows, page_size)


# Element assignments


def test_the_coordinator_gives_and_takes_back_an_element(world):
    client = token_client(world, "school_coordinator")
    url = _url(world, "assignment-list", cycle_pk=world.cycle.pk)
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=3)
    contributor = world.people["school_contributor"]
    data = {"element": element.pk, "person": contributor.pk}
    response = client.post(url, data, format="json")
    assert response.status_code == 201
    assignment_pk = response.json()["id"]
    assert response.json() == {
        "id": assignment_pk,
        "element": element.pk,
        "person": contributor.pk,
        "person_name": str(contributor),
    }
    again = client.post(url, data, format="json")
    assert again.status_code == 400
    assert again.json()["errors"] == [
        {"field": "person", "message": "This element is already given to them."}
    ]
    head = client.post(url, data | {"person": world.people["head_teacher"].pk}, format="json")
    assert head.status_code == 400  # only a contributor is given elements
    assert client.get(url, {"person": contributor.pk}).json()["count"] == 1
    assert client.get(url, {"person": world.people["head_teacher"].pk}).json()["count"] == 0
    taken = client.delete(
        _url(world, "assignment-detail", cycle_pk=world.cycle.pk, pk=assignment_pk)
    )
    assert taken.status_code == 204
    with scopes_disabled():
        assert not Assignment.objects.filter(pk=assignment_pk).exists()


def test_once_submitted_elements_are_not_given(world):
    advance(world, State.SUBMITTED)
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=3)
    response = token_client(world, "school_coordinator").post(
        _url(world, "assignment-list", cycle_pk=world.cycle.pk),
        {"element": element.pk, "person": world.people["school_contributor"].pk},
        format="json",
    )
    assert response.status_code == 409
    assert "with the mentor" in response.json()["detail"]


@pytest.mark.parametrize("rows, page_size", [(1, 50), (4, 50), (4, 2)])
def test_the_assignments_cost_the_same_however_many(
    world, django_assert_num_queries, rows, page_size
):
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all())
        for i in range(rows):
            person = UserFactory()
            MembershipFactory(
                authority=world.authority,
                user=person,
                role="school_contributor",
                school=world.school,
            )
            Assignment.objects.create(cycle=world.cycle, element=elements[i], person=person)
    client = token_client(world, "head_teacher")
    url = _url(world, "assignment-list", cycle_pk=world.cycle.pk)
    client.get(url)
    # The token, its person, the memberships, the cycle, the count and the page.
    with django_assert_num_queries(6):
        response = client.get(url, {"page_size": page_size})
    assert len(response.json()["results"]) == min(rows, page_size)


# The annual update


def test_the_update_is_saved_with_its_version_and_a_stale_save_gets_the_current(world):
    advance(world, State.REGISTERED, REVIEW)
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=1)
    url = _url(world, "annual-update-detail", cycle_pk=world.cycle.pk, element_pk=element.pk)
    head = token_client(world, "head_teacher")
    before = head.get(url).json()
    assert before | {"title": None} == {
        "element": element.pk,
        "number": 1,
        "title": None,
        "status": "not_started",
        "version": 0,
        "progress": "",
        "plans": "",
        "updated_by": None,
        "updated_at": None,
    }
    saved = head.put(url, {"version": 0, "progress": "Grown.", "plans": ""}, format="json")
    assert saved.status_code == 200
    assert saved.json()["version"] == 1
    assert saved.json()["status"] == "in_progress"
    assert saved.json()["updated_by"] == world.people["head_teacher"].pk
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.ANNUAL_UPDATE  # the first save starts it
    coordinator = token_client(world, "school_coordinator")
    stale = coordinator.put(url, {"version": 0, "progress": "Mine.", "plans": "x"}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["current"]["progress"] == "Grown."
    assert stale.json()["current"]["version"] == 1
    done = coordinator.put(url, {"version": 1, "progress": "Mine.", "plans": "x"}, format="json")
    assert done.json()["status"] == "complete"
    too_long = coordinator.put(url, {"version": 2, "progress": "x" * 5001}, format="json")
    assert too_long.status_code == 400
    assert [e["field"] for e in too_long.json()["errors"]] == ["progress"]


def test_an_assessment_has_no_annual_update(world):
    client = token_client(world, "head_teacher")
    assert client.get(_url(world, "annual-update-list", cycle_pk=world.cycle.pk)).status_code == 404
    assert client.post(_url(world, "submit-update", cycle_pk=world.cycle.pk)).status_code == 404


def test_the_update_is_submitted_once_complete(world):
    advance(world, State.REGISTERED, REVIEW)
    client = token_client(world, "school_coordinator")
    submit = _url(world, "submit-update", cycle_pk=world.cycle.pk)
    with scopes_disabled():
        first = world.cycle.framework.elements.first()
    one = _url(world, "annual-update-detail", cycle_pk=world.cycle.pk, element_pk=first.pk)
    client.put(one, {"version": 0, "progress": "Grown.", "plans": "More."}, format="json")
    early = client.post(submit)
    assert early.status_code == 409
    assert "still to do" in early.json()["detail"]
    with scope(authority=world.authority):
        from .journey import write_update

        write_update(world, world.cycle)
    response = client.post(submit)
    assert response.status_code == 200
    assert response.json() | {"submitted_at": None} == {
        "id": world.cycle.pk,
        "kind": "centre_of_excellence",
        "state": "update_submitted",
        "submitted_at": None,
    }
    with scopes_disabled():
        element = world.cycle.framework.elements.first()
    late = client.put(
        _url(world, "annual-update-detail", cycle_pk=world.cycle.pk, element_pk=element.pk),
        {"version": 1, "progress": "Late."},
        format="json",
    )
    assert late.status_code == 409


@pytest.mark.parametrize(
    "state, page_size",
    [(State.REGISTERED, 50), (State.ANNUAL_UPDATE, 50), (State.ANNUAL_UPDATE, 3)],
)
def test_the_update_costs_the_same_written_or_not(
    world, django_assert_num_queries, state, page_size
):
    advance(world, state, REVIEW)  # nothing written, or every element
    client = token_client(world, "mentor")
    url = _url(world, "annual-update-list", cycle_pk=world.cycle.pk)
    client.get(url)
    # The token, its person, the memberships, the cycle, the updates and the elements.
    with django_assert_num_queries(6):
        response = client.get(url, {"page_size": page_size})
    body = response.json()
    assert body["count"] == 10
    assert len(body["results"]) == min(10, page_size)
    written = "complete" if state == State.ANNUAL_UPDATE else "not_started"
    assert {row["status"] for row in body["results"]} == {written}


# The ratification and the development plan


def _judged(world):
    with scopes_disabled():
        return [
            {"element": e.pk, "judgement": "ratified", "comment": "Seen."}
            for e in world.cycle.framework.elements.all()
        ]


def test_the_moderator_writes_signs_and_then_everyone_reads_it(world):
    advance(world, State.VISIT_PLANNED, REVIEW)
    url = _url(world, "ratification", cycle_pk=world.cycle.pk)
    moderator = token_client(world, "moderator")
    draft = moderator.get(url).json()
    assert draft["version"] == 1
    assert len(draft["progress"]) == 10
    assert [p["action"] for p in draft["priorities"]] == ["Share the tracking with the cluster."]
    lead = token_client(world, "school_coordinator")
    assert lead.get(url).status_code == 403  # a draft: the visit's and the admin's
    assert lead.put(url, {"version": 1}, format="json").status_code == 403
    data = {
        "version": 1,
        "summary": "Strong.",
        "recommendation": "renew",
        "progress": _judged(world),
    }
    saved = moderator.put(url, data, format="json")
    assert saved.status_code == 200
    assert saved.json()["version"] == 2
    assert saved.json()["summary"] == "Strong."
    stale = moderator.put(url, data | {"summary": "Mine."}, format="json")
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version"
    assert stale.json()["current"]["summary"] == "Strong."
    signed = moderator.post(_url(world, "ratify", cycle_pk=world.cycle.pk))
    assert signed.status_code == 200
    assert signed.json()["signed_by"] == [world.people["moderator"].pk]
    assert signed.json()["ratified_at"]
    world.cycle.refresh_from_db()
    assert world.cycle.state == State.RATIFIED
    assert lead.get(url).json()["summary"] == "Strong."
    assert moderator.put(url, data | {"version": 2}, format="json").status_code == 409


def test_a_new_draft_reads_version_0_and_is_begun_on_first_save(world):
    advance(world, State.UPDATE_SUBMITTED, REVIEW)
    with scope(authority=world.authority):
        from moderation import domain as moderation

        moderation.plan_visit(
            cycle=world.cycle,
            by=world.people["panel_chair"],
            moderators=[world.people["moderator"]],
            visit_date=timezone.localdate() + timedelta(days=1),
        )
    url = _url(world, "ratification", cycle_pk=world.cycle.pk)
    moderator = token_client(world, "moderator")
    assert moderator.get(url).json() == {
        "version": 0,
        "summary": "",
        "recommendation": "",
        "progress": [],
        "priorities": [],
        "signed_by": [],
        "ratified_at": None,
    }
    assert token_client(world, "authority_admin").get(url).status_code == 404  # none yet
    unsigned = moderator.post(_url(world, "ratify", cycle_pk=world.cycle.pk))
    assert unsigned.status_code == 409
    assert "Judge the progress of every element" in unsigned.json()["detail"]
    bad = moderator.put(url, {"version": 0, "recommendation": "maybe"}, format="json")
    assert bad.status_code == 400
    assert [e["field"] for e in bad.json()["errors"]] == ["recommendation"]
    saved = moderator.put(url, {"version": 0, "summary": "Begun."}, format="json")
    assert saved.json()["version"] == 1
    with scopes_disabled():
        assert Ratification.objects.get(cycle=world.cycle).summary == "Begun."


def test_a_priority_is_agreed_and_removed(world):
    advance(world, State.VISIT_PLANNED, REVIEW)
    moderator = token_client(world, "moderator")
    url = _url(world, "priority-list", cycle_pk=world.cycle.pk)
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=4)
    data = {
        "element": element.pk,
        "action": "Open the library to the cluster.",
        "lead": "The librarian",
        "by_when": (timezone.localdate() + timedelta(days=30)).isoformat(),
    }
    response = moderator.post(url, data, format="json")
    assert response.status_code == 201
    assert response.json() == {"id": response.json()["id"], **data}
    past = moderator.post(url, data | {"by_when": "2020-01-01"}, format="json")
    assert past.status_code == 400
    assert [e["field"] for e in past.json()["errors"]] == ["by_when"]
    assert moderator.get(url).json()["count"] == 2
    gone = moderator.delete(
        _url(world, "priority-detail", cycle_pk=world.cycle.pk, pk=response.json()["id"])
    )
    assert gone.status_code == 204
    with scopes_disabled():
        assert Priority.objects.filter(ratification__cycle=world.cycle).count() == 1


@pytest.mark.parametrize("rows, page_size", [(1, 50), (4, 50), (4, 2)])
def test_the_development_plan_costs_the_same_however_long(
    world, django_assert_num_queries, rows, page_size
):
    advance(world, State.VISIT_PLANNED, REVIEW)  # one priority agreed
    with scopes_disabled():
        ratification = Ratification.objects.get(cycle=world.cycle)
        for i in range(rows - 1):
            Priority.objects.create(
                ratification=ratification,
                element=world.cycle.framework.elements.get(number=i + 2),
                action=f"Action {i}",
                lead="Lee",
                by_when=timezone.localdate(),
            )
    client = token_client(world, "moderator")
    url = _url(world, "priority-list", cycle_pk=world.cycle.pk)
    client.get(url)
    # The token, its person, the memberships, the cycle, the ratification (with its signatures,
    # progress and priorities, read as the page does), the visit's moderators, the count, the page.
    with django_assert_num_queries(10):
        response = client.get(url, {"page_size": page_size})
    assert len(response.json()["results"]) == min(rows, page_size)

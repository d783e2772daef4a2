"""Visit notes written without signal (issue 13, item 4): a note carries the id the page gave it,
and however often it is sent, the portal keeps it once. The browser side (the queue, the service
worker) is tests/browser/test_offline_notes.py."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_scopes import scope, scopes_disabled

from assessments.models import Cycle
from awards.models import Tier
from moderation import domain
from moderation.models import Outcome, Report, VisitNote

from .conftest import start_cycle_for
from .journey import advance

State = Cycle.State
NOTE = {"kind": "pupils", "who": "School council", "notes": "They know the buddy bench."}


@pytest.fixture
def cycle(world):
    return advance(world, State.VISIT_PLANNED)


def send(client, cycle, client_id, authority="bathnes", **fields):
    return client.post(
        reverse("moderation:send_note", args=[authority, cycle.pk]),
        {**NOTE, "client_id": str(client_id), **fields},
    )


def saved(cycle):
    with scopes_disabled():
        return list(
            VisitNote.objects.filter(visit__cycle=cycle).values_list("who", "client_id", "author")
        )


def test_a_note_added_twice_with_its_client_id_is_saved_once(world, cycle):
    moderator = world.people["moderator"]
    first_id, second_id = uuid.uuid4(), uuid.uuid4()
    with scope(authority=world.authority):
        first = domain.add_note(cycle=cycle, by=moderator, client_id=first_id, **NOTE)
        again = domain.add_note(cycle=cycle, by=moderator, client_id=first_id, **NOTE)
        domain.add_note(cycle=cycle, by=moderator, client_id=second_id, **NOTE)
    assert again.pk == first.pk
    assert saved(cycle) == [
        ("School council", first_id, moderator.pk),
        ("School council", second_id, moderator.pk),
    ]


def test_another_persons_client_id_is_refused_not_taken_for_theirs(world, cycle):
    note_id = uuid.uuid4()
    with scope(authority=world.authority):
        domain.add_note(cycle=cycle, by=world.people["moderator"], client_id=note_id, **NOTE)
        with pytest.raises(ValidationError):
            domain.add_note(cycle=cycle, by=world.people["moderator2"], client_id=note_id, **NOTE)
    assert len(saved(cycle)) == 1


def test_the_visit_page_sends_a_note_again_and_gets_the_same_one(client, world, cycle):
    note_id = uuid.uuid4()
    client.force_login(world.people["moderator"])
    answers = [send(client, cycle, note_id), send(client, cycle, note_id)]
    assert [a.status_code for a in answers] == [200, 200]
    with scopes_disabled():
        note = VisitNote.objects.get(visit__cycle=cycle)
    assert [a.json()["id"] for a in answers] == [note.pk, note.pk]
    assert answers[0].json()["client_id"] == str(note_id)
    assert "Meeting with pupils: School council" in answers[0].json()["html"]
    assert saved(cycle) == [("School council", note_id, world.people["moderator"].pk)]


def test_a_note_for_another_authoritys_cycle_is_not_found(client, world, cycle):
    client.force_login(world.people["moderator"])
    response = send(client, world.outsider_cycle, uuid.uuid4())
    assert response.status_code == 404
    response = send(client, world.outsider_cycle, uuid.uuid4(), authority="outsider")
    assert response.status_code == 404
    with scopes_disabled():
        assert VisitNote.objects.count() == 0


def test_a_note_for_a_cycle_the_moderator_does_not_visit_is_not_found(client, world, cycle):
    """Another cycle of the same authority, whose visit is not theirs: its id does not help."""
    other = start_cycle_for(world.authority, world.other_school, world.people["mentor"])
    client.force_login(world.people["moderator"])
    assert send(client, other, uuid.uuid4()).status_code == 404
    assert saved(other) == []


def test_a_refused_note_says_why_and_nothing_is_saved(client, world, cycle):
    client.force_login(world.people["moderator"])
    response = send(client, cycle, uuid.uuid4(), who="")
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Who or which class: This field is required."},
    )
    response = client.post(reverse("moderation:send_note", args=["bathnes", cycle.pk]), NOTE)
    assert (response.status_code, response.json()) == (
        400,
        {"error": "Client id: This field is required."},
    )
    client.force_login(world.people["mentor"])  # sees the cycle, writes no notes
    assert send(client, cycle, uuid.uuid4()).status_code == 403
    assert saved(cycle) == []


def test_once_the_report_is_signed_a_new_note_is_refused_but_a_resent_one_is_not(
    client, world, cycle
):
    """A note saved just before both moderators signed, whose answer was lost: sent again, the
    phone is told it is saved, not that notes are closed."""
    note_id = uuid.uuid4()
    client.force_login(world.people["moderator"])
    assert send(client, cycle, note_id).status_code == 200
    sign_the_report(world, cycle)
    assert send(client, cycle, note_id).status_code == 200
    response = send(client, cycle, uuid.uuid4())
    assert response.status_code == 403
    assert response.json()["error"]
    assert len(saved(cycle)) == 1


def sign_the_report(world, cycle):
    people = world.people
    with scope(authority=world.authority):
        domain.save_report(
            cycle=cycle,
            by=people["moderator"],
            version=Report.objects.get(cycle=cycle).version,
            context="An infant school.",
            strengths="Warmth.",
            next_steps="Share practice.",
            recommendation=Outcome.AWARD,
            tier=Tier.QUALITY_MARK,
            revisit_by=None,
            findings={e.pk: ("Good.", "More.", "met") for e in cycle.framework.elements.all()},
        )
        for moderator in ("moderator", "moderator2"):
            domain.sign_report(cycle=cycle, by=people[moderator])
        cycle.refresh_from_db()
    assert cycle.state == State.REPORTED


def test_the_form_without_script_is_saved_once_when_submitted_twice(client, world, cycle):
    client.force_login(world.people["moderator"])
    url = reverse("moderation:visit", args=["bathnes", cycle.pk])
    form = client.get(url).context["note_form"]
    note_id = form.initial["client_id"]
    assert isinstance(note_id, uuid.UUID)
    for _ in range(2):
        response = client.post(url, {"note": "1", **NOTE, "client_id": str(note_id)})
        assert response.status_code == 302
    assert saved(cycle) == [("School council", note_id, world.people["moderator"].pk)]
    # A page opened before notes had ids still saves its note.
    assert client.post(url, {"note": "1", **NOTE}).status_code == 302
    assert [client_id for _, client_id, _ in saved(cycle)] == [note_id, None]


def test_the_service_worker_is_served_from_the_root_to_anyone(client):
    response = client.get("/visit-worker.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript"
    assert response["Cache-Control"] == "no-cache"
    assert 'const STATIC_URL = "/static/";' in response.content.decode()

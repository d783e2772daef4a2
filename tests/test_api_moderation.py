"""The API's moderation endpoints (api/moderation.py): the visit and its notes, the report, the
panel's vote and the decisions. Who may call each route is the matrix's (tests/api_isolation.py);
here, what each answers and the cost of the lists."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from assessments.models import Cycle
from moderation.models import Ballot, Decision, Outcome, Report, Visit, VisitNote

from .api_isolation import token_client
from .conftest import start_cycle_for
from .factories import SchoolFactory
from .journey import advance

State = Cycle.State
TOMORROW = date.today() + timedelta(days=1)


def url(world, name, **kwargs):
    return reverse(f"api:{name}", kwargs={"authority_slug": world.authority.slug, **kwargs})


def cycle_url(world, name, **kwargs):
    return url(world, name, cycle_pk=world.cycle.pk, **kwargs)


def call(world, who, method, target, data=None):
    client = token_client(world, who)
    if method == "get":
        return client.get(target)
    return getattr(client, method)(target, data or {}, format="json")


def problem(response):
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


# The visit


def test_no_visit_yet_is_not_found(world):
    advance(world, State.READY_FOR_VISIT)
    response = call(world, "panel_chair", "get", cycle_url(world, "visit"))
    assert response.status_code == 404


def test_plan_the_visit(world):
    advance(world, State.READY_FOR_VISIT)
    people = world.people
    response = call(
        world,
        "panel_chair",
        "post",
        cycle_url(world, "plan-visit"),
        {"moderators": [people["moderator"].pk, people["moderator2"].pk], "date": str(TOMORROW)},
    )
    assert response.status_code == 201
    body = response.json()
    with scopes_disabled():
        visit = Visit.objects.get(cycle=world.cycle)
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.VISIT_PLANNED
    assert body["id"] == visit.pk
    assert body["date"] == str(TOMORROW)
    assert sorted(m["id"] for m in body["moderators"]) == sorted(
        [people["moderator"].pk, people["moderator2"].pk]
    )
    assert body["planned_by"] == {"id": people["panel_chair"].pk, "name": "Panel chair"}
    # Everyone who may see the cycle reads it, the school too.
    read = call(world, "school_coordinator", "get", cycle_url(world, "visit"))
    assert read.status_code == 200
    assert read.json() == body


@pytest.mark.parametrize(
    "sent, field",
    [
        ({"moderators": ["moderator"], "date": str(TOMORROW)}, "moderators"),
        ({"moderators": ["moderator", "moderator2"], "date": "2020-01-01"}, "date"),
        ({"moderators": ["moderator", "mentor"], "date": str(TOMORROW)}, "moderators"),
        ({"moderators": ["moderator", "outsider"], "date": str(TOMORROW)}, "moderators"),
        ({"date": str(TOMORROW)}, "moderators"),
    ],
)
def test_plan_the_visit_refused_by_field(world, sent, field):
    advance(world, State.READY_FOR_VISIT)
    people = {**world.people, "outsider": world.outsider}
    sent = {**sent, "moderators": [people[who].pk for who in sent.get("moderators", [])]}
    if not sent["moderators"]:
        del sent["moderators"]
    response = call(world, "panel_chair", "post", cycle_url(world, "plan-visit"), sent)
    assert response.status_code == 400
    assert [e["field"] for e in problem(response)["errors"]] == [field]
    with scopes_disabled():
        assert not Visit.objects.filter(cycle=world.cycle).exists()


def test_who_may_not_plan_is_refused_before_what_they_send_is_read(world):
    advance(world, State.READY_FOR_VISIT)
    response = call(world, "school_coordinator", "post", cycle_url(world, "plan-visit"), {})
    assert response.status_code == 403
    assert problem(response)["detail"] == "Only the panel chair or an authority admin can do this."


def test_plan_the_visit_twice_is_an_illegal_transition(world):
    advance(world, State.VISIT_PLANNED)
    people = world.people
    response = call(
        world,
        "panel_chair",
        "post",
        cycle_url(world, "plan-visit"),
        {"moderators": [people["moderator"].pk, people["moderator2"].pk], "date": str(TOMORROW)},
    )
    assert response.status_code == 409
    assert problem(response)["code"] == "illegal_transition"


def test_plan_a_reviews_annual_visit_with_one_moderator(world):
    advance(world, State.UPDATE_SUBMITTED, Cycle.Kind.CENTRE_OF_EXCELLENCE)
    response = call(
        world,
        "panel_chair",
        "post",
        cycle_url(world, "plan-visit"),
        {"moderators": [world.people["moderator"].pk], "date": str(TOMORROW)},
    )
    assert response.status_code == 201
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.VISIT_PLANNED


# The visit's notes


NOTE = {"kind": "observation", "who": "Year 2", "subject": "Maths", "notes": "Fractions."}


def test_a_note_sent_twice_is_saved_once(world):
    advance(world, State.VISIT_PLANNED)
    sent = {**NOTE, "client_id": str(uuid.uuid4())}
    first = call(world, "moderator", "post", cycle_url(world, "visit-note-list"), sent)
    again = call(world, "moderator", "post", cycle_url(world, "visit-note-list"), sent)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert first.json()["client_id"] == sent["client_id"]
    assert first.json()["author"] == world.people["moderator"].pk
    with scopes_disabled():
        assert VisitNote.objects.filter(visit__cycle=world.cycle).count() == 1
    # The same id from the other moderator is someone else's note.
    theirs = call(world, "moderator2", "post", cycle_url(world, "visit-note-list"), sent)
    assert theirs.status_code == 400
    assert problem(theirs)["errors"] == [
        {"field": None, "message": "This note was sent by someone else."}
    ]


def test_a_note_names_elements_of_the_cycles_framework_only(world):
    advance(world, State.VISIT_PLANNED)
    with scopes_disabled():
        ours = world.cycle.framework.elements.get(number=1).pk
        theirs = world.outsider_cycle.framework.elements.get(number=1).pk
    created = call(
        world,
        "moderator",
        "post",
        cycle_url(world, "visit-note-list"),
        {**NOTE, "elements": [ours]},
    )
    assert created.status_code == 201
    assert created.json()["elements"] == [ours]
    refused = call(
        world,
        "moderator",
        "post",
        cycle_url(world, "visit-note-list"),
        {**NOTE, "elements": [theirs]},
    )
    assert refused.status_code == 400
    assert [e["field"] for e in problem(refused)["errors"]] == ["elements"]


def test_changing_a_note_keeps_what_was_not_sent_and_takes_back_a_signature(world):
    advance(world, State.VISIT_PLANNED)  # moderator2 has signed the draft report
    created = call(world, "moderator", "post", cycle_url(world, "visit-note-list"), NOTE)
    note = created.json()
    assert created.json()["signatures_taken_back"] is True
    changed = call(
        world,
        "moderator2",
        "patch",
        cycle_url(world, "visit-note-detail", pk=note["id"]),
        {"notes": "Fractions, with objects."},
    )
    assert changed.status_code == 200
    body = changed.json()
    assert body["notes"] == "Fractions, with objects."
    assert (body["kind"], body["who"], body["subject"]) == ("observation", "Year 2", "Maths")
    assert body["signatures_taken_back"] is False
    listed = call(world, "authority_admin", "get", cycle_url(world, "visit-note-list")).json()
    assert [(n["id"], n["notes"]) for n in listed["results"]] == [
        (note["id"], "Fractions, with objects.")
    ]


def test_notes_are_closed_once_the_report_is_signed(world):
    advance(world, State.VISIT_PLANNED)
    created = call(world, "moderator", "post", cycle_url(world, "visit-note-list"), NOTE).json()
    with scopes_disabled():
        from moderation import domain

        domain.sign_report(cycle=world.cycle, by=world.people["moderator"])
        domain.sign_report(cycle=world.cycle, by=world.people["moderator2"])
    target = cycle_url(world, "visit-note-detail", pk=created["id"])
    assert call(world, "moderator", "patch", target, {"notes": "Late."}).status_code == 409
    assert call(world, "moderator", "delete", target).status_code == 409
    added = call(world, "moderator", "post", cycle_url(world, "visit-note-list"), NOTE)
    assert added.status_code == 409
    # Final now: the panel reads the notes; the school still does not.
    assert call(world, "panel_member", "get", target).status_code == 200
    assert call(world, "school_coordinator", "get", target).status_code == 403


# The authority, the token, the person's roles, the cycle, its visit, its moderators, the count, the
# page (with authors) and its notes' elements.
NOTES_LIST_QUERIES = 9


def test_notes_list_costs_the_same_for_one_note_or_three(world, django_assert_num_queries):
    advance(world, State.VISIT_PLANNED)
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all()[:2])
    client = token_client(world, "moderator")
    target = cycle_url(world, "visit-note-list")
    counts = []
    for wanted in (1, 3):
        while len(client.get(target).json()["results"]) < wanted:
            created = call(world, "moderator", "post", target, {**NOTE, "elements": []})
            with scopes_disabled():
                VisitNote.objects.get(pk=created.json()["id"]).elements.set(elements)
        with django_assert_num_queries(NOTES_LIST_QUERIES) as captured:
            response = client.get(target)
        assert len(response.json()["results"]) == wanted
        counts.append(len(captured))
    with django_assert_num_queries(NOTES_LIST_QUERIES):
        assert len(client.get(target + "?page_size=2").json()["results"]) == 2
    assert counts[0] == counts[1]


# The report


def test_the_draft_report_with_its_versions_and_what_signing_needs(world):
    advance(world, State.VISIT_PLANNED)
    response = call(world, "moderator", "get", cycle_url(world, "report"))
    assert response.status_code == 200
    body = response.json()
    with scopes_disabled():
        elements = list(world.cycle.framework.elements.all())
    assert [f["element"] for f in body["findings"]] == [e.pk for e in elements]
    assert [f["section"] for f in body["findings"]] == [f"element-{e.pk}" for e in elements]
    assert {f["version"] for f in body["findings"]} == {1}
    assert (body["context_version"], body["version"]) == (1, 1)
    assert body["recommendation"] == "award"
    assert body["signed_by"] == [world.people["moderator2"].pk]
    assert body["finalised_at"] is None
    assert body["sign_errors"] == {}
    # The admin reads the draft; the school does not until it is final.
    assert call(world, "authority_admin", "get", cycle_url(world, "report")).status_code == 200
    refused = call(world, "school_coordinator", "get", cycle_url(world, "report"))
    assert refused.status_code == 403


def test_saving_sections(world):
    advance(world, State.VISIT_PLANNED)
    with scopes_disabled():
        element = world.cycle.framework.elements.get(number=2)
    section = cycle_url(world, "report-section", section=f"element-{element.pk}")
    saved = call(world, "moderator", "patch", section, {"version": 1, "judgement": "not_yet"})
    assert saved.status_code == 200
    assert saved.json() == {
        "section": f"element-{element.pk}",
        "version": 2,
        "strengths": "Good.",
        "development": "More.",
        "judgement": "not_yet",
    }
    # The other moderator's copy, still at version 1, is stale: refused with what is saved.
    stale = call(world, "moderator2", "patch", section, {"version": 1, "strengths": "Mine."})
    assert stale.status_code == 409
    assert problem(stale)["code"] == "stale_version"
    assert problem(stale)["current"] == saved.json()
    # The change took back moderator2's signature.
    with scopes_disabled():
        assert list(Report.objects.get(cycle=world.cycle).signed_by.all()) == []
    overall = call(
        world,
        "moderator",
        "patch",
        cycle_url(world, "report-section", section="overall"),
        {"version": 1, "recommendation": "defer", "tier": "", "revisit_by": str(TOMORROW)},
    )
    assert overall.status_code == 200
    assert overall.json()["revisit_by"] == str(TOMORROW)
    assert overall.json()["strengths"] == "Warmth."


@pytest.mark.parametrize(
    "section, sent, status, field",
    [
        ("overall", {"version": 1, "context": "Wrong section."}, 400, "context"),
        ("context", {"context": "No version."}, 400, "version"),
        ("overall", {"version": 1, "tier": "quality_mark", "recommendation": "defer"}, 400, "tier"),
        ("overall", {"version": 1, "tier": "flagship"}, 400, "tier"),
        ("nonsense", {"version": 1}, 404, None),
        ("element-999999", {"version": 0}, 404, None),
        ("element-999999999999999999", {"version": 0}, 404, None),
        ("element-99999999999999999999", {"version": 0}, 404, None),
        ("element-²", {"version": 0}, 404, None),
    ],
)
def test_saving_a_section_refused(world, section, sent, status, field):
    advance(world, State.VISIT_PLANNED)
    target = cycle_url(world, "report-section", section=section)
    response = call(world, "moderator", "patch", target, sent)
    assert response.status_code == status
    if field:
        assert [e["field"] for e in problem(response)["errors"]] == [field]
    with scopes_disabled():
        report = Report.objects.get(cycle=world.cycle)
    assert (report.version, report.context_version) == (1, 1)


def test_signing_needs_a_complete_report(world):
    advance(world, State.VISIT_PLANNED)
    call(
        world,
        "moderator",
        "patch",
        cycle_url(world, "report-section", section="context"),
        {"version": 1, "context": ""},
    )
    response = call(world, "moderator", "post", cycle_url(world, "sign-report"))
    assert response.status_code == 400
    assert problem(response)["errors"] == [
        {"field": "context", "message": "Write the school's context."}
    ]
    draft = call(world, "moderator", "get", cycle_url(world, "report")).json()
    assert draft["sign_errors"] == {"context": "Write the school's context."}


def test_the_second_signature_makes_the_report_final(world):
    advance(world, State.VISIT_PLANNED)  # moderator2 has signed
    again = call(world, "moderator2", "post", cycle_url(world, "sign-report"))
    assert again.status_code == 409
    assert problem(again)["detail"] == "You have signed the report already."
    signed = call(world, "moderator", "post", cycle_url(world, "sign-report"))
    assert signed.status_code == 200
    assert signed.json()["finalised_at"] is not None
    assert sorted(signed.json()["signed_by"]) == sorted(
        [world.people["moderator"].pk, world.people["moderator2"].pk]
    )
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.REPORTED
    late = call(
        world,
        "moderator",
        "patch",
        cycle_url(world, "report-section", section="context"),
        {"version": 1, "context": "Late."},
    )
    assert late.status_code == 409
    school = call(world, "head_teacher", "get", cycle_url(world, "report"))
    assert school.status_code == 200
    assert school.json()["sign_errors"] == {}


# The panel


def test_opening_the_vote(world):
    advance(world, State.REPORTED)
    before = call(world, "panel_chair", "get", cycle_url(world, "panel")).json()
    assert before["vote"] is None
    assert before["actions"] == ["open_vote"]
    opened = call(world, "panel_chair", "post", cycle_url(world, "open-vote"))
    assert opened.status_code == 200
    assert opened.json()["vote"]["open"] is True
    assert opened.json()["actions"] == ["vote", "decide"]
    again = call(world, "panel_chair", "post", cycle_url(world, "open-vote"))
    assert again.status_code == 409


def test_the_panel_as_each_sees_it(world):
    advance(world, State.WITH_PANEL)  # panel2-4 have voted to award the Quality Mark
    member = call(world, "panel_member", "get", cycle_url(world, "panel")).json()
    assert (member["ballot_count"], member["ballots"], member["mine"]) == (3, [], None)
    assert member["actions"] == ["vote"]
    assert (member["tally"], member["result"]) == ([], None)
    voter = call(world, "panel2", "get", cycle_url(world, "panel")).json()
    assert [b["member"] for b in voter["ballots"]] == [
        world.people[who].pk for who in ("panel2", "panel3", "panel4")
    ]
    assert voter["mine"]["member"] == world.people["panel2"].pk
    assert voter["actions"] == []
    moderator = call(world, "moderator", "get", cycle_url(world, "panel")).json()
    assert moderator["my_conflict"] is None  # not on the panel: no reason to give
    assert moderator["ballots"] == []
    chair = call(world, "panel_chair", "get", cycle_url(world, "panel")).json()
    assert len(chair["ballots"]) == 3
    assert chair["tally"] == [
        {
            "option": "award: Inclusion Quality Mark",
            "outcome": "award",
            "tier": "quality_mark",
            "votes": 3,
        }
    ]
    assert chair["result"] == {"short_of_quorum": "", "decided": "award:quality_mark", "tied": []}


def test_casting_a_ballot(world):
    advance(world, State.WITH_PANEL)
    cast = call(
        world,
        "panel_member",
        "post",
        cycle_url(world, "ballots"),
        {"outcome": "defer", "comment": "Not yet."},
    )
    assert cast.status_code == 201
    body = cast.json()
    assert (body["member"], body["outcome"], body["tier"], body["comment"]) == (
        world.people["panel_member"].pk,
        "defer",
        "",
        "Not yet.",
    )
    again = call(world, "panel_member", "post", cycle_url(world, "ballots"), {"outcome": "defer"})
    assert again.status_code == 400
    no_tier = call(world, "panel_chair", "post", cycle_url(world, "ballots"), {"outcome": "award"})
    assert no_tier.status_code == 400
    assert [e["field"] for e in problem(no_tier)["errors"]] == ["tier"]
    visited = call(world, "moderator", "post", cycle_url(world, "ballots"), {"outcome": "defer"})
    assert visited.status_code == 403
    assert "visiting moderator" in problem(visited)["detail"]


def test_deciding_needs_the_quorum_and_a_casting_vote_on_a_tie(world):
    advance(world, State.WITH_PANEL)
    with scopes_disabled():
        Ballot.objects.filter(vote__cycle=world.cycle).delete()
    call(world, "panel2", "post", cycle_url(world, "ballots"), {"outcome": "defer"})
    short = call(world, "panel_chair", "post", cycle_url(world, "decide"), {"rationale": "R."})
    assert short.status_code == 409
    assert problem(short)["detail"] == "The panel needs 3 votes to decide; 1 have been cast."
    call(world, "panel3", "post", cycle_url(world, "ballots"), {"outcome": "not_award"})
    call(
        world,
        "panel4",
        "post",
        cycle_url(world, "ballots"),
        {"outcome": "award", "tier": "quality_mark"},
    )
    panel = call(world, "panel_chair", "get", cycle_url(world, "panel")).json()
    assert sorted(panel["result"]["tied"]) == ["award:quality_mark", "defer:", "not_award:"]
    tied = call(world, "panel_chair", "post", cycle_url(world, "decide"), {"rationale": "R."})
    assert tied.status_code == 409
    no_reasons = call(world, "panel_chair", "post", cycle_url(world, "decide"), {"rationale": ""})
    assert no_reasons.status_code == 400
    not_chair = call(world, "panel2", "post", cycle_url(world, "decide"), {})
    assert not_chair.status_code == 403
    decided = call(
        world,
        "panel_chair",
        "post",
        cycle_url(world, "decide"),
        {"rationale": "Close.", "casting": {"outcome": "defer"}},
    )
    assert decided.status_code == 201
    body = decided.json()
    assert (body["outcome"], body["tier"], body["rationale"]) == ("defer", "", "Close.")
    assert body["school"] == world.school.pk
    assert "votes" not in body  # the panel's split is the panel page's, for the chair
    with scopes_disabled():
        assert Cycle.objects.get(pk=world.cycle.pk).state == State.DECIDED
    after = call(world, "panel2", "get", cycle_url(world, "panel")).json()
    assert after["vote"]["open"] is False
    assert [d["id"] for d in after["decisions"]] == [body["id"]]


# Decisions


def _decided_cycles(world, count, area=None):
    """`count` more cycles of the world's authority with a decision, each of its own school."""
    made = []
    with scopes_disabled():
        for n in range(count):
            school = SchoolFactory(
                authority=world.authority, area=area or world.area, name=f"School {n}"
            )
            cycle = start_cycle_for(world.authority, school, world.people["mentor"])
            made.append(
                Decision.objects.create(
                    cycle=cycle,
                    outcome=Outcome.AWARD if n % 2 == 0 else Outcome.DEFER,
                    tier="quality_mark" if n % 2 == 0 else "",
                    rationale="Reasons.",
                    votes={},
                    recorded_by=world.people["panel_chair"],
                )
            )
    return made


def test_decisions_filters_and_ordering(world):
    from .factories import AreaFactory

    with scopes_disabled():
        north = AreaFactory(authority=world.authority, name="North")
    first, second, third = _decided_cycles(world, 2) + _decided_cycles(world, 1, area=north)
    with scopes_disabled():
        Decision.objects.filter(pk=first.pk).update(recorded_at=timezone.now() - timedelta(days=30))
    target = url(world, "decision-list")

    def ids(query=""):
        response = call(world, "authority_admin", "get", target + query)
        assert response.status_code == 200
        return [d["id"] for d in response.json()["results"]]

    assert ids() == [first.pk, second.pk, third.pk]
    assert ids("?ordering=-recorded_at") == [third.pk, second.pk, first.pk]
    assert ids("?outcome=defer") == [second.pk]
    assert ids("?tier=quality_mark") == [first.pk, third.pk]
    assert ids(f"?area={north.pk}") == [third.pk]
    assert ids(f"?school={second.cycle.school_id}") == [second.pk]
    today = timezone.localdate()
    assert ids(f"?decided_before={today - timedelta(days=1)}") == [first.pk]
    assert ids(f"?decided_after={today}") == [second.pk, third.pk]
    # A mentor sees the decisions of the cycles they mentor; the other school's coordinator none.
    mentor = call(world, "mentor", "get", target).json()
    assert mentor["count"] == 3
    assert call(world, "other_school_coordinator", "get", target).json()["count"] == 0
    detail = call(world, "mentor", "get", url(world, "decision-detail", pk=first.pk))
    assert detail.json()["rationale"] == "Reasons."
    hidden = call(
        world, "other_school_coordinator", "get", url(world, "decision-detail", pk=first.pk)
    )
    assert hidden.status_code == 404


# The authority, the token, the person's roles, the count and the page.
DECISIONS_LIST_QUERIES = 5


def test_decisions_list_costs_the_same_for_one_decision_or_three(world, django_assert_num_queries):
    client = token_client(world, "authority_admin")
    target = url(world, "decision-list")
    _decided_cycles(world, 1)
    client.get(target)  # the token's first use is recorded (once a minute at most)
    with django_assert_num_queries(DECISIONS_LIST_QUERIES):
        assert client.get(target).json()["count"] == 1
    made = _decided_cycles(world, 3)
    with scopes_disabled():  # one corrected, so the correction's link is read too
        Decision.objects.create(
            cycle=made[0].cycle,
            outcome=Outcome.NOT_AWARD,
            rationale="Corrected.",
            votes={},
            recorded_by=world.people["panel_chair"],
            corrects=made[0],
            correction_reason="A slip.",
        )
    with django_assert_num_queries(DECISIONS_LIST_QUERIES):
        body = client.get(target).json()
    assert body["count"] == 5
    assert [d["correction"] for d in body["results"]][1] == body["results"][4]["id"]
    with django_assert_num_queries(DECISIONS_LIST_QUERIES):
        assert len(client.get(target + "?page_size=2").json()["results"]) == 2


def test_the_chair_corrects_a_decision_and_the_award_follows_it(world):
    from awards.models import Award

    advance(world, State.DECIDED)
    with scopes_disabled():
        original = Decision.objects.get(cycle=world.cycle)
        assert original.outcome == Outcome.AWARD
        assert Award.objects.filter(decision=original, withdrawn_at=None).exists()
    correction = {"outcome": "defer", "rationale": "Two elements not met.", "reason": ""}
    refused = call(world, "panel_chair", "post", cycle_url(world, "correct-decision"), correction)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "reason", "message": "This field may not be blank."}
    ]
    no_tier = call(
        world,
        "panel_chair",
        "post",
        cycle_url(world, "correct-decision"),
        {"outcome": "award", "rationale": "Met.", "reason": "Recorded as a deferral by mistake."},
    )
    assert no_tier.status_code == 400
    assert no_tier.json()["errors"] == [
        {"field": "tier", "message": "Choose the tier the corrected decision awards."}
    ]
    not_chair = call(world, "authority_admin", "post", cycle_url(world, "correct-decision"), {})
    assert not_chair.status_code == 403
    correction["reason"] = "The wrong outcome was recorded."
    made = call(world, "panel_chair", "post", cycle_url(world, "correct-decision"), correction)
    assert made.status_code == 201
    body = made.json()
    assert (body["outcome"], body["tier"], body["corrects"]) == ("defer", "", original.pk)
    assert body["correction_reason"] == "The wrong outcome was recorded."
    with scopes_disabled():
        assert not Award.objects.filter(decision=original, withdrawn_at=None).exists()
    listed = call(world, "school_coordinator", "get", url(world, "decision-list")).json()
    by_id = {d["id"]: d for d in listed["results"]}
    assert by_id[original.pk]["correction"] == body["id"]

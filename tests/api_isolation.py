"""The API's permission matrix: every route of /api/, every visitor, own and other authority and
school (the pages' harness, tests/isolation.py, for the API).

`API_URLS` says, for each named route, how to fill in its arguments, the state the world's cycle
is brought to first, and who may call it, for one of its methods; `API_METHODS` holds the route's
other methods, keyed by (route, method), and a method's second case in another state, keyed by
(route, "method when…"). `test_api_isolation.py` runs every case, and fails for a (route, method)
the API serves without a case here, or a case of a method the route does not serve.
Each visitor calls with a read-write personal token of the world's authority (the outsider admin:
of the outsider authority); signed out is a 401. Beside the status, the harness asserts on the
data: a write changes what its case names for those allowed and nothing for anyone else (a
read-only token changes nothing either), a list shows the world's object to exactly those who
see it (`listed`) and never another authority's, and another authority's object is a 404.

Blocks of `API_URLS |= {…}` and `API_METHODS |= {…}` are appended per endpoint group.
"""

import json
from dataclasses import dataclass
from typing import Callable

from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from accounts import tokens
from assessments.models import Assignment, Cycle, MentorReview, Target
from moderation.models import Ballot, VisitNote

from .isolation import (
    ADMIN,
    DESK,
    EVERYONE,
    LEADS,
    MODERATORS,
    PANEL,
    SCHOOL,
    _count,
    attempt,
    sees_cycle,
    url_kwargs,
    walk_patterns,
)
from .journey import advance

State = Cycle.State
__all__ = ["ADMIN", "DESK", "EVERYONE", "LEADS", "MODERATORS", "PANEL", "SCHOOL", "sees_cycle"]


@dataclass(frozen=True)
class ApiCase:
    """How to reach one API route and who may.

    `access`: the world's people (keys of `people`/`others`) who get `ok`. `sees`: who may see the
    route's object at all; the rest get a 404. Everyone else of the authority gets `denied`.
    `objects(world, owner)`: the URL's object arguments, made for `owner`. `data(world, kwargs)`:
    the JSON a write sends; `changes(world, kwargs)`: the data it changes, read afresh.
    `listed(world, owner)`: for a list, the id of the world's object (owner = the world's
    authority) or of the outsider's (owner = the outsider authority); those in `sees` (or all of
    `access` when `sees` is None) find the first in the results, nobody finds the second.
    """

    access: frozenset
    objects: Callable | None = None
    method: str = "get"
    ok: int = 200
    state: State = State.REGISTERED
    kind: str = Cycle.Kind.INITIAL
    sees: frozenset | None = None
    denied: int = 403
    data: Callable | None = None
    changes: Callable | None = None
    listed: Callable | None = None
    multipart: bool = False  # the data is sent as multipart/form-data (files), not JSON


API_URLS: dict[str, ApiCase] = {}
API_METHODS: dict[tuple[str, str], ApiCase] = {}


def api_cases() -> dict[str, tuple[str, ApiCase]]:
    """Every case of the matrix, by its test id ("route method[ when…]"): (route, case)."""
    cases = {f"{name} {case.method}": (name, case) for name, case in API_URLS.items()}
    cases |= {f"{name} {what}": (name, case) for (name, what), case in API_METHODS.items()}
    return cases


def api_patterns() -> dict:
    """{name: argument names} of every named route under /api/."""
    return {
        name: params
        for name, pattern, params in walk_patterns()
        if name is not None and name.startswith("api:")
    }


def token_client(world, who, *, can_write=True):
    """An API client with a personal token of one of the world's people (`outsider`: the outsider
    authority's admin, for the outsider authority), made once per world."""
    made = world.__dict__.setdefault("_api_tokens", {})
    if (who, can_write) not in made:
        if who == "outsider":
            user, authority = world.outsider, world.outsider_authority
        else:
            user, authority = {**world.people, **world.others}[who], world.authority
        with scopes_disabled():
            made[who, can_write] = tokens.create_token(
                user, authority, f"{who} tests", can_write=can_write
            )[1]
    client = APIClient(raise_request_exception=False)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {made[who, can_write]}")
    return client


class _Caller:
    """Adapts an API client to the pages' harness's `attempt` (which calls `client.<method>`)."""

    def __init__(self, client, method, multipart=False):
        self.client, self.method, self.multipart = client, method, multipart

    def __getattr__(self, method):
        def call(url, data=None):
            if method == "get":
                return self.client.get(url)
            if self.multipart:
                return self.client.generic(method.upper(), url, *_multipart(data or {}))
            return self.client.generic(
                method.upper(), url, json.dumps(data or {}), content_type="application/json"
            )

        return call


def _multipart(data):
    """(body, content type) of `data` as a form with files."""
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return encode_multipart(BOUNDARY, data), MULTIPART_CONTENT


def _ids(response) -> set:
    body = response.json()
    rows = body["results"] if isinstance(body, dict) and "results" in body else body
    return {row["id"] for row in rows}


def check_api(name, case, world, staff_user) -> list[str]:
    """Every visitor against one API route; returns what went wrong."""
    problems = []
    if case.state != State.REGISTERED or case.kind != Cycle.Kind.INITIAL:
        advance(world, case.state, case.kind)
    kwargs = url_kwargs(name, case, world, world.authority)
    url = reverse(name, kwargs=kwargs)
    method = case.method.upper()

    def call(client, target=url, target_kwargs=kwargs):
        caller = _Caller(client, case.method, case.multipart)
        return attempt(caller, case, target, world, target_kwargs)

    def expect(who, status, outcome, allowed=None):
        response, changed = outcome
        if response.status_code != status:
            problems.append(
                f"{name} {method} {url} as {who}: {response.status_code}, expected {status}"
            )
        elif status >= 400 and response["Content-Type"] != "application/problem+json":
            problems.append(f"{name} {method} {url} as {who}: {response['Content-Type']} error")
        if changed is not None and allowed is not None and changed != allowed:
            problems.append(
                f"{name} {method} {url} as {who}: data {'unchanged' if allowed else 'changed'}, "
                f"expected {'changed' if allowed else 'unchanged'}"
            )
        return response

    expect("signed out", 401, call(APIClient(raise_request_exception=False)), False)
    expect("outsider admin", 404, call(token_client(world, "outsider")), False)
    platform = APIClient(raise_request_exception=False)
    platform.force_login(staff_user)
    expect("platform admin", 404, call(platform), False)

    listed = case.listed(world, world.authority) if case.listed else None
    foreign = case.listed(world, world.outsider_authority) if case.listed else None
    finders = case.sees if case.sees is not None else case.access
    foreign_checked = read_only_checked = False
    for who in {**world.people, **world.others}:
        client = token_client(world, who)
        if who in case.access:
            response = expect(who, case.ok, call(client), True)
            if listed is not None and response.status_code == 200:
                found = _ids(response)
                if (listed in found) != (who in finders):
                    problems.append(
                        f"{name} {url} as {who}: world's object listed {listed in found}"
                    )
                if foreign in found:
                    problems.append(f"{name} {url} as {who}: lists the outsider's object")
            if case.objects and not foreign_checked:
                foreign_checked = True
                theirs = url_kwargs(name, case, world, world.outsider_authority, world.authority)
                target = reverse(name, kwargs=theirs)
                response, _ = attempt(
                    _Caller(client, case.method),
                    ApiCase(case.access, method=case.method),
                    target,
                    world,
                    theirs,
                )
                expect(f"{who} (outsider's object)", 404, (response, None))
            if case.method != "get" and not read_only_checked:
                read_only_checked = True
                expect(
                    f"{who} (read-only token)",
                    403,
                    call(token_client(world, who, can_write=False)),
                    False,
                )
        elif case.sees is not None and who not in case.sees:
            expect(f"{who} (not theirs)", 404, call(client), False)
        else:
            expect(who, case.denied, call(client), False)
    return problems


def _area(world, owner):
    return {"pk": (world.area if owner == world.authority else world.outsider_area).pk}


def _school(world, owner):
    return {"pk": (world.school if owner == world.authority else world.outsider_school).pk}


# Who sees the world's school while its cycle is registered: its staff, its mentor, the admin.
SEES_SCHOOL = sees_cycle(State.REGISTERED)

API_URLS |= {
    "api:area-list": ApiCase(EVERYONE, listed=lambda world, owner: _area(world, owner)["pk"]),
    "api:area-detail": ApiCase(EVERYONE, objects=_area),
    "api:school-list": ApiCase(
        EVERYONE, sees=SEES_SCHOOL, listed=lambda world, owner: _school(world, owner)["pk"]
    ),
    "api:school-detail": ApiCase(SEES_SCHOOL, objects=_school, sees=SEES_SCHOOL),
}


# Action-plan targets, element assignments, and a review's annual update, ratification and
# development plan (api/plans.py): each route's write in API_URLS, its reads in API_METHODS below.


def _plan_target(world, owner):
    """A target of the owner's cycle, led by a person of its school (a target with no lead
    cannot be saved again until one is chosen)."""
    from datetime import date

    from assessments.models import Target

    from .isolation import _cycle_of

    cycle = _cycle_of(world, owner)
    lead = world.people["school_coordinator"] if owner == world.authority else world.outsider
    with scopes_disabled():
        target = Target.objects.create(
            cycle=cycle,
            element=cycle.framework.elements.first(),
            action="Train every assistant in precision teaching.",
            lead=lead,
            deadline=date(2027, 3, 31),
            success_criteria="All trained.",
        )
    return {"cycle_pk": cycle.pk, "pk": target.pk}


def _new_target(world, kwargs):
    with scopes_disabled():
        element = Cycle.objects.get(pk=kwargs["cycle_pk"]).framework.elements.first()
    return {
        "element": element.pk,
        "action": "Run a parents' forum each term.",
        "lead": world.people["head_teacher"].pk,
        "deadline": "2027-07-01",
        "success_criteria": "Three forums, minutes shared.",
        "status": "on_track",
    }


_targets = _count(Target, cycle="cycle_pk")


_assignments = _count(Assignment, cycle="cycle_pk")


def _target_status(world, kwargs):
    from assessments.models import Target

    with scopes_disabled():
        return Target.objects.get(pk=kwargs["pk"]).status


def _api_assignment(world, owner):
    from .isolation import _assignment

    found = _assignment(world, owner)
    return {"cycle_pk": found["cycle_pk"], "pk": found["assignment_pk"]}


def _assignment_exists(world, kwargs):
    from assessments.models import Assignment

    with scopes_disabled():
        return Assignment.objects.filter(pk=kwargs["pk"]).exists()


def _new_assignment(world, kwargs):
    with scopes_disabled():
        element = Cycle.objects.get(pk=kwargs["cycle_pk"]).framework.elements.first()
    return {"element": element.pk, "person": world.people["school_contributor"].pk}


def _review_cycle(world, owner):
    from .isolation import _review

    return _review(world, owner)


def _review_element(world, owner):
    from .isolation import _review_element

    return _review_element(world, owner)


def _api_priority(world, owner):
    from .isolation import _priority

    found = _priority(world, owner)
    return {"cycle_pk": found["cycle_pk"], "pk": found["priority_pk"]}


def _priority_count(world, kwargs):
    from .isolation import _priorities

    return _priorities(world, kwargs)


def _new_priority(world, kwargs):
    from .isolation import _new_priority

    return _new_priority(world, kwargs)


def _cycle_state(world, kwargs):
    with scopes_disabled():
        return Cycle.objects.get(pk=kwargs["cycle_pk"]).state


def _element_update(world, kwargs):
    from reviews.models import Update

    with scopes_disabled():
        return list(
            Update.objects.filter(
                cycle=kwargs["cycle_pk"], element=kwargs["element_pk"]
            ).values_list("version", "progress", "plans")
        )


def _ratification_draft(world, kwargs):
    from reviews.models import Ratification

    with scopes_disabled():
        version = Ratification.objects.get(cycle=kwargs["cycle_pk"]).version
    return {"version": version, "summary": "A strong year, seen in every class.", "progress": []}


def _ratification_saved(world, kwargs):
    from reviews.models import Ratification

    with scopes_disabled():
        return list(
            Ratification.objects.filter(cycle=kwargs["cycle_pk"]).values_list("version", "summary")
        )


def _sees_review(state):
    from .isolation import sees_review

    return sees_review(state)


REVIEW = Cycle.Kind.CENTRE_OF_EXCELLENCE

API_URLS |= {
    "api:target-list": ApiCase(
        LEADS | {"mentor"},
        objects=lambda world, owner: {"cycle_pk": _plan_target(world, owner)["cycle_pk"]},
        sees=SEES_SCHOOL,
        method="post",
        ok=201,
        data=_new_target,
        changes=_targets,
    ),
    "api:target-detail": ApiCase(
        LEADS | {"mentor"},
        objects=_plan_target,
        sees=SEES_SCHOOL,
        method="patch",
        data=lambda world, kwargs: {"status": "done"},
        changes=_target_status,
    ),
    "api:assignment-list": ApiCase(
        LEADS,
        objects=lambda world, owner: {"cycle_pk": _api_assignment(world, owner)["cycle_pk"]},
        sees=SEES_SCHOOL,
        method="post",
        ok=201,
        data=_new_assignment,
        changes=_assignments,
    ),
    "api:assignment-detail": ApiCase(
        LEADS,
        objects=_api_assignment,
        sees=SEES_SCHOOL,
        method="delete",
        ok=204,
        changes=_assignment_exists,
    ),
    # The annual update: read by all who see the review, written by its leads until submitted.
    "api:annual-update-list": ApiCase(
        _sees_review(State.REGISTERED),
        objects=_review_cycle,
        sees=_sees_review(State.REGISTERED),
        kind=REVIEW,
    ),
    "api:annual-update-detail": ApiCase(
        LEADS,
        objects=_review_element,
        sees=_sees_review(State.REGISTERED),
        kind=REVIEW,
        method="put",
        data=lambda world, kwargs: {"version": 0, "progress": "Grown.", "plans": "More."},
        changes=_element_update,
    ),
    "api:submit-update": ApiCase(
        LEADS,
        objects=_review_cycle,
        sees=_sees_review(State.ANNUAL_UPDATE),
        kind=REVIEW,
        state=State.ANNUAL_UPDATE,
        method="post",
        changes=_cycle_state,
    ),
    # The ratification and the development plan: written and signed by the visiting moderator.
    "api:ratification": ApiCase(
        {"moderator"},
        objects=_review_cycle,
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
        method="put",
        data=_ratification_draft,
        changes=_ratification_saved,
    ),
    "api:priority-list": ApiCase(
        {"moderator"},
        objects=_review_cycle,
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
        method="post",
        ok=201,
        data=_new_priority,
        changes=_priority_count,
    ),
    "api:priority-detail": ApiCase(
        {"moderator"},
        objects=_api_priority,
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
        method="delete",
        ok=204,
        changes=_priority_count,
    ),
    "api:ratify": ApiCase(
        {"moderator"},
        objects=_review_cycle,
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
        method="post",
        changes=_cycle_state,
    ),
}


# The action plan's and the review's reads, every visitor: those who may see the cycle read its
# plan; only its leads read who is given which element; the review's update is read by all who
# see it; its ratification and development plan by the visit and the admin until ratified, then
# by all who see the review.
def _target_action(world, kwargs):
    from assessments.models import Target

    with scopes_disabled():
        return Target.objects.filter(pk=kwargs["pk"]).values_list("action", "status").first()


API_METHODS |= {
    ("api:target-list", "get"): ApiCase(
        SEES_SCHOOL,
        objects=lambda world, owner: {"cycle_pk": _plan_target(world, owner)["cycle_pk"]},
        sees=SEES_SCHOOL,
        listed=lambda world, owner: _plan_target(world, owner)["pk"],
    ),
    ("api:target-detail", "get"): ApiCase(SEES_SCHOOL, objects=_plan_target, sees=SEES_SCHOOL),
    # The whole target sent again, changed.
    ("api:target-detail", "put"): ApiCase(
        LEADS | {"mentor"},
        objects=_plan_target,
        sees=SEES_SCHOOL,
        method="put",
        data=lambda world, kwargs: {
            **_new_target(world, kwargs),
            "action": "Train every assistant twice.",
        },
        changes=_target_action,
    ),
    ("api:assignment-list", "get"): ApiCase(
        LEADS,
        objects=lambda world, owner: {"cycle_pk": _api_assignment(world, owner)["cycle_pk"]},
        sees=SEES_SCHOOL,
        listed=lambda world, owner: _api_assignment(world, owner)["pk"],
    ),
    ("api:annual-update-detail", "get"): ApiCase(
        _sees_review(State.REGISTERED),
        objects=_review_element,
        sees=_sees_review(State.REGISTERED),
        kind=REVIEW,
    ),
    ("api:ratification", "get"): ApiCase(
        {"moderator"} | ADMIN,
        objects=_review_cycle,
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
    ),
    ("api:ratification", "get when ratified"): ApiCase(
        _sees_review(State.RATIFIED),
        objects=_review_cycle,
        sees=_sees_review(State.RATIFIED),
        kind=REVIEW,
        state=State.RATIFIED,
    ),
    ("api:priority-list", "get"): ApiCase(
        {"moderator"} | ADMIN,
        objects=lambda world, owner: {"cycle_pk": _api_priority(world, owner)["cycle_pk"]},
        sees=_sees_review(State.VISIT_PLANNED),
        kind=REVIEW,
        state=State.VISIT_PLANNED,
        listed=lambda world, owner: _api_priority(world, owner)["pk"],
    ),
    ("api:priority-list", "get when ratified"): ApiCase(
        _sees_review(State.RATIFIED),
        objects=lambda world, owner: {"cycle_pk": _api_priority(world, owner)["cycle_pk"]},
        sees=_sees_review(State.RATIFIED),
        kind=REVIEW,
        state=State.RATIFIED,
        listed=lambda world, owner: _api_priority(world, owner)["pk"],
    ),
}


# Issue 15, moderation (api/moderation.py): the visit and its notes, the report, the panel's vote
# and the decisions. The pages' cases (tests/isolation.py) say who reads and writes each.
def _mod_cycle(world, owner):
    return {"cycle_pk": (world.cycle if owner == world.authority else world.outsider_cycle).pk}


def _mod_state(world, kwargs):
    with scopes_disabled():
        return Cycle.objects.get(pk=kwargs["cycle_pk"]).state


def _mod_visit_note(world, owner):
    from datetime import date

    from moderation.models import Visit, VisitNote

    cycle = world.cycle if owner == world.authority else world.outsider_cycle
    author = world.people["moderator"] if owner == world.authority else world.outsider
    with scopes_disabled():
        visit, _ = Visit.objects.get_or_create(
            cycle=cycle, defaults={"date": date(2026, 7, 1), "planned_by": author}
        )
        note = VisitNote.objects.create(
            visit=visit, kind="staff", who="SENCo", notes="Knows every pupil.", author=author
        )
    return {"cycle_pk": cycle.pk, "pk": note.pk}


def _mod_notes(world, kwargs):
    from moderation.models import VisitNote

    with scopes_disabled():
        return sorted(
            VisitNote.objects.filter(visit__cycle=kwargs["cycle_pk"]).values_list(
                "pk", "who", "notes"
            )
        )


def _mod_report(world, kwargs):
    from moderation.models import Report

    with scopes_disabled():
        report = Report.objects.get(cycle=kwargs["cycle_pk"])
        return (report.context, report.context_version)


def _mod_unsigned_report(world, owner):
    """The draft report with no signature yet, so either moderator's signature changes it."""
    from moderation.models import Report

    kwargs = _mod_cycle(world, owner)
    with scopes_disabled():
        Report.objects.get_or_create(cycle_id=kwargs["cycle_pk"])[0].signed_by.clear()
    return kwargs


def _mod_signatures(world, kwargs):
    from moderation.models import Report

    with scopes_disabled():
        return sorted(
            Report.objects.get(cycle=kwargs["cycle_pk"]).signed_by.values_list("pk", flat=True)
        )


def _mod_no_ballots(world, owner):
    """The open vote with no ballot yet, so every panel member who may vote changes it."""
    from moderation.models import Ballot

    kwargs = _mod_cycle(world, owner)
    with scopes_disabled():
        Ballot.objects.filter(vote__cycle=kwargs["cycle_pk"]).delete()
    return kwargs


_mod_ballots = _count(Ballot, vote__cycle="cycle_pk")


def _mod_decision(world, owner):
    from moderation.models import Decision, Outcome

    cycle = world.cycle if owner == world.authority else world.outsider_cycle
    with scopes_disabled():
        decision = Decision.objects.filter(cycle=cycle).first() or Decision.objects.create(
            cycle=cycle,
            outcome=Outcome.DEFER,
            rationale="Gaps to close first.",
            votes={},
            recorded_by=cycle.mentor,
        )
    return {"pk": decision.pk}


def _mod_plan(world):
    from datetime import date, timedelta

    moderators = [world.people["moderator"].pk, world.people["moderator2"].pk]
    return {"moderators": moderators, "date": (date.today() + timedelta(days=7)).isoformat()}


def _mod_decisions_of_cycle(world, kwargs):
    from moderation.models import Decision

    with scopes_disabled():
        return list(Decision.objects.filter(cycle=kwargs["cycle_pk"]).values_list("pk", "outcome"))


def _mod_on_cycle(access, state, **options) -> ApiCase:
    seen = sees_cycle(state)
    return ApiCase(seen if access is None else access, state=state, sees=seen, **options)


API_URLS |= {
    "api:visit": _mod_on_cycle(None, State.VISIT_PLANNED, objects=_mod_cycle),
    "api:plan-visit": _mod_on_cycle(
        DESK,
        State.READY_FOR_VISIT,
        objects=_mod_cycle,
        method="post",
        ok=201,
        data=lambda w, k: _mod_plan(w),
        changes=_mod_state,
    ),
    # Private until the report is final: the visit's moderators and the admin.
    "api:visit-note-list": _mod_on_cycle(
        MODERATORS | ADMIN,
        State.VISIT_PLANNED,
        objects=_mod_cycle,
        listed=lambda w, o: _mod_visit_note(w, o)["pk"],
    ),
    "api:visit-note-detail": _mod_on_cycle(
        MODERATORS,
        State.VISIT_PLANNED,
        objects=_mod_visit_note,
        method="patch",
        data=lambda w, k: {"notes": "Knows every pupil by name."},
        changes=_mod_notes,
    ),
    "api:report": _mod_on_cycle(MODERATORS | ADMIN, State.VISIT_PLANNED, objects=_mod_cycle),
    "api:report-section": _mod_on_cycle(
        MODERATORS,
        State.VISIT_PLANNED,
        objects=lambda w, o: {**_mod_cycle(w, o), "section": "context"},
        method="patch",
        data=lambda w, k: {"version": _mod_report(w, k)[1], "context": "A school of 210."},
        changes=_mod_report,
    ),
    "api:sign-report": _mod_on_cycle(
        MODERATORS,
        State.VISIT_PLANNED,
        objects=_mod_unsigned_report,
        method="post",
        changes=_mod_signatures,
    ),
    # The panel, the visiting moderators (who may speak) and the admin.
    "api:panel": _mod_on_cycle(PANEL | MODERATORS | ADMIN, State.WITH_PANEL, objects=_mod_cycle),
    "api:open-vote": _mod_on_cycle(
        {"panel_chair"}, State.REPORTED, objects=_mod_cycle, method="post", changes=_mod_state
    ),
    "api:ballots": _mod_on_cycle(
        PANEL,
        State.WITH_PANEL,
        objects=_mod_no_ballots,
        method="post",
        ok=201,
        data=lambda w, k: {"outcome": "award", "tier": "quality_mark", "comment": "Clear."},
        changes=_mod_ballots,
    ),
    "api:decide": _mod_on_cycle(
        {"panel_chair"},
        State.WITH_PANEL,
        objects=_mod_cycle,
        method="post",
        ok=201,
        data=lambda w, k: {"rationale": "Clear evidence."},
        changes=_mod_state,
    ),
    "api:correct-decision": _mod_on_cycle(
        {"panel_chair"},
        State.DECIDED,
        objects=_mod_cycle,
        method="post",
        ok=201,
        data=lambda w, k: {
            "outcome": "defer",
            "rationale": "Two elements not yet met.",
            "reason": "The wrong outcome was recorded.",
        },
        changes=_mod_decisions_of_cycle,
    ),
    # Every member lists the decisions of the cycles they may see.
    "api:decision-list": ApiCase(
        EVERYONE,
        state=State.DECIDED,
        sees=sees_cycle(State.DECIDED),
        listed=lambda w, o: _mod_decision(w, o)["pk"],
    ),
    "api:decision-detail": _mod_on_cycle(None, State.DECIDED, objects=_mod_decision),
}


_mod_notes_count = _count(VisitNote, visit__cycle="cycle_pk")


API_METHODS |= {
    ("api:visit-note-list", "post"): _mod_on_cycle(
        MODERATORS,
        State.VISIT_PLANNED,
        objects=_mod_cycle,
        method="post",
        ok=201,
        data=lambda w, k: {"kind": "staff", "who": "SENCo", "notes": "Met."},
        changes=_mod_notes_count,
    ),
    ("api:visit-note-detail", "get"): _mod_on_cycle(
        MODERATORS | ADMIN, State.VISIT_PLANNED, objects=_mod_visit_note
    ),
    ("api:visit-note-detail", "delete"): _mod_on_cycle(
        MODERATORS,
        State.VISIT_PLANNED,
        objects=_mod_visit_note,
        method="delete",
        ok=204,
        changes=_mod_notes,
    ),
    # Once final, the report is read by everyone who may see the cycle.
    ("api:report", "get when final"): _mod_on_cycle(None, State.REPORTED, objects=_mod_cycle),
}


# Cycles, the self-review's answers and the mentor's review (api/cycles.py).
def _cycle_pk(world, owner):
    return {"pk": (world.cycle if owner == world.authority else world.outsider_cycle).pk}


def _on_cycle(world, owner):
    return {"cycle_pk": _cycle_pk(world, owner)["pk"]}


def _on_element(world, owner):
    cycle = world.cycle if owner == world.authority else world.outsider_cycle
    with scopes_disabled():
        return {"cycle_pk": cycle.pk, "element_pk": cycle.framework.elements.first().pk}


def _reviewed_cycle(world, owner):
    from .assessment_helpers import review_all

    if owner == world.authority:
        review_all(world)
    return _cycle_pk(world, owner)


def _cycle_state(world, kwargs):
    with scopes_disabled():
        return Cycle.objects.get(pk=kwargs.get("pk") or kwargs.get("cycle_pk")).state


def _answer_of(world, kwargs):
    from assessments.models import Answer

    with scopes_disabled():
        answer = Answer.objects.filter(
            cycle=kwargs["cycle_pk"], element=kwargs["element_pk"]
        ).first()
        return (answer.version, answer.practice) if answer else None


def _answer_data(world, kwargs):
    from assessments.models import Answer

    with scopes_disabled():
        answer = Answer.objects.filter(
            cycle=kwargs["cycle_pk"], element=kwargs["element_pk"]
        ).first()
    return {"version": answer.version if answer else 0, "rating": 2, "practice": "Changed."}


def _review_of(world, kwargs):
    from assessments.models import MentorReview

    with scopes_disabled():
        review = MentorReview.objects.filter(
            cycle=kwargs["cycle_pk"], element=kwargs["element_pk"]
        ).first()
        return (review.rating, review.comment) if review else None


_reviews_of = _count(MentorReview, cycle="cycle_pk")


def _cycles_of_other_school(world, kwargs):
    with scopes_disabled():
        return Cycle.objects.filter(school=world.other_school).count()


SEES_SELF_REVIEW = sees_cycle(State.SELF_REVIEW)
SEES_SUBMITTED = sees_cycle(State.SUBMITTED)

API_URLS |= {
    "api:cycle-list": ApiCase(
        EVERYONE, sees=SEES_SCHOOL, listed=lambda world, owner: _cycle_pk(world, owner)["pk"]
    ),
    "api:cycle-detail": ApiCase(SEES_SCHOOL, objects=_cycle_pk, sees=SEES_SCHOOL),
    "api:cycle-submit": ApiCase(
        LEADS,
        objects=_cycle_pk,
        method="post",
        state=State.SELF_REVIEW,
        sees=SEES_SELF_REVIEW,
        changes=_cycle_state,
    ),
    "api:cycle-return": ApiCase(
        frozenset({"mentor"}),
        objects=_cycle_pk,
        method="post",
        state=State.SUBMITTED,
        sees=SEES_SUBMITTED,
        data=lambda world, kwargs: {"comment": "More evidence, please."},
        changes=_cycle_state,
    ),
    "api:cycle-validate": ApiCase(
        frozenset({"mentor"}),
        objects=_reviewed_cycle,
        method="post",
        state=State.SUBMITTED,
        sees=SEES_SUBMITTED,
        changes=_cycle_state,
    ),
    "api:cycle-answer-list": ApiCase(SEES_SCHOOL, objects=_on_cycle, sees=SEES_SCHOOL),
    # In the self-review the coordinator has given element 1 to the contributor (journey.advance).
    "api:cycle-answer-detail": ApiCase(
        SCHOOL,
        objects=_on_element,
        method="put",
        state=State.SELF_REVIEW,
        sees=SEES_SELF_REVIEW,
        data=_answer_data,
        changes=_answer_of,
    ),
    # The mentor's drafts: the mentor and the admin until validation (the browser's review page).
    "api:cycle-mentor-review-list": ApiCase(
        frozenset({"mentor", "authority_admin"}),
        objects=_on_cycle,
        state=State.SUBMITTED,
        sees=SEES_SUBMITTED,
    ),
    "api:cycle-mentor-review-detail": ApiCase(
        frozenset({"mentor"}),
        objects=_on_element,
        method="put",
        state=State.SUBMITTED,
        sees=SEES_SUBMITTED,
        data=lambda world, kwargs: {"rating": 1, "comment": "Not yet whole-school."},
        changes=_review_of,
    ),
    "api:cycle-mentor-review-agree-with-remaining": ApiCase(
        frozenset({"mentor"}),
        objects=_on_cycle,
        method="post",
        state=State.SUBMITTED,
        sees=SEES_SUBMITTED,
        changes=_reviews_of,
    ),
}

# The same routes' other methods: registration (the admin), and reading one element's answer and
# one element's review (after validation, everyone who sees the cycle reads the mentor's review).
API_METHODS |= {
    ("api:cycle-list", "post"): ApiCase(
        ADMIN,
        method="post",
        ok=201,
        data=lambda world, kwargs: {
            "school": world.other_school.pk,
            "kind": Cycle.Kind.INITIAL,
            "mentor": world.people["mentor"].pk,
        },
        changes=_cycles_of_other_school,
    ),
    ("api:cycle-answer-detail", "get"): ApiCase(SEES_SCHOOL, objects=_on_element, sees=SEES_SCHOOL),
    ("api:cycle-mentor-review-detail", "get"): ApiCase(
        sees_cycle(State.VALIDATED),
        objects=_on_element,
        state=State.VALIDATED,
        sees=sees_cycle(State.VALIDATED),
    ),
}

# Issue 15, the portfolio of evidence, its submission and the desk check (api/portfolio.py).
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from .isolation import _comments, _cycle, _evidence, _item, _items, _state  # noqa: E402

PORTFOLIO_SEES = sees_cycle(State.REGISTERED)
DESK_SEES = sees_cycle(State.PORTFOLIO_SUBMITTED)


def _commented_item(world, owner):
    """An item of the owner's cycle with one comment, remembered for `listed`."""
    from portfolios.models import ItemComment

    kwargs = _item(world, owner)
    with scopes_disabled():
        comment = ItemComment.objects.create(
            item_id=kwargs["item_pk"],
            author=world.people["mentor"] if owner == world.authority else world.outsider,
            body="Is there a date on this?",
        )
    world.__dict__.setdefault("_portfolio_comments", {})[owner.pk] = comment.pk
    return kwargs


def _comment_listed(world, owner):
    made = world.__dict__.setdefault("_portfolio_comments", {})
    if owner.pk not in made:
        _commented_item(world, owner)
    return made[owner.pk]


def _item_title(world, kwargs):
    from portfolios.models import EvidenceItem

    with scopes_disabled():
        return EvidenceItem.objects.get(pk=kwargs["item_pk"]).title


def _one_file(world, kwargs):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    return {"file": SimpleUploadedFile("plan.pdf", pdf, content_type="application/pdf")}


def _evidence_kwargs(world, owner):
    return {"cycle_pk": _cycle(world, owner)["cycle_pk"]}


def _item_kwargs(world, owner):
    kwargs = _item(world, owner)
    return {"cycle_pk": kwargs["cycle_pk"], "pk": kwargs["item_pk"]}


def _item_pk(world, kwargs):
    return _items(world, {"item_pk": kwargs["pk"]})


def _title_of(world, kwargs):
    return _item_title(world, {"item_pk": kwargs["pk"]})


API_URLS |= {
    "api:evidence-list": ApiCase(
        PORTFOLIO_SEES,
        objects=_evidence_kwargs,
        sees=PORTFOLIO_SEES,
        listed=lambda world, owner: _item(world, owner)["item_pk"],
    ),
    "api:evidence-detail": ApiCase(PORTFOLIO_SEES, objects=_item_kwargs, sees=PORTFOLIO_SEES),
    "api:evidence-file": ApiCase(PORTFOLIO_SEES, objects=_item_kwargs, sees=PORTFOLIO_SEES),
    "api:evidence-add-link": ApiCase(
        SCHOOL,
        objects=_evidence_kwargs,
        sees=PORTFOLIO_SEES,
        method="post",
        ok=201,
        data=lambda world, kwargs: {"url": "https://school.example/forum", "title": "Forum"},
        changes=_evidence,
    ),
    "api:evidence-upload": ApiCase(
        SCHOOL,
        objects=_evidence_kwargs,
        sees=sees_cycle(State.VALIDATED),
        state=State.VALIDATED,
        method="post",
        ok=201,
        data=_one_file,
        changes=_evidence,
        multipart=True,
    ),
    "api:evidence-comment-list": ApiCase(
        PORTFOLIO_SEES, objects=_commented_item, sees=PORTFOLIO_SEES, listed=_comment_listed
    ),
    "api:submit-portfolio": ApiCase(
        LEADS,
        objects=_cycle,
        sees=sees_cycle(State.VALIDATED),
        state=State.VALIDATED,
        method="post",
        changes=_state,
    ),
    "api:accept-for-visit": ApiCase(
        DESK,
        objects=_cycle,
        sees=DESK_SEES,
        state=State.PORTFOLIO_SUBMITTED,
        method="post",
        changes=_state,
    ),
    "api:return-portfolio": ApiCase(
        DESK,
        objects=_cycle,
        sees=DESK_SEES,
        state=State.PORTFOLIO_SUBMITTED,
        method="post",
        data=lambda world, kwargs: {"reasons": "Element 3 has no evidence yet."},
        changes=_state,
    ),
}

API_METHODS |= {
    ("api:evidence-detail", "patch"): ApiCase(
        SCHOOL,
        objects=_item_kwargs,
        sees=PORTFOLIO_SEES,
        method="patch",
        data=lambda world, kwargs: {"title": "Renamed"},
        changes=_title_of,
    ),
    # The coordinator added it: they and the head teacher may remove it, not the contributor.
    ("api:evidence-detail", "delete"): ApiCase(
        LEADS,
        objects=_item_kwargs,
        sees=PORTFOLIO_SEES,
        method="delete",
        ok=204,
        changes=_item_pk,
    ),
    ("api:submit-portfolio", "get"): ApiCase(
        LEADS, objects=_cycle, sees=sees_cycle(State.VALIDATED), state=State.VALIDATED
    ),
    ("api:evidence-comment-list", "post"): ApiCase(
        SCHOOL | {"mentor"},
        objects=_item,
        sees=PORTFOLIO_SEES,
        method="post",
        ok=201,
        data=lambda world, kwargs: {"body": "Seen."},
        changes=_comments,
    ),
}


# Awards, clusters, published lists and render jobs (api/records.py).


def _award_pk(world, owner):
    from .isolation import _award

    return _award(world, owner)["pk"]


def _cluster_pk(world, owner):
    from .isolation import _cluster_of

    return _cluster_of(world, owner).pk


def _publication_pk(world, owner):
    from publishing.domain import publish

    with scopes_disabled():
        return publish(owner, None).pk


def _publication_version(world, owner):
    """Version 1 of the world's list; for the outsider, its version 2, which the world's
    authority has not published (a version is a number within its authority)."""
    _publication_pk(world, owner)
    if owner == world.authority:
        return {"version": 1}
    _publication_pk(world, owner)
    return {"version": 2}


def _published_now(world, kwargs):
    """(as `data`, run inside each rolled-back request) the world's list published, for the
    current version to be there."""
    _publication_pk(world, world.authority)
    return {}


def _publications(world, kwargs):
    from publishing.models import Publication

    with scopes_disabled():
        return Publication.objects.count()


def _confirmed(world, kwargs):
    from publishing import domain

    with scopes_disabled():
        document = domain.current_list(world.authority)
        current = domain.current_publication(world.authority)
    return {"confirmed": domain.fingerprint(current.version + 1 if current else 1, document)}


def _render_job_pk(world, owner):
    from .isolation import _render_job

    return {"pk": _render_job(world, owner)["job_pk"]}


def _render_jobs(world, kwargs):
    from reports.models import RenderJob

    with scopes_disabled():
        return RenderJob.objects.count()


# Who sees a cluster: its lead school's staff, its mentor and the admin (clusters.access).
CLUSTER_SEES = SCHOOL | {"mentor", "authority_admin"}

API_URLS |= {
    "api:award-list": ApiCase(EVERYONE, sees=SEES_SCHOOL, listed=_award_pk),
    "api:award-detail": ApiCase(
        SEES_SCHOOL, objects=lambda w, o: {"pk": _award_pk(w, o)}, sees=SEES_SCHOOL
    ),
    "api:cluster-list": ApiCase(EVERYONE, sees=CLUSTER_SEES, listed=_cluster_pk),
    "api:cluster-detail": ApiCase(
        CLUSTER_SEES, objects=lambda w, o: {"pk": _cluster_pk(w, o)}, sees=CLUSTER_SEES
    ),
    # The published list is public: every member reads it.
    "api:publication-list": ApiCase(EVERYONE, listed=_publication_pk),
    "api:publication-detail": ApiCase(EVERYONE, objects=_publication_version),
    "api:publication-current": ApiCase(EVERYONE, data=_published_now),
    "api:publication-preview": ApiCase(ADMIN),
    "api:render-job-list": ApiCase(
        SEES_SCHOOL,
        sees=SEES_SCHOOL,
        method="post",
        ok=201,
        data=lambda w, k: {"kind": "certificate", "object_id": _award_pk(w, w.authority)},
        changes=_render_jobs,
    ),
    "api:render-job-detail": ApiCase(SEES_SCHOOL, objects=_render_job_pk, sees=SEES_SCHOOL),
    "api:render-job-file": ApiCase(SEES_SCHOOL, objects=_render_job_pk, sees=SEES_SCHOOL),
}


def _cluster_partner(world, owner):
    from .isolation import _cluster_partner

    found = _cluster_partner(world, owner)
    return {"pk": found["cluster_pk"], "partner_pk": found["partner_pk"]}


def _cluster_activity(world, owner):
    from .isolation import _cluster_activity

    found = _cluster_activity(world, owner)
    return {"pk": found["cluster_pk"], "activity_pk": found["activity_pk"]}


def _of_cluster(model_name, *fields):
    def read(world, kwargs):
        from django.apps import apps

        with scopes_disabled():
            rows = apps.get_model("clusters", model_name).objects.filter(cluster=kwargs["pk"])
            return list(rows.order_by("pk").values_list("pk", *fields))

    return read


def _activity(world, kwargs):
    return {
        "kind": "meeting",
        "date": "2026-06-01",
        "title": "Summer cluster meeting",
        "description": "Transition plans.",
        "attendance": 7,
    }


# Who runs a cluster: its lead school's leads and the admin.
CLUSTER_RUN = LEADS | ADMIN

API_URLS |= {
    "api:cluster-partners": ApiCase(
        CLUSTER_RUN,
        objects=lambda w, o: {"pk": _cluster_pk(w, o)},
        sees=CLUSTER_SEES,
        method="post",
        ok=201,
        data=lambda w, k: {"name": "Longfields Primary School"},
        changes=_of_cluster("Partner", "removed_at"),
    ),
    "api:cluster-partner": ApiCase(
        CLUSTER_RUN,
        objects=_cluster_partner,
        sees=CLUSTER_SEES,
        method="delete",
        changes=_of_cluster("Partner", "removed_at"),
    ),
    "api:cluster-activities": ApiCase(
        CLUSTER_RUN,
        objects=lambda w, o: {"pk": _cluster_pk(w, o)},
        sees=CLUSTER_SEES,
        method="post",
        ok=201,
        data=_activity,
        changes=_of_cluster("Activity", "title"),
    ),
    "api:cluster-activity": ApiCase(
        CLUSTER_RUN,
        objects=_cluster_activity,
        sees=CLUSTER_SEES,
        method="put",
        data=_activity,
        changes=_of_cluster("Activity", "title"),
    ),
}


def _clusters_led(world, kwargs):
    from clusters.models import Cluster

    with scopes_disabled():
        return Cluster.objects.filter(lead_school=world.school).count()


API_METHODS |= {
    # The lead school's leads or the admin start its cluster.
    ("api:cluster-list", "post"): ApiCase(
        CLUSTER_RUN,
        sees=SEES_SCHOOL,
        method="post",
        ok=201,
        data=lambda w, k: {"lead_school": w.school.pk, "name": "Chandag cluster"},
        changes=_clusters_led,
    ),
    # The authority admin publishes the previewed list.
    ("api:publication-list", "post"): ApiCase(
        ADMIN, method="post", ok=201, data=_confirmed, changes=_publications
    ),
}

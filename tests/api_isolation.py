"""The API's permission matrix: every route of /api/, every visitor, own and other authority and
school (the pages' harness, tests/isolation.py, for the API).

`API_URLS` says, for each named route, how to fill in its arguments, the state the world's cycle
is brought to first, and who may call it; `test_api_isolation.py` fails for a route missing here.
Each visitor calls with a read-write personal token of the world's authority (the outsider admin:
of the outsider authority); signed out is a 401. Beside the status, the harness asserts on the
data: a write changes what its case names for those allowed and nothing for anyone else (a
read-only token changes nothing either), a list shows the world's object to exactly those who
see it (`listed`) and never another authority's, and another authority's object is a 404.

Blocks of `API_URLS |= {…}` are appended per endpoint group.
"""

import json
from dataclasses import dataclass
from typing import Callable

from django.urls import reverse
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from accounts import tokens
from assessments.models import Cycle

from .isolation import (
    ADMIN,
    DESK,
    EVERYONE,
    LEADS,
    MODERATORS,
    PANEL,
    SCHOOL,
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


API_URLS: dict[str, ApiCase] = {}


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

    def __init__(self, client, method):
        self.client, self.method = client, method

    def __getattr__(self, method):
        def call(url, data=None):
            if method == "get":
                return self.client.get(url)
            return self.client.generic(
                method.upper(), url, json.dumps(data or {}), content_type="application/json"
            )

        return call


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
        return attempt(_Caller(client, case.method), case, target, world, target_kwargs)

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
    # The published list is public: every member reads it. The list's POST (publishing) is
    # checked by tests/test_api_records.py with PUBLISH below.
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


# POST /clusters/: the lead school's leads or the admin start its cluster (checked by
# tests/test_api_records.py).
START_CLUSTER = ApiCase(
    CLUSTER_RUN,
    sees=SEES_SCHOOL,
    method="post",
    ok=201,
    data=lambda w, k: {"lead_school": w.school.pk, "name": "Chandag cluster"},
    changes=_clusters_led,
)

# POST /publications/: the authority admin publishes the previewed list.
PUBLISH = ApiCase(ADMIN, method="post", ok=201, data=_confirmed, changes=_publications)

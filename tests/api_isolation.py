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
    multipart: bool = False  # the data is sent as multipart/form-data (files), not JSON


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

# A route's other methods (the matrix above keys one case by route): run through the same
# check_api by tests/test_api_portfolio.py.
PORTFOLIO_METHODS = {
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

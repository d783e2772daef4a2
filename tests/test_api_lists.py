"""Every list of the API costs the same number of queries whatever its page size (issue 15: "query
counts of every list endpoint are asserted and do not grow with the page size"), on the demo data
as the authority admin, who sees the most.

The lists are found, not listed: every route named `api:*-list`, and every GET operation of the
schema that answers a page (`results`) or an array. Each has its exact count in `EXPECTED_QUERIES`;
a new list fails here until it is taught its count.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from assessments.models import Cycle
from iqm_portal.demo import DECIDED_SCHOOL

from .api_demo import AUTHORITY, ROLES, SCHEMA, demo_loaded, model_of
from .isolation import walk_patterns

# Route name -> queries for one page of the list, with a token of the demo's authority admin (or
# of the first role that may read the list), on its fullest address.
EXPECTED_QUERIES = {
    "api:authorities": 2,  # the token (and its person), the person's memberships
    "api:area-list": 5,
    "api:school-list": 5,
    "api:award-list": 6,
    "api:cluster-list": 6,
    "api:cycle-list": 6,
    "api:cycle-answer-list": 6,  # the framework's elements kept in the cache from the first read
    "api:cycle-mentor-review-list": 7,
    "api:assignment-list": 5,
    "api:target-list": 6,
    "api:evidence-list": 7,
    "api:evidence-comment-list": 6,
    "api:annual-update-list": 6,
    "api:visit-note-list": 7,
    "api:decision-list": 5,
    "api:publication-list": 5,
}
# Lists the demo's Bath people cannot read (no Bath annual review is ratified in the demo): their
# counts are asserted, at 1 and several rows and page sizes, where a test builds the data.
MEASURED_ELSEWHERE = {
    "/api/v1/{authority_slug}/cycles/{cycle_pk}/priorities/": "tests/test_api_plans.py",
}


def _is_list(operation):
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    schema = content.get("application/json", {}).get("schema", {})
    if schema.get("type") == "array":
        return True
    ref = schema.get("$ref", "")
    if ref:
        component = SCHEMA["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return "results" in component.get("properties", {})
    return False


LISTS = sorted(
    path for path, item in SCHEMA["paths"].items() if "get" in item and _is_list(item["get"])
)
MEASURED_HERE = [path for path in LISTS if path not in MEASURED_ELSEWHERE]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), demo_loaded(tmp_path_factory.mktemp("media")) as loaded:
        yield loaded


def _client(demo, role):
    client = APIClient(raise_request_exception=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {demo.tokens[role]}")
    return client


def _urls(path):
    """The list's addresses on the demo, fullest first: under a cycle, each of the authority's
    cycles (the decided one first); any other object in the path the first of its model there
    (of that cycle if it has one)."""
    with scopes_disabled():
        cycles = list(
            Cycle.objects.filter(school__authority__slug=AUTHORITY)
            .order_by("-state", "pk")
            .values_list("pk", flat=True)
        )
        decided = Cycle.objects.get(school__name=DECIDED_SCHOOL, school__authority__slug=AUTHORITY)
        cycles.remove(decided.pk)
        for cycle_pk in [decided.pk] + cycles if "{cycle_pk}" in path else [None]:
            known = {"authority_slug": AUTHORITY, "cycle_pk": cycle_pk}
            for name in re.findall(r"\{([^}]+)\}", path):
                if name in known:
                    continue
                model = model_of(path, name)
                if model is None:
                    pytest.fail(
                        f"{path}: teach tests/test_api_lists.py's _urls the argument {name}"
                    )
                fields = {f.name for f in model._meta.get_fields()}
                rows = model._base_manager.order_by("pk")
                if "cycle" in fields and cycle_pk:
                    rows = rows.filter(cycle=cycle_pk)
                elif "authority" in fields:
                    rows = rows.filter(authority__slug=AUTHORITY)
                known[name] = getattr(rows.first(), "pk", 0)
            yield path.format(**known)


def _reader(demo, path):
    """(client, url, rows) of the fullest answer, read as the authority admin if they may, else
    as the first role that may."""
    best = None
    for role in ["authority_admin"] + [r for r in ROLES if r != "authority_admin"]:
        client = _client(demo, role)
        for url in _urls(path):
            response = client.get(url, {"page_size": 200})
            if response.status_code != 200:
                continue
            body = response.json()
            rows = len(body["results"] if isinstance(body, dict) else body)
            if best is None or rows > best[2]:
                best = (client, url, rows)
            if rows > 1:
                return best
        if best is not None:
            return best
    pytest.fail(f"{path}: no role reads this list on the demo")


def _get_lists():
    """Names of the routes that are a list: `…-list` with a GET, and the schema's GET
    operations that answer a page or an array."""
    named = set()
    for name, pattern, _ in walk_patterns():
        actions = getattr(pattern.callback, "actions", None) or {}
        if name and name.startswith("api:") and name.endswith("-list") and "get" in actions:
            named.add(name)
    return named


def test_every_list_route_is_measured():
    named = _get_lists()
    assert named, "no api:*-list route"
    schema_lists = set()
    for path in LISTS:
        url = path.replace("{authority_slug}", AUTHORITY)
        url = "/".join("1" if part.startswith("{") else part for part in url.split("/"))
        schema_lists.add(resolve(url).view_name)
    assert sorted(named - schema_lists) == [], "these lists do not answer a page in the schema"


def test_the_lists_measured_elsewhere_are_lists():
    assert set(MEASURED_ELSEWHERE) <= set(LISTS)


@pytest.mark.parametrize("path", MEASURED_HERE)
def test_a_list_costs_the_same_for_any_page_size(demo, db, path):
    client, url, _ = _reader(demo, path)
    name = resolve(url).view_name
    counts, rows = {}, {}
    for size in (1, 200):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200, response.content[:300]
        body = response.json()
        rows[size] = len(body["results"] if isinstance(body, dict) else body)
        counts[size] = len(queries)
    assert counts[1] == counts[200], (
        f"{name}: {counts[1]} queries for a page of 1, {counts[200]} for {rows[200]} rows"
    )
    assert name in EXPECTED_QUERIES, (
        f"add {name!r}: {counts[1]} to EXPECTED_QUERIES in tests/test_api_lists.py"
    )
    assert counts[1] == EXPECTED_QUERIES[name], f"{name}: {counts[1]} queries"

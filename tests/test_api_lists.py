"""Every list of the API costs the same number of queries whatever its page size (issue 15: "query
counts of every list endpoint are asserted and do not grow with the page size"), on the demo data
as the authority admin, who sees the most.

The lists are found, not listed: every route named `api:*-list`, and every GET operation of the
schema that answers a page (`results`) or an array. Each has its exact count in `EXPECTED_QUERIES`;
a new list fails here until it is taught its count.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from django_scopes import scopes_disabled
from rest_framework.test import APIClient

from assessments.models import Cycle
from iqm_portal.demo import DECIDED_SCHOOL

from .api_demo import AUTHORITY, demo_loaded
from .api_isolation import api_patterns
from .test_api_fuzz import SCHEMA

# Route name -> queries for one page of the list, as the demo's authority admin with a token.
EXPECTED_QUERIES = {
    "api:authorities": 2,  # the token (and its person), the person's memberships
    "api:area-list": 5,
    "api:school-list": 5,
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


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), demo_loaded(tmp_path_factory.mktemp("media")) as loaded:
        yield loaded


def _url(path):
    """The list's address on the demo: a cycle's lists are the decided cycle's, the fullest."""
    with scopes_disabled():
        cycle = Cycle.objects.get(school__name=DECIDED_SCHOOL, school__authority__slug=AUTHORITY)
    known = {"authority_slug": AUTHORITY, "cycle_pk": cycle.pk}
    try:
        return path.format(**known)
    except KeyError as missing:
        pytest.fail(f"{path}: teach tests/test_api_lists.py's _url the argument {missing}")


def test_every_list_route_is_measured():
    named = {name for name in api_patterns() if name.endswith("-list")}
    assert named, "no api:*-list route"
    schema_lists = set()
    for path in LISTS:
        url = path.replace("{authority_slug}", AUTHORITY)
        url = "/".join("1" if part.startswith("{") else part for part in url.split("/"))
        schema_lists.add(resolve(url).view_name)
    assert sorted(named - schema_lists) == [], "these lists do not answer a page in the schema"


@pytest.mark.parametrize("path", LISTS)
def test_a_list_costs_the_same_for_any_page_size(demo, db, path):
    url = _url(path)
    name = resolve(url).view_name
    client = APIClient(raise_request_exception=True)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {demo.tokens['authority_admin']}")
    assert client.get(url).status_code == 200  # the token's first use is recorded once
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

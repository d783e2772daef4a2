"""Every API route, every method, every visitor (tests/api_isolation.py)."""

import re

import pytest
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from .api_isolation import API_METHODS, API_URLS, api_cases, api_patterns, check_api
from .factories import UserFactory

# Routes outside any authority: the schema and its docs (public), and the caller's authorities
# (tests/test_api.py).
OUTSIDE_AUTHORITIES = {"api:schema", "api:docs", "api:authorities"}

CASES = api_cases()


@pytest.fixture
def staff_user(db):
    return UserFactory(email="platform@example.org", is_staff=True, is_superuser=True)


def _served() -> set[tuple[str, str]]:
    """(route name, method) of every operation of the API's schema: each path, its arguments
    filled in, resolved back to its route."""
    fill = {"authority_slug": "bathnes", "section": "context"}
    schema = SchemaGenerator().get_schema(request=None, public=True)
    served = set()
    for path, operations in schema["paths"].items():
        filled = re.sub(r"{(\w+)}", lambda arg: fill.get(arg[1], "1"), path)
        served |= {(resolve(filled).view_name, method) for method in operations}
    return served


def _routed() -> set[tuple[str, str]]:
    """(route name, method) of every method the resolver's views answer (a viewset's actions
    that its `http_method_names` allow)."""
    from .isolation import walk_patterns

    routed = set()
    for name, pattern, _ in walk_patterns():
        if name is None or not name.startswith("api:"):
            continue
        view = pattern.callback
        allowed = set(view.cls.http_method_names) - {"head", "options"}
        answers = getattr(view, "actions", None) or {m: m for m in allowed if hasattr(view.cls, m)}
        routed |= {(name, method) for method in answers if method in allowed}
    return routed


def test_every_api_route_is_in_the_harness():
    routes = set(api_patterns()) - OUTSIDE_AUTHORITIES
    assert sorted(routes - set(API_URLS)) == [], "teach tests/api_isolation.py these routes"
    assert sorted(set(API_URLS) - routes) == [], "these routes no longer exist"


def test_every_method_of_every_route_is_in_the_harness():
    served = {(name, method) for name, method in _served() if name not in OUTSIDE_AUTHORITIES}
    covered = {(name, case.method) for name, case in CASES.values()}
    assert sorted(served - covered) == [], "teach tests/api_isolation.py these (route, method)s"
    assert sorted(covered - served) == [], "these routes do not serve these methods"


def test_the_schema_documents_every_method_the_routes_answer():
    routed = {(name, method) for name, method in _routed() if name not in OUTSIDE_AUTHORITIES}
    served = {(name, method) for name, method in _served() if name not in OUTSIDE_AUTHORITIES}
    assert sorted(routed ^ served) == []


def test_each_other_method_is_named_by_its_key():
    """A key of API_METHODS names its case's method; a route's one method in API_URLS is not
    there again without saying when."""
    for (name, what), case in API_METHODS.items():
        assert what.split()[0] == case.method, (name, what)
        assert what != API_URLS[name].method, f"{name} {what} is API_URLS' case already"


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_api_isolation(case_id, world, staff_user):
    name, case = CASES[case_id]
    assert check_api(name, case, world, staff_user) == []

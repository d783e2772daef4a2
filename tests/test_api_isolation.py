"""Every API route, every visitor (tests/api_isolation.py)."""

import pytest

from .api_isolation import API_URLS, api_patterns, check_api
from .factories import UserFactory

# Routes outside any authority: the schema and its docs (public), and the caller's authorities
# (tests/test_api.py).
OUTSIDE_AUTHORITIES = {"api:schema", "api:docs", "api:authorities"}


@pytest.fixture
def staff_user(db):
    return UserFactory(email="platform@example.org", is_staff=True, is_superuser=True)


def test_every_api_route_is_in_the_harness():
    routes = set(api_patterns()) - OUTSIDE_AUTHORITIES
    assert sorted(routes - set(API_URLS)) == [], "teach tests/api_isolation.py these routes"
    assert sorted(set(API_URLS) - routes) == [], "these routes no longer exist"


@pytest.mark.parametrize("name", sorted(API_URLS))
def test_api_isolation(name, world, staff_user):
    assert check_api(name, API_URLS[name], world, staff_user) == []

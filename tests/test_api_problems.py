"""Errors answered before or outside the API's views are problems too (RFC 9457): an unknown
authority or route, a body too large or without its length, a server error, a database out of
reach. And an unknown authority reads exactly like one the caller is no member of."""

import pytest
from django.db import InterfaceError
from django.test import Client

from api import views

from .api_isolation import token_client

PROBLEM = "application/problem+json"


def _problem(response, status, code):
    assert (response.status_code, response["Content-Type"]) == (status, PROBLEM)
    body = response.json()
    assert (body["status"], body["code"]) == (status, code)
    return body


def test_an_unknown_authority_reads_like_one_you_are_no_member_of(world):
    unknown = token_client(world, "mentor").get("/api/v1/nowhere/areas/")
    not_yours = token_client(world, "mentor").get("/api/v1/outsider/areas/")
    assert _problem(unknown, 404, "not_found") == _problem(not_yours, 404, "not_found")
    assert unknown.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "code": "not_found",
        "detail": "Not found.",
    }


def test_an_unknown_route_is_a_problem(world):
    _problem(token_client(world, "mentor").get("/api/v1/bathnes/nothing-here/"), 404, "not_found")
    _problem(token_client(world, "mentor").get("/api/v2/"), 404, "not_found")


def test_a_body_too_large_or_without_its_length_is_a_problem(world, settings):
    settings.MAX_REQUEST_MB = 1
    client = token_client(world, "authority_admin")
    too_large = client.generic(
        "POST",
        "/api/v1/bathnes/cycles/",
        b"{}",
        "application/json",
        CONTENT_LENGTH=str(2 * 1024 * 1024),
    )
    assert "larger than 1 MB" in _problem(too_large, 413, "too_large")["detail"]
    chunked = client.generic(
        "POST",
        "/api/v1/bathnes/cycles/",
        b"{}",
        "application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    _problem(chunked, 411, "length_required")


@pytest.mark.parametrize(
    "error, status, code",
    [(RuntimeError("boom"), 500, "server_error"), (InterfaceError("gone"), 503, "unavailable")],
)
def test_a_server_error_is_a_problem(world, monkeypatch, error, status, code):
    def fail(self):
        raise error

    monkeypatch.setattr(views.AreaViewSet, "visible", fail)
    client = token_client(world, "mentor")
    client.raise_request_exception = False
    body = _problem(client.get("/api/v1/bathnes/areas/"), status, code)
    assert "nothing was changed" in body["detail"]
    assert "boom" not in body["detail"]


def test_pages_keep_their_html_error_pages(world):
    response = Client().get("/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_no_authority_may_take_the_slug_the_api_lists_authorities_at():
    from django.core.exceptions import ValidationError

    from authorities.models import validate_slug_not_reserved

    with pytest.raises(ValidationError):
        validate_slug_not_reserved("authorities")

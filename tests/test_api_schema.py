"""The API's schema and its documentation: the schema validates with no warning, it is the one the
fuzzer runs (tests/test_api_fuzz.py), and /api/docs/ is Swagger UI served by the app itself (no
CDN). Errors outside any view (an unknown authority, a path that matches nothing) are problems
too."""

import io
import json
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.core.management import call_command
from django.test import Client

from .api_demo import SCHEMA
from .api_isolation import token_client


@pytest.fixture
def served_schema(db):
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_the_schema_validates_with_no_warning(db):
    out = io.StringIO()
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out
    )
    assert json.loads(out.getvalue())["openapi"].startswith("3.")


def test_the_fuzzed_schema_is_the_served_one(served_schema):
    assert served_schema == SCHEMA
    assert served_schema["paths"], "the API documents no operation"


class _Assets(HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []
        self.inline = []  # scripts and styles written in the page, which the CSP refuses

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "style" or (tag == "script" and not attrs.get("src")):
            self.inline.append(tag)
        if tag == "script" and attrs.get("src"):
            self.urls.append(attrs["src"])
        elif tag == "link" and attrs.get("href"):
            self.urls.append(attrs["href"])
        elif tag == "img" and attrs.get("src"):
            self.urls.append(attrs["src"])


def test_the_docs_are_swagger_ui_served_by_the_app(db):
    client = Client()
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "SwaggerUIBundle" in html or "swagger-ui" in html
    parser = _Assets()
    parser.feed(html)
    assets = [urljoin("http://testserver/api/docs/", url) for url in parser.urls]
    assert any("swagger-ui" in url for url in assets), assets
    # The portal's Content-Security-Policy allows no inline script or style: Swagger UI's
    # setup is a script of its own (`?script`).
    assert parser.inline == []
    assert any(urlsplit(url).query == "script=" for url in assets), assets
    for url in assets:
        parts = urlsplit(url)
        assert parts.netloc == "testserver", f"{url}: not served by the app"
        found = client.get(parts.path, dict([parts.query.split("=", 1)]) if parts.query else {})
        assert found.status_code == 200, url
    # The page's own script (Swagger UI's initialiser) names the schema on this site too.
    assert "https://" not in html.replace("https://www.w3.org", "")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/no-such-authority/schools/", "/api/v1/bathnes/no-such-route/", "/api/nothing/"],
)
def test_a_missing_api_address_is_a_problem(db, path):
    response = Client().get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_a_missing_page_is_still_a_page(db):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _filters_of(operation):
    return [
        p
        for p in operation.get("parameters", [])
        if p["in"] == "query" and p["name"] not in ("page", "page_size", "ordering")
    ]


FILTERED = sorted(
    path for path, item in SCHEMA["paths"].items() if "get" in item and _filters_of(item["get"])
)


@pytest.mark.parametrize("path", FILTERED)
def test_a_bad_filter_is_a_documented_problem(world, path):
    """Every filter of every list refuses a value of the wrong kind with a documented 400."""
    operation = SCHEMA["paths"][path]["get"]
    known = {"authority_slug": world.authority.slug, "cycle_pk": world.cycle.pk}
    names = {p["name"] for p in operation["parameters"] if p["in"] == "path"}
    assert names <= set(known), f"teach this test the path arguments {names - set(known)}"
    url = path.format(**known)
    for who in ["authority_admin", *world.people, *world.others]:  # the first who may read it
        client = token_client(world, who)
        if client.get(url).status_code == 200:
            break
    else:
        pytest.fail(f"{path}: nobody of the world reads it")
    for parameter in _filters_of(operation):
        schema = parameter.get("schema", {})
        if "enum" in schema:
            bad = "no-such-choice"
        elif schema.get("type") in ("integer", "number") or schema.get("format") in (
            "date",
            "date-time",
        ):
            bad = "not-a-number-or-date"
        else:
            continue
        response = client.get(url, {parameter["name"]: bad})
        assert str(response.status_code) in operation["responses"], (path, parameter["name"])
        assert response.status_code == 400, (path, parameter["name"], response.status_code)
        assert response["Content-Type"] == "application/problem+json"
        # A range's two parameters (`…_after`, `…_before`) share one filter, named in the error.
        fields = [e["field"] for e in response.json()["errors"]]
        assert len(fields) == 1 and parameter["name"].startswith(fields[0]), fields

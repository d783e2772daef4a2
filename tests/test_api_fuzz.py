"""Schemathesis against the API's own schema (issue 15, item 6): every operation of /api/schema/,
called in-process through the WSGI application on the demo data (real PostgreSQL and Redis), with
a read-write token of each role. No response may be a server error, break the schema (status
code documented, content type, body), or show a school, cycle or name of another authority or of
a school the caller may not see (`no_hidden_data`, from the workflow's `visible_schools` and
`visible_cycles`).

Each case runs in a transaction rolled back after it, so writes do not leak into the next case.
Generation is derandomized (a fixed seed per operation) and bounded: a few examples an operation.
"""

import re

import pytest
import schemathesis
from django.core.cache import cache
from django.core.wsgi import get_wsgi_application
from django.db import transaction
from django_scopes import scopes_disabled
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from assessments.models import Cycle

from .api_demo import AUTHORITY, ROLES, SCHEMA, demo_loaded, model_of

MAX_EXAMPLES = 8

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 15,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": False},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": False},
        },
        "generation": {
            "max-examples": MAX_EXAMPLES,
            "deterministic": True,
            "database": "none",
            "mode": "all",
        },
    }
)
schema = schemathesis.openapi.from_dict(SCHEMA, config=CONFIG)
schema.app = get_wsgi_application()


def no_hidden_data(forbidden):
    """A check: the JSON never names a school or cycle the caller may not see, nor a hidden
    school's name or URN, nor another authority's name."""

    def no_hidden_data(ctx, response, case):
        if "json" not in response.headers.get("content-type", [""])[0]:
            return None
        body = response.json()
        collection = _collection(case.operation.path)
        tops = body.get("results", [body]) if isinstance(body, dict) else body
        found = []
        for row in tops if isinstance(tops, list) else []:
            if isinstance(row, dict) and collection:
                found += _hidden(collection, row.get("id"), forbidden)
        found += _walk(body, forbidden)
        assert not found, f"{case.method} {case.formatted_path}: shows {', '.join(found)}"
        return True

    return no_hidden_data


def _collection(path):
    """`schools` or `cycles` when the operation's objects are schools or cycles."""
    match = re.search(r"/(schools|cycles)/(\{id\}/)?$", path)
    return match and match.group(1)


def _hidden(kind, value, forbidden):
    ids = {"schools": forbidden.schools, "cycles": forbidden.cycles}[kind]
    values = value if isinstance(value, list) else [value]
    return [f"{kind[:-1]} {v}" for v in values if isinstance(v, int) and v in ids]


def _walk(node, forbidden, key=None):
    found = []
    if isinstance(node, dict):
        if "urn" in node:  # a school, wherever it is nested
            found += _hidden("schools", node.get("id"), forbidden)
        for name, value in node.items():
            found += _walk(value, forbidden, name)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value, forbidden, key)
    elif isinstance(node, int) and not isinstance(node, bool):
        if key in ("school", "school_id", "schools"):
            found += _hidden("schools", node, forbidden)
        elif key in ("cycle", "cycle_id", "cycles"):
            found += _hidden("cycles", node, forbidden)
    elif isinstance(node, str):
        found += [repr(text) for text in forbidden.texts if text in node]
    return found


# Generated path arguments, mostly turned into real ones: the caller's authority (sometimes
# another authority, sometimes a made-up slug) and ids of real objects of every authority.
REAL_IDS: dict = {}  # (path, parameter) -> sorted ids of the model, every authority's
PER_CYCLE: dict = {}  # (path, parameter) -> {cycle id: ids of the model's rows of that cycle}


@schema.hook
def map_path_parameters(context, path_parameters):
    if not path_parameters:
        return path_parameters
    path = context.operation.path
    mapped = dict(path_parameters)
    for name, value in path_parameters.items():
        if name == "authority_slug" and isinstance(value, str):
            pick = sum(map(ord, value)) % 8
            mapped[name] = value if pick == 7 else "iqm" if pick == 6 else AUTHORITY
        elif isinstance(value, int) and not isinstance(value, bool) and value % 5 != 4:
            ids = REAL_IDS.get((path, name))
            if ids:
                mapped[name] = ids[value % len(ids)]
    # An object under a cycle: mostly one of that cycle's (an answer's element of its framework).
    for name, value in path_parameters.items():
        per_cycle = PER_CYCLE.get((path, name), {}).get(mapped.get("cycle_pk"))
        if per_cycle and isinstance(value, int) and value % 5 not in (3, 4):
            mapped[name] = per_cycle[value % len(per_cycle)]
    return mapped


@schema.hook
def map_body(context, body):
    """Ids in a body (`school`, `lead_school`, `element`, …): mostly real ones."""
    if not isinstance(body, dict):
        return body
    mapped = dict(body)
    for name, value in body.items():
        if isinstance(value, int) and not isinstance(value, bool) and value % 5 != 4:
            ids = REAL_IDS.get(("body", name))
            if ids:
                mapped[name] = ids[value % len(ids)]
    return mapped


def _mostly_their_cycle(case, cycles):
    """Under /cycles/<cycle_pk>/, two cases in three on a cycle the caller may see (and its own
    objects), so that writes get past the 404 to the rules; the rest as generated."""
    parameters = case.path_parameters or {}
    value = parameters.get("cycle_pk")
    if not cycles or not isinstance(value, int) or isinstance(value, bool) or value % 3 == 0:
        return
    parameters["cycle_pk"] = cycles[value % len(cycles)]
    for name, child in parameters.items():
        ids = PER_CYCLE.get((case.operation.path, name), {}).get(parameters["cycle_pk"])
        if ids and isinstance(child, int) and not isinstance(child, bool):
            parameters[name] = ids[child % len(ids)]


@schema.hook
def map_query(context, query):
    """Pages that exist, mostly, and filters by real ids (`area=`, `school=`, … of any
    authority): random numbers there only ever find nothing."""
    if not query:
        return query
    mapped = dict(query)
    for name, value in query.items():
        if not isinstance(value, int) or isinstance(value, bool) or value % 5 == 4:
            continue
        if name == "page":
            mapped[name] = 1 + value % 2
        elif name == "page_size":
            mapped[name] = value % 60
        else:
            ids = REAL_IDS.get((f"?{name}", name))
            if ids:
                mapped[name] = ids[value % len(ids)]
    return mapped


def _read_real_ids():
    """REAL_IDS for every integer argument of the schema, read once the demo is loaded (the
    hooks also run while pytest collects, before any database)."""
    for path, item in SCHEMA["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                name, where = parameter["name"], parameter["in"]
                if parameter.get("schema", {}).get("type") != "integer":
                    continue
                if where == "path":
                    model = model_of(path, name)
                elif where == "query" and name not in ("page", "page_size"):
                    model = model_of("?", f"{name}_pk")
                    path_key = f"?{name}"
                else:
                    continue
                if model is None:
                    continue
                with scopes_disabled():
                    ids = sorted(model._base_manager.values_list("pk", flat=True))
                    REAL_IDS[path if where == "path" else path_key, name] = ids
                    if where == "path" and name != "cycle_pk" and "{cycle_pk}" in path:
                        PER_CYCLE[path, name] = _per_cycle(model)
            body = operation.get("requestBody", {}) if isinstance(operation, dict) else {}
            for content in body.get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                component = SCHEMA["components"]["schemas"].get(ref.rsplit("/", 1)[-1], {})
                for name, prop in component.get("properties", {}).items():
                    model = model_of("?", f"{name}_pk") if prop.get("type") == "integer" else None
                    if model is not None:
                        with scopes_disabled():
                            ids = sorted(model._base_manager.values_list("pk", flat=True))
                        REAL_IDS["body", name] = ids


def _per_cycle(model):
    """{cycle id: ids of the model's rows of that cycle}, for a model with a cycle or framework."""
    fields = {f.name for f in model._meta.get_fields()}
    found = {}
    if "cycle" in fields:
        for pk, cycle in model._base_manager.values_list("pk", "cycle"):
            found.setdefault(cycle, []).append(pk)
    elif "framework" in fields:
        elements = {}
        for pk, framework in model._base_manager.values_list("pk", "framework"):
            elements.setdefault(framework, []).append(pk)
        for cycle, framework in Cycle.objects.values_list("pk", "framework"):
            found[cycle] = elements.get(framework, [])
    return {cycle: sorted(ids) for cycle, ids in found.items()}


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    with django_db_blocker.unblock(), demo_loaded(tmp_path_factory.mktemp("media")) as loaded:
        _read_real_ids()
        yield loaded
        REAL_IDS.clear()
        PER_CYCLE.clear()


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@schema.parametrize()
@settings(suppress_health_check=list(HealthCheck))  # `db`: each case rolls back on its own
@pytest.mark.parametrize("role", ROLES)
def test_api_fuzz(case, role, demo, db):
    _mostly_their_cycle(case, demo.cycles[role])
    with transaction.atomic():
        case.call_and_validate(
            headers={"Authorization": f"Bearer {demo.tokens[role]}"},
            checks=CHECKS + [no_hidden_data(demo.forbidden[role])],
        )
        transaction.set_rollback(True)
    cache.clear()  # nor what a case left in the cache


def test_the_check_finds_a_hidden_school(demo, db):
    """The custom check on a real answer: the admin's list of every school passes for the admin
    and fails for the mentor, who may not see most of them; every role has something hidden."""
    operation = schema["/api/v1/{authority_slug}/schools/"]["GET"]
    case = operation.Case(path_parameters={"authority_slug": AUTHORITY})
    response = case.call(headers={"Authorization": f"Bearer {demo.tokens['authority_admin']}"})
    assert response.status_code == 200
    assert no_hidden_data(demo.forbidden["authority_admin"])(None, response, case)
    with pytest.raises(AssertionError, match="shows school"):
        no_hidden_data(demo.forbidden["mentor"])(None, response, case)
    for role, forbidden in demo.forbidden.items():
        assert forbidden.schools and forbidden.texts, role
        assert "The Cooper School" in forbidden.texts, role  # the national authority's

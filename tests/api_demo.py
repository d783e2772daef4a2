"""The demo data, loaded once per test module, for the API's generic tests (tests/test_api_fuzz.py,
tests/test_api_lists.py): a read-write token of each role, and what each may not see.

`load_demo` runs inside a transaction that stays open for the module and is rolled back after it,
so the module's tests (each in a savepoint of its own, pytest-django's `db`) see the demo and the
next module sees nothing of it. Under pytest-xdist each worker has its own database, so a module
whose tests are spread over two workers loads the demo on each.
"""

import json
import os
import re
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import lru_cache

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from django_scopes import scope, scopes_disabled
from drf_spectacular.generators import SchemaGenerator
from rest_framework.throttling import SimpleRateThrottle

from accounts import tokens
from accounts.models import User
from api.throttling import PerToken
from assessments.models import Cycle
from assessments.workflow import visible_cycles, visible_schools
from authorities import rls
from authorities.models import Authority
from clusters.access import may_view_cluster
from clusters.models import Cluster
from publishing.models import Publication
from schools.models import School

AUTHORITY = "bathnes"
# A read-write token of each role the issue names, all of the demo's Bath & North East Somerset
# (iqm_portal/demo.py: DEMO_PEOPLE). The moderator is also a member of the national authority,
# whose data their Bath token must still not reach.
ROLES = {
    "school_coordinator": "coordinator@bathnes.test",
    "mentor": "mentor@bathnes.test",
    "moderator": "moderator@bathnes.test",
    "panel_chair": "chair@bathnes.test",
    "authority_admin": "admin@bathnes.test",
}


# The schema /api/schema/ serves (tests/test_api_schema.py checks it is the same), made without a
# request: pytest collects one test per operation before any database.
SCHEMA = json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))


@dataclass
class Forbidden:
    """What one caller must never be shown: ids of schools and cycles they may not see (of any
    authority), and the names and URNs of those schools and the other authorities' names."""

    schools: frozenset = frozenset()
    cycles: frozenset = frozenset()
    texts: frozenset = frozenset()


@dataclass
class Demo:
    authority: Authority
    users: dict = field(default_factory=dict)  # role -> User
    tokens: dict = field(default_factory=dict)  # role -> secret (read-write)
    forbidden: dict = field(default_factory=dict)  # role -> Forbidden
    cycles: dict = field(default_factory=dict)  # role -> ids of the cycles they may see


@contextmanager
def demo_loaded(media_root):
    """The demo in a transaction rolled back at the end; requests made through a raw WSGI app
    keep the connection (Django's test client does the same); the throttle out of the way."""
    with ExitStack() as stack:
        stack.enter_context(
            override_settings(
                PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
                STORAGES={
                    **settings.STORAGES,
                    "default": {
                        "BACKEND": "django.core.files.storage.FileSystemStorage",
                        "OPTIONS": {"location": media_root},
                    },
                },
            )
        )
        unscoped = rls.unscoped_mode.set(rls.ALL)
        stack.callback(rls.unscoped_mode.reset, unscoped)
        # A request through the WSGI handler would close the connection (and so the open
        # transaction) at its start and end; the test client disconnects these too.
        for signal in (request_started, request_finished):
            signal.disconnect(close_old_connections)
            stack.callback(signal.connect, close_old_connections)
        # Thousands of calls by one token: no rate (the per-token one, or any scope a view names)
        # may answer 429 here. The throttles read the rates from this dict, bound at import.
        rates = SimpleRateThrottle.THROTTLE_RATES
        saved = dict(rates)
        rates.update({scope_name: "1000000/min" for scope_name in rates})
        stack.callback(lambda: (rates.clear(), rates.update(saved)))
        stack.callback(setattr, PerToken, "rate", getattr(PerToken, "rate", None))
        PerToken.rate = "1000000/min"
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            with open(os.devnull, "w") as quiet:
                call_command("load_demo", stdout=quiet)
            yield _demo()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def _demo() -> Demo:
    with scopes_disabled():
        authority = Authority.objects.get(slug=AUTHORITY)
        others = list(Authority.objects.exclude(pk=authority.pk))
        assert others, "the demo must hold a second authority"
        all_schools = {s.pk: s for s in School.objects.all()}
        all_cycles = set(Cycle.objects.values_list("pk", flat=True))
        # The authority's published lists name their schools for anyone to read.
        published = set()
        for publication in Publication.objects.filter(authority=authority):
            published |= set(_names(publication.content))
        theirs = Cycle.objects.exclude(school__authority=authority)
        assert theirs.exists(), "the other authorities must hold a cycle"
        demo = Demo(authority=authority)
        for role, email in ROLES.items():
            user = User.objects.get(email=email)
            demo.users[role] = user
            demo.tokens[role] = tokens.create_token(
                user, authority, f"fuzz {role}", can_write=True
            )[1]
    for role, user in demo.users.items():
        with scope(authority=authority):
            schools = set(visible_schools(user, authority).values_list("pk", flat=True))
            cycles = set(visible_cycles(user, authority).values_list("pk", flat=True))
            clusters = [
                c.pk
                for c in Cluster.objects.select_related("lead_school")
                if may_view_cluster.test(user, c)
            ]
        # A cluster shows its schools to whoever may see it (clusters/access.py), as its page
        # does; a partner of another authority by its name only.
        partner_names = set()
        with scopes_disabled():
            for cluster in Cluster.objects.filter(pk__in=clusters):
                schools.add(cluster.lead_school_id)
                for partner in cluster.partners.select_related("school"):
                    if partner.school is None:
                        continue
                    if partner.school.authority_id == authority.pk:
                        schools.add(partner.school_id)
                    else:
                        partner_names.add(partner.school.name)
        seen_texts = {t for pk in schools for t in (all_schools[pk].name, all_schools[pk].urn)}
        hidden = [s for pk, s in all_schools.items() if pk not in schools]
        texts = {t for s in hidden for t in (s.name, s.urn) if t}
        texts -= published | partner_names
        texts |= {a.name for a in others}
        # A hidden school's name that is part of a visible one ("Oldfield" in "Oldfield Park
        # Junior") cannot be told apart in free text: such names are checked by id only.
        texts = {t for t in texts if not any(t in seen for seen in seen_texts)}
        demo.cycles[role] = sorted(cycles)
        demo.forbidden[role] = Forbidden(
            schools=frozenset(set(all_schools) - schools),
            cycles=frozenset(all_cycles - cycles),
            texts=frozenset(texts),
        )
    return demo


def _names(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "name" and isinstance(value, str):
                yield value
            else:
                yield from _names(value)
    elif isinstance(node, list):
        for value in node:
            yield from _names(value)


@lru_cache
def model_of(path, name):
    """The model a path argument names: `cycle_pk` a cycle, `<model>_pk` that model, else (`id`,
    `item_pk`) the model of the view the path up to the argument reaches."""
    if name == "cycle_pk":
        return Cycle
    if name.endswith("_pk"):
        # `element_pk` an element; `lead_school_pk` (a body's `lead_school`) a school.
        for candidate in (name[:-3].replace("_", ""), name[:-3].rsplit("_", 1)[-1]):
            found = [m for m in apps.get_models() if m._meta.model_name == candidate]
            if len(found) == 1:
                return found[0]
    elif name != "id":
        return None
    if "{%s}" % name not in path:
        return None
    url = path[: path.index("{%s}" % name)] + "1/"
    url = re.sub(r"\{authority_slug\}", AUTHORITY, url)
    url = re.sub(r"\{[^}]+\}", "1", url)
    try:
        cls = getattr(resolve(url).func, "cls", None)
    except Resolver404:
        return None
    if getattr(cls, "model", None) is not None:
        return cls.model
    if getattr(cls, "queryset", None) is not None:
        return cls.queryset.model
    meta = getattr(getattr(cls, "serializer_class", None), "Meta", None)
    return getattr(meta, "model", None)

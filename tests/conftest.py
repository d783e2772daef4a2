"""The fixture world: an authority with a person in every role and a school, and an outsider
authority with its own admin and school whose data must never show through."""

import os
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django_scopes import scope

from accounts.models import SCHOOL_ROLES, Role
from assessments.domain import install_default_framework, start_cycle
from authorities import rls

from .factories import (
    AreaFactory,
    AuthorityFactory,
    ConflictFactory,
    MembershipFactory,
    SchoolFactory,
    UserFactory,
)


def pytest_configure(config):
    """Under pytest-xdist each worker takes a Redis database of its own, below the suite's
    (pytest-django already gives each its own PostgreSQL database): the cache is cleared before
    every test and real-worker tests purge the queue, which must not reach another worker's. A
    cache on a Redis of its own (TEST_CACHE_URL) is numbered down alike."""
    from django.conf import settings

    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not settings.REDIS_URL:
        return
    offset = int(worker.removeprefix("gw"))
    settings.REDIS_URL = _below(settings.REDIS_URL, offset)
    settings.CACHE_URL = _below(settings.CACHE_URL, offset)
    settings.CACHES["default"]["LOCATION"] = settings.CACHE_URL
    settings.CELERY_BROKER_URL = settings.REDIS_URL


def _below(redis_url, offset):
    url = urlsplit(redis_url)
    database = int(url.path.strip("/") or 0) - offset
    assert database >= 0, f"too many xdist workers for {redis_url}"
    return url._replace(path=f"/{database}").geturl()


@dataclass
class World:
    authority: object
    area: object
    school: object
    other_school: object  # same authority, no one of ours works there
    people: dict = field(default_factory=dict)  # role -> user, and a second moderator and panel
    # People of this authority with no part in the world's cycle: a coordinator of the other
    # school, a mentor and a moderator not assigned to it, a panel member with a conflict.
    others: dict = field(default_factory=dict)
    outsider_authority: object = None
    outsider_area: object = None
    outsider_school: object = None
    outsider: object = None  # admin of the outsider authority
    cycle: object = None  # the school's self-review, mentored by people["mentor"]
    outsider_cycle: object = None


@pytest.fixture
def world(db):
    authority = AuthorityFactory(name="Bath & North East Somerset", slug="bathnes")
    area = AreaFactory(authority=authority, name="Bath")
    school = SchoolFactory(authority=authority, area=area, name="Chandag Infant")
    other_school = SchoolFactory(authority=authority, area=area, name="Castle Primary")
    people = {}
    for role in Role:
        user = UserFactory(email=f"{role.value}@bathnes.test", full_name=role.label)
        MembershipFactory(
            authority=authority,
            user=user,
            role=role,
            school=school if role in SCHOOL_ROLES else None,
        )
        people[role.value] = user
    for key, role in [("moderator2", Role.MODERATOR)] + [
        (f"panel{n}", Role.PANEL_MEMBER) for n in range(2, 5)
    ]:
        people[key] = UserFactory(email=f"{key}@bathnes.test", full_name=key.capitalize())
        MembershipFactory(authority=authority, user=people[key], role=role)
    others = {}
    for key, role, at in [
        ("other_school_coordinator", Role.SCHOOL_COORDINATOR, other_school),
        ("other_mentor", Role.MENTOR, None),
        ("other_moderator", Role.MODERATOR, None),
        ("conflicted_panel_member", Role.PANEL_MEMBER, None),
    ]:
        others[key] = UserFactory(email=f"{key}@bathnes.test", full_name=key.replace("_", " "))
        MembershipFactory(authority=authority, user=others[key], role=role, school=at)
    ConflictFactory(
        authority=authority,
        person=others["conflicted_panel_member"],
        school=school,
        reason="Governor of the school",
    )
    outsider_authority = AuthorityFactory(name="Outsider Council", slug="outsider")
    outsider_area = AreaFactory(authority=outsider_authority, name="Elsewhere")
    outsider_school = SchoolFactory(
        authority=outsider_authority, area=outsider_area, name="Outsider Academy"
    )
    outsider = UserFactory(email="admin@outsider.test", full_name="Olive Outsider")
    MembershipFactory(authority=outsider_authority, user=outsider, role=Role.AUTHORITY_ADMIN)
    cycle = start_cycle_for(authority, school, people["mentor"])
    outsider_mentor = UserFactory(email="mentor@outsider.test")
    MembershipFactory(authority=outsider_authority, user=outsider_mentor, role=Role.MENTOR)
    outsider_cycle = start_cycle_for(outsider_authority, outsider_school, outsider_mentor)
    return World(
        cycle=cycle,
        outsider_cycle=outsider_cycle,
        authority=authority,
        area=area,
        school=school,
        other_school=other_school,
        people=people,
        others=others,
        outsider_authority=outsider_authority,
        outsider_area=outsider_area,
        outsider_school=outsider_school,
        outsider=outsider,
    )


def start_cycle_for(authority, school, mentor):
    with scope(authority=authority):
        install_default_framework(authority)
        return start_cycle(
            authority=authority, by=None, school=school, kind="initial", mentor=mentor
        )


@pytest.fixture
def admin_client(client, world):
    client.force_login(world.people["authority_admin"])
    return client


@pytest.fixture(autouse=True)
def _test_code_sees_every_authority():
    """Row-level security (authorities/rls.py) binds every request and task the tests make; the
    tests' own fixtures and assertions outside any scope see every row, as a management command
    would. tests/test_row_level_security.py checks the application's own setting: nothing."""
    token = rls.unscoped_mode.set(rls.ALL)
    yield
    rls.unscoped_mode.reset(token)


@pytest.fixture
def database_owner():
    """For a test that runs migrations itself (not through the migrate command): the tables'
    owner, as migrate runs."""
    with rls.as_owner():
        yield


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Argon2 is the portal's hasher (tests/test_accounts.py checks); fixtures need not pay for it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _files_in_tmp(settings, tmp_path):
    """Each test stores files in a folder of its own (tests/test_storage.py runs S3 as well)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "media"},
        },
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _tasks_in_process(request, settings):
    """Tasks run in the test's own process, on commit, except in tests marked `real_worker`,
    which send them through the real Redis to a real worker."""
    from iqm_portal.celery import app

    if request.node.get_closest_marker("real_worker"):
        yield
        return
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = settings.CELERY_TASK_ALWAYS_EAGER


@pytest.fixture
def worker(settings):
    """A real Celery worker (in a thread of this process) taking tasks from the real Redis, for
    tests marked `real_worker`."""
    from celery.contrib.testing.worker import start_worker

    from iqm_portal.celery import app

    assert settings.CELERY_BROKER_URL.startswith("redis://"), "make test sets REDIS_URL"
    assert app.conf.task_always_eager is False
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as running:
        yield running


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """`Client.force_login` stands for signing in completely: for a person who needs a second
    factor (accounts/two_factor.py: admins, chairs, moderators, platform admins) or has one, the
    session is also verified with a real authenticator app of theirs (tests/second_factor.py),
    made if they have none, exactly as the code page does (django-otp's session key). Pass
    `second_factor=False` to sign in with the password only, as the login page leaves a session
    before the code is entered."""
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.two_factor import STATE_KEY, has_second_factor, needs_second_factor

    from .second_factor import app_for

    force_login = Client.force_login

    def signed_in(self, user, backend=None, second_factor=True):
        force_login(self, user, backend)
        if second_factor and (needs_second_factor(user) or has_second_factor(user)):
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = app_for(user).persistent_id
            session.pop(STATE_KEY, None)
            session.save()

    monkeypatch.setattr(Client, "force_login", signed_in)

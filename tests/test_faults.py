"""Faults, against real services, never the shared ones (tests/faults.py): Redis restarted with
tasks queued, and PostgreSQL gone during a request. `make faults` runs these; the browser's side
(an autosaved answer kept and resent) is tests/browser/test_faults.py."""

from collections import Counter

import pytest
from celery import Celery
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse
from django_scopes import scope

from iqm_portal.health import WORKER_SEEN_KEY

from . import faults
from .faults import wait_for

# The fixtures of tests/faults.py, used here.
private_redis = faults.private_redis
celery_worker_process = faults.celery_worker_process
postgres_cut = faults.postgres_cut

pytestmark = pytest.mark.faults

RECORD, HOLD = "tests.fault_tasks.record", "tests.fault_tasks.hold"


def sender(redis):
    """A Celery client of the private Redis, sending as the portal does (to the `iqm` queue)."""
    client = Celery("faults", broker=redis.url, set_as_current=False)  # the portal keeps its app
    client.conf.task_default_queue = "iqm"
    return client


def runs(path):
    return path.read_text().splitlines() if path.exists() else []


def worker_seen(redis):
    return any(WORKER_SEEN_KEY in key.decode() for key in redis.client().keys("*"))


# Redis restarted with tasks queued.


@pytest.mark.real_worker
@pytest.mark.django_db
def test_tasks_queued_while_no_worker_runs_outlive_a_redis_restart_and_each_runs_once(
    private_redis,
    celery_worker_process,
    tmp_path,
):
    log, client = tmp_path / "runs", sender(private_redis)
    for n in range(5):
        client.send_task(RECORD, args=[str(log), f"queued {n}"])
    assert private_redis.client().llen("iqm") == 5

    private_redis.restart()
    assert private_redis.client().llen("iqm") == 5  # the append-only file kept the queue

    celery_worker_process.start()
    wait_for(lambda: len(runs(log)) >= 5, 60, "the queued tasks to run")
    client.send_task(RECORD, args=[str(log), "last"])
    wait_for(lambda: "last" in runs(log), 30, "a task sent after them")
    wait_for(lambda: nothing_left_to_deliver(private_redis), 30, "every task acknowledged")
    assert runs(log) == [f"queued {n}" for n in range(5)] + ["last"]


def nothing_left_to_deliver(redis):
    """The queue is empty and every delivered task was acknowledged: none can run again."""
    client = redis.client()
    return client.llen("iqm") == 0 and client.hlen("unacked") == 0


@pytest.fixture
def portal_on_private_redis(settings, private_redis):
    """This process's portal (its cache, /ready/) on the private Redis, tasks to a worker."""
    settings.REDIS_URL = settings.CACHE_URL = private_redis.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": private_redis.url,
        }
    }


def readiness(client):
    response = client.get(reverse("ready"))
    return response.status_code, response.json()["checks"]


@pytest.mark.real_worker
@pytest.mark.django_db
def test_a_busy_worker_resumes_after_a_redis_restart_and_runs_every_waiting_task_once(
    private_redis,
    celery_worker_process,
    portal_on_private_redis,
    tmp_path,
    client,
):
    log, release, tasks = tmp_path / "runs", tmp_path / "release", sender(private_redis)
    celery_worker_process.start()
    wait_for(lambda: worker_seen(private_redis), 60, "the worker's heartbeat")
    assert readiness(client)[0] == 200
    tasks.send_task(HOLD, args=[str(log), str(release)])
    wait_for(lambda: runs(log) == ["held started"], 30, "the worker to be busy")
    for n in range(5):
        tasks.send_task(RECORD, args=[str(log), f"queued {n}"])

    # Redis restarts while the worker is busy and five tasks wait.
    private_redis.stop()
    status, checks = readiness(client)
    assert status == 503
    assert (checks["redis"], checks["worker"]) == ({"status": "failing"}, {"status": "failing"})
    private_redis.start()
    private_redis.client().delete(*private_redis.client().keys(f"*{WORKER_SEEN_KEY}"))
    release.touch()
    wait_for(lambda: len(runs(log)) >= 7, 60, "the waiting tasks to run")
    for n in range(3):
        tasks.send_task(RECORD, args=[str(log), f"after {n}"])
    wait_for(lambda: len(runs(log)) >= 10, 30, "tasks sent after the restart")
    wait_for(lambda: nothing_left_to_deliver(private_redis), 30, "every task acknowledged")
    wait_for(lambda: readiness(client)[0] == 200, 30, "the worker's heartbeat, back in /ready/")

    assert runs(log) == ["held started", "held done"] + [f"queued {n}" for n in range(5)] + [
        f"after {n}" for n in range(3)
    ]
    assert Counter(runs(log)).most_common(1)[0][1] == 1  # none twice


# PostgreSQL gone during a request.

DATABASE_PAGE_HEADING = "<h1>The portal cannot reach its database</h1>"
DATABASE_FRAGMENT = (
    '<p class="save-status__error">Not saved yet: the portal cannot reach its database. Your work '
    "is kept in this browser; try again in a minute.</p>\n"
)


def element_path(world):
    with scope(authority=world.authority):
        element = world.cycle.framework.elements.get(number=2)
    return f"/bathnes/cycles/{world.cycle.pk}/elements/{element.pk}/", element


def at_query(number, action):
    """An execute wrapper that does `action` just before the request's `number`th query: the
    database goes away in the middle of the request, not before it."""
    count = 0

    def wrapper(execute, sql, params, many, context):
        nonlocal count
        count += 1
        if count == number:
            action()
        return execute(sql, params, many, context)

    return wrapper


def terminate(backend_pid):
    """What a stopping PostgreSQL does to each session (SIGTERM: 57P01, "terminating connection
    due to administrator command"), to this test's own session only, from a connection of its
    own straight to the server."""
    import psycopg2

    s = connection.settings_dict
    other = psycopg2.connect(
        dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"], host="127.0.0.1",
        port=postgres_port(),
    )  # fmt: skip
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])
    finally:
        other.close()


def postgres_port():
    return int(connection.settings_dict["PORT"] or 5432)


@pytest.fixture
def browser_like_client(transactional_db):
    """A client that, like a browser, gets the error page rather than the exception (Django's test
    client raises it by default); the broken connection is put down after the test."""
    yield Client(raise_request_exception=False)
    connection.close()


def assert_database_page(response):
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    assert DATABASE_PAGE_HEADING in html
    assert "Your work is not lost." in html
    assert "<title>The portal cannot reach its database – IQM Portal</title>" in html
    for leak in (
        "Traceback",
        "OperationalError",
        "psycopg",
        "127.0.0.1",
        "5432",
        str(postgres_port()),
    ):
        assert leak not in html


@pytest.mark.django_db(transaction=True)
def test_the_database_stopping_during_a_request_shows_the_database_page_then_recovers(
    browser_like_client,
    world,
    postgres_cut,
):
    client = browser_like_client
    path, _ = element_path(world)
    client.force_login(world.people["school_coordinator"])
    assert client.get(path).status_code == 200

    with connection.execute_wrapper(at_query(3, postgres_cut.cut)):
        assert_database_page(client.get(path))
    # Later requests find it gone too, until it is back.
    close_old_connections()  # what the server does at each request's start
    assert_database_page(client.get(path))
    probe = Client()  # as a load balancer's: no session, so nothing to read from the database
    assert probe.get(reverse("health")).status_code == 200  # the process itself is well
    ready = probe.get(reverse("ready"))
    assert (ready.status_code, ready.json()["checks"]["database"]) == (503, {"status": "failing"})

    postgres_cut.restore()
    close_old_connections()
    assert client.get(path).status_code == 200
    assert probe.get(reverse("ready")).json()["checks"]["database"] == {"status": "ok"}


@pytest.mark.django_db(transaction=True)
def test_a_session_ended_by_a_stopping_server_shows_the_database_page(browser_like_client, world):
    client = browser_like_client
    path, _ = element_path(world)
    client.force_login(world.people["school_coordinator"])
    client.get(path)
    pid = connection.connection.get_backend_pid()
    with connection.execute_wrapper(at_query(3, lambda: terminate(pid))):
        assert_database_page(client.get(path))
    close_old_connections()
    assert client.get(path).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_an_autosave_while_the_database_is_down_gets_a_short_fragment(
    browser_like_client,
    world,
    postgres_cut,
):
    client = browser_like_client
    path, element = element_path(world)
    client.force_login(world.people["school_coordinator"])
    client.get(path)
    postgres_cut.cut()
    close_old_connections()
    response = client.post(
        path,
        {"version": 0, "strengths": "Typed while it was down."},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.content.decode() == DATABASE_FRAGMENT

    postgres_cut.restore()
    close_old_connections()
    with scope(authority=world.authority):
        assert not world.cycle.answers.filter(element=element).exclude(strengths="").exists()


def test_a_deadlock_or_a_bad_query_is_not_taken_for_an_unreachable_database():
    from django.db import InterfaceError, OperationalError

    from iqm_portal.health import database_unreachable

    def failure(sqlstate):
        cause = Exception("from the driver")
        cause.pgcode = sqlstate  # psycopg2's name; psycopg 3's is sqlstate
        exc = OperationalError("failed")
        exc.__cause__ = cause
        return exc

    assert not database_unreachable(failure("40P01"))  # deadlock detected
    assert not database_unreachable(failure("57014"))  # statement timeout
    assert database_unreachable(failure("57P01"))  # the server is shutting down
    assert database_unreachable(failure("08006"))  # connection failure
    assert database_unreachable(failure(None))  # refused, reset: the driver's own, no SQLSTATE
    assert database_unreachable(InterfaceError("connection already closed"))
    assert not database_unreachable(ValueError("not a database error"))

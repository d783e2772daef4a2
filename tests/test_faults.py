"""Faults, against real services, never the shared ones (tests/faults.py): Redis restarted with
tasks queued, and PostgreSQL gone during a request. `make faults` runs these; the browser's side
(an autosaved answer kept and resent) is tests/browser/test_faults.py."""

from collections import Counter

import pytest
from celery import Celery
from django.urls import reverse

from iqm_portal.health import WORKER_SEEN_KEY

from .faults import (  # noqa: F401 - fixtures
    celery_worker_process,
    postgres_cut,
    private_redis,
    wait_for,
)

pytestmark = pytest.mark.faults

RECORD, HOLD = "tests.fault_tasks.record", "tests.fault_tasks.hold"


def sender(redis):
    """A Celery client of the private Redis, sending as the portal does (to the `iqm` queue)."""
    client = Celery("faults", broker=redis.url)
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
    private_redis, celery_worker_process, tmp_path  # noqa: F811
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
def portal_on_private_redis(settings, private_redis):  # noqa: F811
    """This process's portal (its cache, /ready/) on the private Redis, tasks to a worker."""
    settings.REDIS_URL = private_redis.url
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
    private_redis, celery_worker_process, portal_on_private_redis, tmp_path, client  # noqa: F811
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

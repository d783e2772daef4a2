"""/health/ and /ready/: what each reports, to anyone, without saying where the services are.
What they report while a service is really down is in tests/test_faults.py."""

import json

import pytest
from django.urls import reverse

from iqm_portal import health
from iqm_portal.celery import app

NO_STORE = "max-age=0, no-cache, no-store, must-revalidate, private"


@pytest.fixture
def real_worker_expected():
    """Tasks go to a worker, as in production (the test suite runs them in-process)."""
    app.conf.task_always_eager = False
    yield
    app.conf.task_always_eager = True


def test_health_answers_without_asking_any_service(client, db, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == NO_STORE
    assert response.json() == {"status": "ok"}


def test_ready_when_every_service_answers_to_someone_signed_out(client, db):
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response["Cache-Control"] == NO_STORE
    assert response.json() == {
        "status": "ready",
        "checks": {
            "database": {"status": "ok"},
            "redis": {"status": "ok"},
            "cache": {"status": "ok"},  # the same Redis here, unless CACHE_URL gives it another
            "storage": {"status": "ok"},
            "worker": {"status": "not used"},  # the suite runs tasks in its own process
        },
    }


def test_the_storage_probe_leaves_nothing_behind(client, db, settings):
    client.get(reverse("ready"))
    media = settings.STORAGES["default"]["OPTIONS"]["location"]
    assert list(media.rglob("*.txt")) == []


def test_not_ready_until_a_worker_is_seen_and_again_once_it_is_quiet(
    client, db, real_worker_expected, time_machine
):
    time_machine.move_to("2026-12-03 12:00:00", tick=False)
    response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json()["status"] == "not ready"
    assert response.json()["checks"]["worker"] == {"status": "not seen"}

    health.note_worker_seen()  # a worker's heartbeat
    time_machine.shift(60)
    response = client.get(reverse("ready"))
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {"status": "ok", "last_seen_seconds_ago": 60}

    time_machine.shift(1)  # WORKER_SEEN_WITHIN is 60 seconds
    response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {
        "status": "not seen",
        "last_seen_seconds_ago": 61,
    }


def test_a_worker_heartbeat_is_what_marks_it_seen(client, db, real_worker_expected, time_machine):
    from celery.signals import heartbeat_sent

    time_machine.move_to("2026-12-03 12:00:00", tick=False)
    heartbeat_sent.send(sender=None)
    time_machine.shift(7)
    assert client.get(reverse("ready")).json()["checks"]["worker"] == {
        "status": "ok",
        "last_seen_seconds_ago": 7,
    }


@pytest.mark.parametrize(
    "setting, checks",
    [
        # The broker's Redis; the cache, on the same one unless CACHE_URL says otherwise, answers.
        ("REDIS_URL", ({"status": "failing"}, {"status": "ok"})),
        # A cache Redis of its own, reported apart from the broker.
        ("CACHE_URL", ({"status": "ok"}, {"status": "failing"})),
    ],
)
def test_a_redis_not_answering_is_reported_without_its_address(
    client, db, settings, setting, checks
):
    setattr(settings, setting, "redis://:s3cret-password@127.0.0.1:1/0")  # nothing on port 1
    response = client.get(reverse("ready"))
    assert response.status_code == 503
    found = response.json()["checks"]
    assert (found["redis"], found["cache"]) == checks
    body = response.content.decode()
    assert "127.0.0.1" not in body and "s3cret" not in body and "Error" not in body


def test_no_redis_is_not_used_on_a_laptop(client, db, settings):
    settings.REDIS_URL = settings.CACHE_URL = ""
    checks = client.get(reverse("ready")).json()["checks"]
    assert (checks["redis"], checks["cache"]) == ({"status": "not used"}, {"status": "not used"})


def test_a_storage_that_cannot_be_written_is_reported(client, db, settings, tmp_path):
    not_a_folder = tmp_path / "media-is-a-file"
    not_a_folder.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": not_a_folder},
        },
    }
    response = client.get(reverse("ready"))
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == {"status": "failing"}
    assert str(tmp_path) not in json.dumps(response.json())


def test_both_are_get_only(client, db):
    assert client.post(reverse("health")).status_code == 405
    assert client.post(reverse("ready")).status_code == 405


def test_health_and_ready_are_not_authority_slugs():
    from authorities.models import RESERVED_SLUGS

    assert {"health", "ready"} <= RESERVED_SLUGS

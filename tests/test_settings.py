import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connections, transaction

from iqm_portal import settings as portal_settings


def test_sqlite_default_takes_concurrent_uploads(tmp_path, django_db_blocker):
    """Several uploads at once, each reading the portfolio's total and then adding a file, as
    portfolios.domain.add_evidence does, all succeed on the SQLite of `make run`."""
    alias = "sqlite_default"
    config = portal_settings.database_config(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    connections.settings[alias] = connections.configure_settings({"default": config})["default"]
    errors = []
    barrier = threading.Barrier(8)

    def upload(size):
        try:
            barrier.wait()
            with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
                cursor.execute("SELECT COALESCE(SUM(size), 0) FROM upload")
                used = cursor.fetchone()[0]
                time.sleep(0.05)  # the file being stored
                cursor.execute("INSERT INTO upload (size, used) VALUES (%s, %s)", [size, used])
        except Exception as error:
            errors.append(repr(error))
        finally:
            connections[alias].close()

    try:
        with django_db_blocker.unblock():
            with connections[alias].cursor() as cursor:
                cursor.execute("CREATE TABLE upload (id INTEGER PRIMARY KEY, size INT, used INT)")
            threads = [threading.Thread(target=upload, args=[size]) for size in range(1, 9)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT size, used FROM upload ORDER BY id")
                rows = cursor.fetchall()
                cursor.execute("PRAGMA journal_mode")
                journal_mode = cursor.fetchone()[0]
                cursor.execute("PRAGMA busy_timeout")
                busy_timeout = cursor.fetchone()[0]
    finally:
        connections[alias].close()
        del connections[alias]
        del connections.settings[alias]
    assert errors == []
    assert sorted(size for size, _ in rows) == list(range(1, 9))
    # One after the other: each upload saw the total of every upload before it.
    assert [used for _, used in rows] == [sum(size for size, _ in rows[:i]) for i in range(8)]
    assert (journal_mode, busy_timeout) == ("wal", 20000)


def _site_url(**env):
    """SITE_URL as the settings compute it in a fresh process with only these variables set."""
    env = {"PATH": os.environ["PATH"], "SECRET_KEY": "test-only-secret", "DEBUG": "0", **env}
    result = subprocess.run(
        [sys.executable, "-c", "from iqm_portal import settings; print(settings.SITE_URL)"],
        env=env,
        cwd=Path(portal_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


@pytest.mark.parametrize(
    "env, site_url",
    [
        ({}, "http://127.0.0.1:8000"),
        ({"PORT": "8080"}, "http://127.0.0.1:8080"),
        ({"PORT": "8080", "SITE_URL": "https://iqm.example.org/"}, "https://iqm.example.org"),
    ],
)
def test_site_url_follows_the_port_unless_set(env, site_url):
    assert _site_url(**env) == site_url


@pytest.mark.parametrize("port", [None, "8080"])
def test_make_passes_the_port_to_the_portal(port):
    """`make run` serves on $(PORT), 8000 unless set: its recipes see the same PORT."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "MAKEFLAGS", "MAKELEVEL"}}
    if port:
        env["PORT"] = port
    result = subprocess.run(
        ["make", "-s", "--eval", 'probe-port: ; @echo "$$PORT $(PORT)"', "probe-port"],
        env=env,
        cwd=Path(portal_settings.BASE_DIR),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [port or "8000"] * 2


def test_the_cache_and_the_broker_use_this_test_process_redis(settings):
    """Each pytest-xdist worker has a Redis database of its own (tests/conftest.py): the cache and
    Celery must both have taken it, or one worker's cache.clear() empties another's queue."""
    from django.core.cache import cache

    from iqm_portal.celery import app

    assert app.conf.broker_url == settings.REDIS_URL
    assert cache._cache._servers == [settings.CACHE_URL]

"""The cache's Redis apart from the broker's (CACHE_URL, iqm_portal/settings.py): the broker's must
never evict a key, the cache's should evict its least recently used ones, so they are two. The
settings are read in a process of their own under each environment, as a deployment reads them."""

import json
import os
import subprocess
import sys

import pytest
import redis
from django.conf import settings as portal_settings

from authorities import stamps

from . import faults
from .test_publishing import award, publish

private_redis = faults.private_redis
READ = ("REDIS_URL", "CACHE_URL", "CACHES", "CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")


def settings_under(**environment):
    """The settings a process started with `environment` (and no other) reads."""
    code = (
        "import json; from django.conf import settings; "
        f"print(json.dumps({{name: getattr(settings, name) for name in {READ!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ["PATH"],
            "DJANGO_SETTINGS_MODULE": "iqm_portal.settings",
            "SECRET_KEY": "test-only-secret",
            "DEBUG": "0",
            **environment,
        },
        cwd=portal_settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def redis_cache(location):
    return {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": location}
    }


def test_cache_url_gives_the_cache_a_redis_of_its_own():
    read = settings_under(
        REDIS_URL="redis://broker.internal:6379/0", CACHE_URL="redis://cache.internal:6379/0"
    )
    assert read == {
        "REDIS_URL": "redis://broker.internal:6379/0",
        "CACHE_URL": "redis://cache.internal:6379/0",
        "CACHES": redis_cache("redis://cache.internal:6379/0"),
        "CELERY_BROKER_URL": "redis://broker.internal:6379/0",
        "CELERY_TASK_ALWAYS_EAGER": False,
    }


def test_without_cache_url_the_cache_is_in_the_broker_redis_as_before():
    expected = {
        "REDIS_URL": "redis://redis.internal:6379/0",
        "CACHE_URL": "redis://redis.internal:6379/0",
        "CACHES": redis_cache("redis://redis.internal:6379/0"),
        "CELERY_BROKER_URL": "redis://redis.internal:6379/0",
        "CELERY_TASK_ALWAYS_EAGER": False,
    }
    assert settings_under(REDIS_URL="redis://redis.internal:6379/0") == expected
    # Empty is unset (the Makefile's test environment passes TEST_CACHE_URL, empty unless given).
    assert settings_under(REDIS_URL="redis://redis.internal:6379/0", CACHE_URL="") == expected


def test_without_either_the_cache_is_in_memory_and_tasks_run_in_process():
    assert settings_under() == {
        "REDIS_URL": "",
        "CACHE_URL": "",
        "CACHES": {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
        "CELERY_BROKER_URL": "memory://",
        "CELERY_TASK_ALWAYS_EAGER": True,
    }


def test_a_cache_alone_without_a_broker_is_a_redis_cache_with_tasks_in_process():
    read = settings_under(CACHE_URL="redis://cache.internal:6379/0")
    assert (read["CACHES"], read["CELERY_BROKER_URL"]) == (
        redis_cache("redis://cache.internal:6379/0"),
        "memory://",
    )


@pytest.fixture
def cache_of_its_own(settings, private_redis):
    """This process's cache as the settings make it with CACHE_URL a Redis of its own (a private
    redis-server) and REDIS_URL this test process's Redis database; before the world is made, so
    that its stamps go there too."""
    read = settings_under(REDIS_URL=settings.REDIS_URL, CACHE_URL=private_redis.url)
    assert read["CELERY_BROKER_URL"] == settings.REDIS_URL
    settings.CACHE_URL, settings.CACHES = read["CACHE_URL"], read["CACHES"]
    return private_redis.client()


def test_a_public_page_is_kept_in_the_cache_redis_and_nothing_in_the_broker(
    cache_of_its_own, client, world
):
    award(world.other_school)
    publish(world.authority)
    broker = redis.Redis.from_url(portal_settings.REDIS_URL)
    kept = lambda: sorted(key.decode() for key in cache_of_its_own.keys(":1:public:*"))  # noqa: E731
    assert kept() == []
    assert client.get("/bathnes/awards/").status_code == 200
    name = f"public:authority:{world.authority.pk}"
    [page] = kept()
    assert page.startswith(f":1:{name}:{stamps.stamp(name)}:")  # the page, under its stamp
    assert broker.keys(":1:*") == []  # Django's cache keys: ":<version>:<key>"
    broker.close()

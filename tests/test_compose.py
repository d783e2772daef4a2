"""docker-compose.yml runs programs that exist, the same way the Makefile does, with settings the
portal reads. Docker is not needed: the file is parsed and checked against the project."""

import importlib
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from celery.app.utils import find_app
from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def steps(service):
    """The command lines a service runs, each as an argv list (`sh -c "a && b"` gives two)."""
    command = SERVICES[service]["command"]
    if isinstance(command, str):
        command = shlex.split(command)
    if command[:2] == ["sh", "-c"]:
        return [shlex.split(part) for part in command[2].split("&&")]
    return [command]


def makefile_recipe(target):
    """The recipe of a Makefile target, without its `DEBUG=...` prefix and `$(VENV)/bin/`."""
    lines = (ROOT / "Makefile").read_text().replace("\\\n", " ").splitlines()
    start = next(
        i for i, line in enumerate(lines) if re.match(rf"{re.escape(target)}\s*:(?!=)", line)
    )
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        command = re.sub(r"^DEBUG=\S+\s+", "", line.strip())
        recipe.append(shlex.split(command.replace("$(VENV)/bin/", "")))
    return recipe


def settings_variables():
    """The environment variables iqm_portal/settings.py reads: env.<type>("NAME", ...)."""
    text = (ROOT / "iqm_portal" / "settings.py").read_text()
    return set(re.findall(r"\benv\.\w+\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))


def check_program(argv):
    """Fails unless the program a command line runs exists in the project."""
    if argv[:2] == ["python", "manage.py"]:
        assert argv[2] in get_commands(), f"no management command {argv[2]!r}"
    elif argv[0] == "gunicorn":
        module, _, attribute = argv[1].partition(":")
        application = getattr(importlib.import_module(module), attribute)
        assert callable(application)
    elif argv[0] == "celery":
        assert argv[1] == "-A"
        from iqm_portal.celery import app

        assert find_app(argv[2]) is app
    else:
        pytest.fail(f"unknown program: {argv}")


def test_services():
    assert set(SERVICES) == {"postgres", "redis", "cache", "web", "worker", "beat"}
    assert SERVICES["postgres"]["image"] == "postgres:16"
    assert SERVICES["redis"]["image"] == "redis:7"
    assert SERVICES["cache"]["image"] == "redis:7"
    assert [SERVICES[name]["build"] for name in ("web", "worker", "beat")] == [".", ".", "."]


def test_web_command():
    assert steps("web") == [
        ["python", "manage.py", "migrate", "--noinput"],
        ["python", "manage.py", "load_demo"],
        ["gunicorn", "iqm_portal.wsgi:application", "--bind", "0.0.0.0:8000"],
    ]
    assert SERVICES["web"]["ports"] == ["8000:8000"]


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_every_program_exists(service):
    for argv in steps(service):
        check_program(argv)


def test_the_checks_catch_a_missing_program():
    for argv in (
        ["python", "manage.py", "load_demos"],
        ["gunicorn", "iqm_portal.wsgi:app"],
        ["celery", "-A", "accounts"],
    ):
        with pytest.raises((AssertionError, AttributeError, ImportError)):
            check_program(argv)


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_worker_and_beat_run_what_the_makefile_runs(service):
    assert steps(service) == makefile_recipe(service)


def test_makefile_recipes_are_parsed():
    assert makefile_recipe("worker") == [
        ["celery", "-A", "iqm_portal", "worker", "--loglevel=INFO", "--queues=iqm"]
    ]
    assert makefile_recipe("beat") == [["celery", "-A", "iqm_portal", "beat", "--loglevel=INFO"]]


def test_settings_variables_are_found():
    found = settings_variables()
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "EMAIL_URL",
    } <= found


def test_web_sets_only_variables_the_settings_read():
    environment = SERVICES["web"]["environment"]
    assert sorted(set(environment) - settings_variables()) == []
    assert {
        "DATABASE_URL",
        "REDIS_URL",
        "SECRET_KEY",
        "DEBUG",
        "ALLOWED_HOSTS",
        "SITE_URL",
        "EMAIL_URL",
    } <= set(environment)
    assert environment["DEBUG"] == "0"


def test_worker_and_beat_have_the_web_settings():
    assert SERVICES["worker"]["environment"] == SERVICES["web"]["environment"]
    assert SERVICES["beat"]["environment"] == SERVICES["web"]["environment"]


def test_urls_point_at_the_compose_services():
    environment = SERVICES["web"]["environment"]
    postgres = SERVICES["postgres"]["environment"]
    database = urlsplit(environment["DATABASE_URL"])
    assert (database.scheme, database.hostname, database.port) == ("postgres", "postgres", 5432)
    assert (database.username, database.password, database.path) == (
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
        "/" + postgres["POSTGRES_DB"],
    )
    redis = urlsplit(environment["REDIS_URL"])
    assert (redis.scheme, redis.hostname, redis.port) == ("redis", "redis", 6379)
    cache = urlsplit(environment["CACHE_URL"])
    assert (cache.scheme, cache.hostname, cache.port) == ("redis", "cache", 6379)


def test_web_waits_for_healthy_services():
    assert set(SERVICES["postgres"]["healthcheck"]) >= {"test"}
    assert set(SERVICES["redis"]["healthcheck"]) >= {"test"}
    assert set(SERVICES["cache"]["healthcheck"]) >= {"test"}
    assert SERVICES["web"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
        "cache": {"condition": "service_healthy"},
    }
    assert "http://127.0.0.1:8000/health/" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    for service in ("worker", "beat"):
        assert SERVICES[service]["depends_on"] == {"web": {"condition": "service_healthy"}}


def test_the_worker_is_healthy_when_the_portal_is_ready():
    """Its healthcheck asks web's /ready/, which reports this worker's heartbeat; with a Host
    header ALLOWED_HOSTS accepts."""
    probe = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert "http://web:8000/ready/" in probe
    host = probe.split("'Host': '")[1].split("'")[0]
    assert host in SERVICES["web"]["environment"]["ALLOWED_HOSTS"].split(",")


def test_the_broker_redis_persists_what_is_queued():
    """Queued tasks live only in Redis: an append-only file on a volume keeps them across a
    restart (tests/test_faults.py restarts one with tasks queued), and no key is evicted."""
    redis = SERVICES["redis"]
    assert redis["command"] == [
        "redis-server", "--appendonly", "yes", "--maxmemory-policy", "noeviction"
    ]  # fmt: skip
    assert redis["volumes"] == ["redis-data:/data"]
    assert "redis-data" in COMPOSE["volumes"]


def test_the_cache_redis_evicts_and_keeps_nothing():
    """The cache's Redis is bounded and makes room by evicting its least recently used keys, so
    the cache can never fill the broker's memory; it keeps nothing on disk (all is made again)."""
    assert SERVICES["cache"]["command"] == [
        "redis-server", "--maxmemory", "256mb", "--maxmemory-policy", "allkeys-lru",
        "--save", "", "--appendonly", "no",
    ]  # fmt: skip
    assert "volumes" not in SERVICES["cache"]

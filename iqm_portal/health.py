"""How the portal stands when a service it needs fails: the liveness and readiness checks
(`/health/`, `/ready/`), the workers' heartbeat the readiness check reads, and which database
errors mean the database cannot be reached (the 503 page, iqm_portal/views.py).

The checks report a status word per service and nothing else: no host names, addresses or error
texts, which go to the log instead, as the readiness answer is public.
"""

import logging
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, InterfaceError, OperationalError, connection

logger = logging.getLogger(__name__)

OK, FAILING, NOT_SEEN, NOT_USED = "ok", "failing", "not seen", "not used"
WORKER_SEEN_KEY = "health:worker-seen"  # when a Celery worker last said it was alive (Unix time)
PROBE = b"IQM Portal readiness probe"
REDIS_TIMEOUT = 2  # seconds: a readiness check that hangs is no answer


def note_worker_seen(**_signal_kwargs):
    """A Celery worker is alive and connected (celery.py connects this to `worker_ready` and to
    each event heartbeat, every two seconds). A failure here must never stop the worker."""
    try:
        cache.set(WORKER_SEEN_KEY, time.time(), timeout=None)
    except Exception as exc:  # noqa: BLE001 - Redis is down: the worker reconnects by itself
        logger.warning("Could not record the worker's heartbeat: %s", type(exc).__name__)


def check_database():
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("Readiness: the database does not answer", exc_info=True)
        # A broken connection is not reused by the next check.
        connection.close_if_unusable_or_obsolete()
        return {"status": FAILING}
    return {"status": OK}


def check_redis():
    """The broker's Redis (REDIS_URL)."""
    return _ping(settings.REDIS_URL, "the broker's Redis")


def check_cache():
    """The cache's Redis (CACHE_URL): REDIS_URL's again unless the cache has one of its own."""
    return _ping(settings.CACHE_URL, "the cache's Redis")


def _ping(url, what):
    if not url:
        return {"status": NOT_USED}  # a laptop: cache in memory, tasks in-process
    import redis

    client = redis.Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=REDIS_TIMEOUT
    )
    try:
        client.ping()
    except redis.RedisError:
        logger.warning("Readiness: %s does not answer", what, exc_info=True)
        return {"status": FAILING}
    finally:
        client.close()
    return {"status": OK}


def check_storage():
    """Write, read back and delete a small file where the portal keeps its files."""
    name = None
    try:
        name = default_storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(PROBE))
        with default_storage.open(name) as probe:
            readable = probe.read() == PROBE
        default_storage.delete(name)
        name = None
    except Exception:  # noqa: BLE001 - any storage backend's failure (OSError, botocore's...)
        logger.warning("Readiness: the file storage failed its probe", exc_info=True)
        return {"status": FAILING}
    finally:
        if name:
            _delete_quietly(name)
    return {"status": OK if readable else FAILING}


def _delete_quietly(name):
    try:
        default_storage.delete(name)
    except Exception:  # noqa: BLE001
        logger.warning("Readiness: could not delete the probe file %s", name, exc_info=True)


def check_worker():
    """Has a Celery worker been seen within WORKER_SEEN_WITHIN seconds?"""
    from .celery import app

    if app.conf.task_always_eager:
        return {"status": NOT_USED}  # tasks run in the web process itself
    try:
        seen = cache.get(WORKER_SEEN_KEY)
    except Exception:  # noqa: BLE001 - the cache's Redis is down: the cache check says so
        return {"status": FAILING}
    if seen is None:
        return {"status": NOT_SEEN}
    ago = max(0, round(time.time() - seen))
    status = OK if ago <= settings.WORKER_SEEN_WITHIN else NOT_SEEN
    return {"status": status, "last_seen_seconds_ago": ago}


CHECKS = {
    "database": check_database,
    "redis": check_redis,
    "cache": check_cache,
    "storage": check_storage,
    "worker": check_worker,
}


def readiness():
    """Every check's result, and whether the portal is ready: each is ok or not used."""
    checks = {name: check() for name, check in CHECKS.items()}
    ready = all(result["status"] in (OK, NOT_USED) for result in checks.values())
    return {"status": "ready" if ready else "not ready", "checks": checks}


# PostgreSQL's SQLSTATE classes meaning the connection, not the query, failed: 08 (connection
# exception) and 57P01-57P03 (the server is shutting down, was shut down, or cannot take
# connections yet). psycopg's own connection failures (refused, reset) carry none.
UNREACHABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_unreachable(exc):
    """Does `exc` mean the database cannot be reached now (stopped, restarting, network cut)?
    A deadlock or a bad query is an OperationalError too, but not this."""
    if isinstance(exc, InterfaceError):
        return True  # the connection is already closed
    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__  # psycopg's error: `sqlstate` in psycopg 3, `pgcode` in psycopg2
    sqlstate = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return sqlstate is None or sqlstate.startswith(UNREACHABLE_SQLSTATES)

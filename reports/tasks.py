"""Rendering a PDF in a worker, exactly once, within a time and a memory limit.

Claiming. A run renders a job only after moving it to "rendering" with a conditional UPDATE, so
one run wins. On PostgreSQL the run first takes a session advisory lock on the job and holds it for
the whole render. PostgreSQL releases that lock when the connection ends, which it does as soon as
the process holding it dies (SIGKILL, the out-of-memory killer, a crash). So a run that gets the
lock and finds the job "rendering" knows the run that claimed it is dead, and takes it over at once;
a run that cannot get the lock (a duplicate delivery while the first run is alive) does nothing.
On SQLite (a laptop: tasks run in-process and are never delivered twice) there is no such lock and
a "rendering" job is taken over only once STALE_AFTER has passed. The lock belongs to a database
session: behind a connection pooler such as PgBouncer, use session pooling for the workers.

Fencing. The claim's started_at is the run's token: every later write is conditional on it, so a
run that lost its job to another can change nothing, and only one run ends it done.

One file. The name the PDF will be stored under is written to the job before the file is stored,
so a run that takes a job over deletes whatever a killed run stored.

Limits. soft_time_limit ends a render that takes too long. The address space a render may add is
capped (settings.PDF_MEMORY_LIMIT_MB), so a runaway render raises MemoryError, or crashes its
worker process where a C library does not survive the failed allocation. Celery retries a task
whose worker process was lost (retry_on_worker_lost) up to MAX_RETRIES times; the last retry fails
the job instead of rendering it again, so a render that kills its worker cannot loop.

The sweep. Celery does not deliver again a task whose process was killed at the hard time limit, and
a queued task can be lost with the broker's data: `sweep_renders`, run by beat, fails the first kind
(too long) and queues the second again.
"""

import logging
import resource
import sys
import threading
from contextlib import contextmanager
from datetime import timedelta

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone
from django_scopes import scopes_disabled

from authorities.tasks import authority_task, enqueue

from . import render
from .models import RenderJob

log = logging.getLogger(__name__)
State = RenderJob.State

SOFT_TIME_LIMIT = 60  # seconds: then the render is given up as "took too long"
TIME_LIMIT = 90  # the worker process is killed after this
# Without advisory locks (SQLite), a job still "rendering" this long after it started lost its run.
STALE_AFTER = timedelta(seconds=TIME_LIMIT * 3)
MAX_RETRIES = 3
LOST_AFTER = timedelta(
    minutes=10
)  # a job still queued this long lost its task (e.g. Redis was emptied)
WORKER_LOST_RETRY_DELAY = 2  # seconds before a job whose worker process died is taken over
# The first of the two int4 keys of the jobs' advisory locks (pg_try_advisory_lock(int, int)): the
# second is the job's id (so ids up to 2**31). Another advisory lock in the portal needs another
# first key.
LOCK_NAMESPACE = 0x52454E44  # "REND"

TOO_LONG = (
    "It took too long to make this PDF (more than a minute), so it was stopped. Please try again; "
    "if it happens again, contact the portal's administrators."
)
TOO_LARGE = (
    "This document is too large to make as a PDF: it needed more memory than the portal allows "
    "for one document. Please contact the portal's administrators."
)
WORKER_LOST = (
    "The PDF could not be made: the process making it stopped before it had finished, several "
    "times. The document may be too large. It has been logged for the portal's administrators; "
    "please try again later."
)
NOT_STORED = "The PDF was made but could not be stored. Please try again later."
FAILED = (
    "The PDF could not be made because of an error in the portal. It has been logged for the "
    "portal's administrators; please try again later."
)


@authority_task(
    acks_late=True,
    reject_on_worker_lost=True,
    retry_on_worker_lost=True,
    default_retry_delay=WORKER_LOST_RETRY_DELAY,
    autoretry_for=(OSError,),
    retry_backoff=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def render_job(authority, job_id):
    """Render one job, once: see the module's docstring."""
    with job_lock(job_id) as held:
        if not held:
            return "not claimed"
        job = RenderJob.objects.filter(pk=job_id).first()
        if job is None or not may_take(job):
            return "not claimed"
        taken_over = job.state == State.RENDERING
        if not claim(job):
            return "not claimed"
        if taken_over and render_job.request.retries >= MAX_RETRIES:
            log.error(
                "Render job %s of authority %s lost its worker process again after %s retries.",
                job.pk,
                authority.pk,
                MAX_RETRIES,
            )
            _fail(job, WORKER_LOST)
            discard_stored(job)
            return "failed"
        return _render(authority, job)


@shared_task(name="reports.tasks.sweep_renders")
def sweep_renders() -> dict:
    """Fail the renders whose run died long ago without a retry, and queue again the lost jobs."""
    now = timezone.now()
    failed = 0
    with scopes_disabled():  # every authority's jobs: a periodic sweep
        for job in RenderJob.objects.filter(
            state=State.RENDERING, started_at__lt=now - STALE_AFTER
        ):
            with job_lock(job.pk) as held:
                if held and _claimed(job).update(
                    state=State.FAILED, error=TOO_LONG, file="", finished_at=now
                ):
                    discard_stored(job)
                    failed += 1
        lost = list(
            RenderJob.objects.filter(
                state=State.QUEUED, created_at__lt=now - LOST_AFTER
            ).values_list("authority_id", "pk")
        )
    for authority_id, job_id in lost:
        enqueue(render_job, authority_id, job_id)
    if failed or lost:
        log.warning(
            "Render sweep: %d stalled jobs failed, %d lost jobs queued again.", failed, len(lost)
        )
    return {"failed": failed, "queued": len(lost)}


def _has_advisory_locks():
    return connection.vendor == "postgresql"


@contextmanager
def job_lock(job_id):
    """Hold the job's advisory lock for the block; yields whether this run got it (another live run
    has it otherwise). Where the database has no such locks, yields True."""
    if not _has_advisory_locks():
        yield True
        return
    with connection.cursor() as cursor:
        # Should the worker's machine vanish, nothing would close its connection and PostgreSQL
        # would keep the lock for hours: probe an idle client, so the lock is freed within about
        # 90 s, long before Redis delivers the task again (CELERY_VISIBILITY_TIMEOUT).
        cursor.execute(
            "SET tcp_keepalives_idle = 60; SET tcp_keepalives_interval = 10; "
            "SET tcp_keepalives_count = 3"
        )
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_NAMESPACE, job_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_NAMESPACE, job_id])


def may_take(job) -> bool:
    """Whether this run, holding the job's lock, may claim it: a queued job, or one whose run
    died."""
    if job.state == State.QUEUED:
        return True
    if job.state != State.RENDERING:
        return False
    # The lock is free, so the connection of the run that claimed the job has ended: it died.
    return _has_advisory_locks() or job.started_at < timezone.now() - STALE_AFTER


def claim(job) -> bool:
    """Move the job, as it was read, to "rendering" with a new started_at (the run's token)."""
    now = timezone.now()
    claimed = RenderJob.objects.filter(
        pk=job.pk, state=job.state, started_at=job.started_at
    ).update(state=State.RENDERING, started_at=now, error="")
    if claimed != 1:
        return False
    job.state, job.started_at, job.error = State.RENDERING, now, ""
    return True


def _claimed(job):
    """The job, for as long as this run's claim holds."""
    return RenderJob.objects.filter(pk=job.pk, state=State.RENDERING, started_at=job.started_at)


def discard_stored(job):
    """Delete the file an earlier run of the job may have stored before it died or was retried."""
    if job.file:
        job.file.storage.delete(job.file.name)


def store(job, pdf) -> str:
    """Store the PDF under a new name, written to the job first so that a run taking the job over
    can delete the file should this run die before the job is done."""
    field = job.file.field
    name = field.generate_filename(job, "render.pdf")
    _claimed(job).update(file=name)
    return job.file.storage.save(name, ContentFile(pdf), max_length=field.max_length)


def _fail(job, reason):
    _claimed(job).update(state=State.FAILED, error=reason, file="", finished_at=timezone.now())


def _render(authority, job):
    try:
        discard_stored(job)
        with memory_limit(settings.PDF_MEMORY_LIMIT_MB):
            pdf = render.write_pdf(job.html)
        pages = render.count_pages(pdf)
        name = store(job, pdf)
    except SoftTimeLimitExceeded:
        log.warning("Render job %s of authority %s took too long.", job.pk, authority.pk)
        _fail(job, TOO_LONG)
        return "failed"
    except MemoryError:
        log.warning(
            "Render job %s of authority %s went over its memory limit.", job.pk, authority.pk
        )
        _fail(job, TOO_LARGE)
        return "failed"
    except OSError:
        if render_job.request.retries < MAX_RETRIES:
            # Back to the queue so the retry can claim it again.
            _claimed(job).update(state=State.QUEUED)
            raise
        log.exception("Render job %s of authority %s could not be stored.", job.pk, authority.pk)
        _fail(job, NOT_STORED)
        return "failed"
    except Exception:
        log.exception("Render job %s of authority %s failed.", job.pk, authority.pk)
        _fail(job, FAILED)
        return "failed"
    if (
        _claimed(job).update(state=State.DONE, file=name, pages=pages, finished_at=timezone.now())
        != 1
    ):
        job.file.storage.delete(
            name
        )  # another run took the job over meanwhile: its file is the one
        return "not claimed"
    return "done"


_rlimit_lock = threading.Lock()


@contextmanager
def memory_limit(megabytes):
    """Let this process's address space grow by at most `megabytes` in the block, so that a runaway
    render raises MemoryError instead of exhausting the machine (Linux; 0: no limit). The limit is
    the whole process's: the lock keeps renders in two threads (in-process tasks in a threaded
    server) from undoing each other's limit."""
    if not megabytes or not sys.platform.startswith("linux"):
        yield
        return
    with _rlimit_lock:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = _address_space() + megabytes * 1024 * 1024
        for cap in (soft, hard):
            if cap != resource.RLIM_INFINITY:
                limit = min(limit, cap)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
        try:
            yield
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    """This process's virtual memory size in bytes (what RLIMIT_AS limits)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()

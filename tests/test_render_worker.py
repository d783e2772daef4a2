"""A PDF is rendered exactly once even when its worker is killed mid-render, and a render has a
memory limit after which it fails cleanly.

The tests marked `real_worker` start real `celery -A iqm_portal worker` processes (prefork, one
child) on the test database, the test Redis and the test's storage folder, and SIGKILL them."""

import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django_scopes import scopes_disabled
from pypdf import PdfReader

from iqm_portal.celery import app
from reports import render, tasks
from reports.models import RenderJob, report_path

from .factories import AuthorityFactory
from .storage import STORAGE_ENVIRONMENT
from .test_worker import wait_for

BASE_DIR = Path(__file__).resolve().parent.parent
State = RenderJob.State
VISIBILITY_TIMEOUT = 4  # seconds: the workers' CELERY_VISIBILITY_TIMEOUT, short for the test
SECTIONS = 1000  # about 200 pages: several seconds to render, time enough to kill the worker


# --- Workers in subprocesses ---------------------------------------------------------------------


@dataclass
class Worker:
    process: subprocess.Popen
    log: Path

    def kill(self):
        """SIGKILL the worker's whole process group: the main process and its pool's child."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def kill_child(self):
        """SIGKILL the pool's child process only: the main process lives on and sees it lost."""
        with open(f"/proc/{self.process.pid}/task/{self.process.pid}/children") as children:
            (child,) = map(int, children.read().split())
        os.kill(child, signal.SIGKILL)

    def output(self):
        return self.log.read_text(errors="replace")


def worker_environment(settings):
    """This test's database (the one pytest-django created), Redis and storage folder."""
    database_url = urlsplit(os.environ["DATABASE_URL"])._replace(
        path="/" + settings.DATABASES["default"]["NAME"]
    )
    environment = {
        name: value for name, value in os.environ.items() if name not in STORAGE_ENVIRONMENT
    }
    environment.update(
        DATABASE_URL=database_url.geturl(),
        REDIS_URL=settings.REDIS_URL,
        CACHE_URL=settings.CACHE_URL,
        STORAGE_BACKEND="filesystem",
        MEDIA_ROOT=str(default_storage.location),
        CELERY_VISIBILITY_TIMEOUT=str(VISIBILITY_TIMEOUT),
        PYTHONUNBUFFERED="1",
    )
    return environment


def empty_broker(settings):
    """No message left in the queue, nor unacknowledged, by an earlier run of the tests."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        channel.queue_purge(settings.CELERY_TASK_DEFAULT_QUEUE)
        channel.client.delete(
            channel.unacked_key, channel.unacked_index_key, channel.unacked_mutex_key
        )


def unacknowledged_deliveries():
    """When each message delivered and not yet acknowledged was delivered (Unix time)."""
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        return [
            score
            for _, score in channel.client.zrange(channel.unacked_index_key, 0, -1, withscores=True)
        ]


@pytest.fixture
def start_worker(transactional_db, settings, tmp_path):
    """start_worker() starts one more worker; every one is killed when the test ends."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "make test sets REDIS_URL"
    assert app.conf.task_always_eager is False
    empty_broker(settings)
    environment = worker_environment(settings)
    started = []

    def start():
        log = tmp_path / f"worker-{len(started) + 1}.log"
        with open(log, "wb") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "iqm_portal",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    f"--queues={settings.CELERY_TASK_DEFAULT_QUEUE}",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    f"--hostname=render-test-{len(started) + 1}@%h",
                ],
                cwd=BASE_DIR,
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started.append(Worker(process, log))
        return started[-1]

    try:
        yield start
    finally:
        for worker in started:
            worker.kill()


def renders_done(*workers):
    """How many runs of render_job the workers logged as done."""
    done = re.compile(r"reports\.tasks\.render_job\[[^\]]+\] succeeded in [0-9.]+s: 'done'")
    return sum(len(done.findall(worker.output())) for worker in workers)


# --- Jobs --------------------------------------------------------------------------------------


@pytest.fixture
def authority(db):
    return AuthorityFactory(name="Bath & North East Somerset", slug="bathnes")


def make_job(authority, html):
    with scopes_disabled():
        return RenderJob.objects.create(
            authority=authority,
            kind=RenderJob.Kind.CERTIFICATE,
            object_id=1,
            input_hash=render.input_hash(RenderJob.Kind.CERTIFICATE, html),
            html=html,
        )


def slow_job(authority):
    sentence = "The school's inclusion work, evidenced across every element of the framework. " * 8
    return make_job(
        authority, "".join(f"<h2>Section {n}</h2><p>{sentence}</p>" for n in range(1, SECTIONS + 1))
    )


def reload(job):
    with scopes_disabled():
        return RenderJob.objects.get(pk=job.pk)


def stored_pdfs(authority):
    folder = f"reports/{authority.pk}"
    return (
        sorted(f"{folder}/{name}" for name in default_storage.listdir(folder)[1])
        if default_storage.exists(folder)
        else []
    )


def read_pdf(job):
    with default_storage.open(job.file.name, "rb") as handle:
        return PdfReader(BytesIO(handle.read()))


def render_on_a_new_worker(start_worker, authority):
    """A slow job sent to a new worker, once that worker's run has claimed it. Returns the job, the
    worker and the run's started_at."""
    job = slow_job(authority)
    worker = start_worker()
    tasks.render_job.delay(authority.pk, job.pk)
    assert wait_for(lambda: reload(job).state == State.RENDERING, 60)
    return job, worker, reload(job).started_at


def assert_rendered_once(job, workers, run_started_at):
    """The job ends done, by the run that started at `run_started_at`, with one complete file, and
    the workers logged one run of the task as done."""
    assert wait_for(lambda: reload(job).state == State.DONE, 120)
    job = reload(job)
    assert (job.started_at, job.error) == (run_started_at, "")
    assert stored_pdfs(job.authority) == [job.file.name]
    reader = read_pdf(job)
    assert len(reader.pages) == job.pages > 100
    assert f"Section {SECTIONS}" in reader.pages[-1].extract_text()
    assert wait_for(lambda: renders_done(*workers) >= 1)  # the main process logs it just after
    for worker in workers:
        worker.kill()
    assert renders_done(*workers) == 1


def next_run(job, killed_run_started_at):
    """When the run that took the job over started; it must have done so at once, not after
    STALE_AFTER: the killed run's advisory lock died with it."""
    assert wait_for(lambda: reload(job).started_at != killed_run_started_at, 60)
    started_at = reload(job).started_at
    assert killed_run_started_at < started_at < killed_run_started_at + tasks.STALE_AFTER
    return started_at


# --- Killed workers ------------------------------------------------------------------------------


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_render_then_restarted_renders_the_job_exactly_once(
    start_worker, authority
):
    job, first, killed_run_started_at = render_on_a_new_worker(start_worker, authority)
    first.kill()

    assert reload(job).state == State.RENDERING
    assert not reload(job).file and stored_pdfs(authority) == []
    # Nothing acknowledged the message and nothing put it back: Redis holds it as unacknowledged
    # and gives it to the next worker that starts once it is older than the visibility timeout.
    (delivered_at,) = unacknowledged_deliveries()
    time.sleep(max(0.0, delivered_at + VISIBILITY_TIMEOUT + 0.5 - time.time()))

    second = start_worker()
    assert_rendered_once(job, [first, second], next_run(job, killed_run_started_at))
    assert unacknowledged_deliveries() == []


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_second_delivery_while_the_render_runs_does_nothing(start_worker, authority):
    job, worker, started_at = render_on_a_new_worker(start_worker, authority)
    # Run here, in another process with its own connection: the worker's run holds the job's lock.
    assert tasks.render_job(authority.pk, job.pk) == "not claimed"
    assert (reload(job).state, reload(job).started_at) == (State.RENDERING, started_at)
    assert_rendered_once(job, [worker], started_at)


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_render_whose_worker_process_dies_is_taken_over_at_once(start_worker, authority):
    job, worker, killed_run_started_at = render_on_a_new_worker(start_worker, authority)
    worker.kill_child()
    assert_rendered_once(job, [worker], next_run(job, killed_run_started_at))
    assert "WorkerLostError" in worker.output()


@pytest.mark.real_worker
@pytest.mark.django_db(transaction=True)
def test_a_render_that_keeps_killing_its_worker_process_fails_with_a_reason(
    start_worker, authority
):
    job, worker, run_started_at = render_on_a_new_worker(start_worker, authority)
    for _ in range(tasks.MAX_RETRIES - 1):
        worker.kill_child()
        run_started_at = next_run(job, run_started_at)
    worker.kill_child()

    # The last retry fails the job instead of rendering it a fourth time.
    assert wait_for(lambda: reload(job).state == State.FAILED, 60)
    job = reload(job)
    assert job.error == tasks.WORKER_LOST
    assert not job.file and stored_pdfs(authority) == []
    assert renders_done(worker) == 0


# --- In this process ---------------------------------------------------------------------------

SMALL = "<h1>Certificate</h1><p>Chandag Infant</p>"


def test_a_takeover_deletes_the_file_the_killed_run_stored(authority):
    job = make_job(authority, SMALL)
    # The run was killed after storing its file, before marking the job done.
    orphan = default_storage.save(report_path(job, "render.pdf"), ContentFile(b"%PDF-1.7 partial"))
    with scopes_disabled():
        RenderJob.objects.filter(pk=job.pk).update(
            state=State.RENDERING, started_at=job.created_at, file=orphan
        )

    assert tasks.render_job(authority.pk, job.pk) == "done"
    job = reload(job)
    assert job.file.name != orphan
    assert stored_pdfs(authority) == [job.file.name]


def test_a_run_whose_job_was_taken_over_meanwhile_changes_and_keeps_nothing(authority, monkeypatch):
    job = make_job(authority, SMALL)
    real = render.write_pdf

    def taken_over_while_rendering(html):
        with scopes_disabled():  # what another run's claim does
            RenderJob.objects.filter(pk=job.pk).update(
                started_at=reload(job).started_at + tasks.STALE_AFTER
            )
        return real(html)

    monkeypatch.setattr(render, "write_pdf", taken_over_while_rendering)
    assert tasks.render_job(authority.pk, job.pk) == "not claimed"
    assert (reload(job).state, reload(job).file.name) == (State.RENDERING, "")
    assert stored_pdfs(authority) == []


def test_a_render_over_its_memory_limit_fails_cleanly_and_the_next_render_succeeds(
    authority, settings
):
    import resource

    render.write_pdf(SMALL)  # WeasyPrint's libraries loaded before the limit
    limits = resource.getrlimit(resource.RLIMIT_AS)
    settings.PDF_MEMORY_LIMIT_MB = 1
    too_large = make_job(authority, "<p>" + "word " * 2_000_000 + "</p>")
    assert tasks.render_job(authority.pk, too_large.pk) == "failed"
    too_large = reload(too_large)
    assert (too_large.state, too_large.error) == (State.FAILED, tasks.TOO_LARGE)
    assert too_large.error.startswith("This document is too large to make as a PDF")
    assert not too_large.file and stored_pdfs(authority) == []
    assert resource.getrlimit(resource.RLIMIT_AS) == limits

    settings.PDF_MEMORY_LIMIT_MB = 1024
    assert tasks.render_job(authority.pk, make_job(authority, SMALL).pk) == "done"


def test_the_broker_gives_back_a_lost_message_only_after_the_longest_render():
    assert app.conf.broker_transport_options["visibility_timeout"] >= 3 * tasks.TIME_LIMIT
    assert app.conf.worker_max_memory_per_child > 0
    assert (
        tasks.render_job.retry_on_worker_lost and tasks.render_job.max_retries == tasks.MAX_RETRIES
    )


def test_postgresql_frees_the_lock_of_a_vanished_worker_before_redis_delivers_its_task_again(
    authority, settings
):
    from django.db import connection

    assert tasks.render_job(authority.pk, make_job(authority, SMALL).pk) == "done"
    with connection.cursor() as cursor:
        probes = []
        for name in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count"):
            cursor.execute(f"SHOW {name}")
            probes.append(int(cursor.fetchone()[0].rstrip("s")))
    idle, interval, count = probes
    assert (
        0
        < idle + interval * count
        < settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] / 2
    )

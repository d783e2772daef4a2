import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.db.models import Q
from django.utils import timezone

from iqm_portal.tasks import authority_task

from . import render
from .models import RenderJob

log = logging.getLogger(__name__)

SOFT_TIME_LIMIT = 60  # seconds: then the render is given up as "took too long"
TIME_LIMIT = 90  # the worker process is killed after this
# A job still "rendering" this long after it started lost its worker (killed, out of memory):
# the redelivered task (acks_late, reject_on_worker_lost) may take it over.
STALE_AFTER = timedelta(seconds=TIME_LIMIT * 3)
MAX_RETRIES = 3

TOO_LONG = "It took too long to make this PDF (more than a minute), so it was stopped. Please try again; if it happens again, contact the portal's administrators."
NOT_STORED = "The PDF was made but could not be stored. Please try again later."
FAILED = "The PDF could not be made because of an error in the portal. It has been logged for the portal's administrators; please try again later."


def _fail(job_id, reason):
    RenderJob.objects.filter(pk=job_id, state=RenderJob.State.RENDERING).update(
        state=RenderJob.State.FAILED, error=reason, finished_at=timezone.now())


@authority_task(acks_late=True, reject_on_worker_lost=True, autoretry_for=(OSError,), retry_backoff=True,
                max_retries=MAX_RETRIES, soft_time_limit=SOFT_TIME_LIMIT, time_limit=TIME_LIMIT)
def render_job(authority, job_id):
    """Render one job, once. Claiming it is a conditional UPDATE queued -> rendering: the one run
    that changes the row renders; any other run (a duplicate delivery, a second request) returns."""
    now = timezone.now()
    claimable = Q(state=RenderJob.State.QUEUED) | Q(state=RenderJob.State.RENDERING, started_at__lt=now - STALE_AFTER)
    claimed = RenderJob.objects.filter(claimable, pk=job_id).update(state=RenderJob.State.RENDERING, started_at=now, error="")
    if claimed != 1:
        return "not claimed"
    job = RenderJob.objects.get(pk=job_id)
    try:
        pdf = render.write_pdf(job.html)
        pages = render.count_pages(pdf)
        job.file.save("render.pdf", ContentFile(pdf), save=False)
    except SoftTimeLimitExceeded:
        log.warning("Render job %s of authority %s took too long.", job_id, authority.pk)
        _fail(job_id, TOO_LONG)
        return "failed"
    except OSError:
        if render_job.request.retries < MAX_RETRIES:
            # Back to the queue so the retry can claim it again.
            RenderJob.objects.filter(pk=job_id, state=RenderJob.State.RENDERING).update(state=RenderJob.State.QUEUED)
            raise
        log.exception("Render job %s of authority %s could not be stored.", job_id, authority.pk)
        _fail(job_id, NOT_STORED)
        return "failed"
    except Exception:
        log.exception("Render job %s of authority %s failed.", job_id, authority.pk)
        _fail(job_id, FAILED)
        return "failed"
    RenderJob.objects.filter(pk=job_id, state=RenderJob.State.RENDERING).update(
        state=RenderJob.State.DONE, file=job.file.name, pages=pages, finished_at=timezone.now())
    return "done"

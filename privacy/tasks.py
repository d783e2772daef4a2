"""The privacy workers: making a subject access export, deleting expired exports, and the evidence
retention policy (both by beat, daily or hourly: iqm_portal/settings.py)."""

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.utils import timezone

from authorities.tasks import authority_task

from . import domain
from .models import SubjectAccessExport

log = logging.getLogger(__name__)
State = SubjectAccessExport.State

FAILED = (
    "The export could not be made because of an error in the portal. It has been logged for the "
    "portal's administrators; please ask for it again."
)
TOO_LONG = "It took too long to make this export, so it was stopped. Please ask for it again."


@authority_task(acks_late=True, soft_time_limit=120, time_limit=150)
def build_export(authority, export_id):
    """Make one export, once: the run that moves it from queued to building makes it."""
    if not SubjectAccessExport.objects.filter(pk=export_id, state=State.QUEUED).update(
        state=State.BUILDING
    ):
        return "not claimed"
    export = SubjectAccessExport.objects.select_related("authority", "person").get(pk=export_id)
    try:
        domain.build(export)
    except SoftTimeLimitExceeded:
        _fail(export, TOO_LONG)
        return "failed"
    except Exception:
        log.exception("Subject access export %s of authority %s failed.", export_id, authority.pk)
        _fail(export, FAILED)
        return "failed"
    return "done"


def _fail(export, reason):
    domain.delete_files(SubjectAccessExport.objects.get(pk=export.pk))
    SubjectAccessExport.objects.filter(pk=export.pk).update(
        state=State.FAILED, error=reason, json_file="", pdf_file="", finished_at=timezone.now()
    )


@shared_task(name="privacy.tasks.expire_exports")
def expire_exports() -> int:
    return domain.expire_exports()


@shared_task(name="privacy.tasks.apply_evidence_retention")
def apply_evidence_retention() -> int:
    deleted = domain.apply_retention()
    if deleted:
        log.info("Evidence retention: %d files deleted.", deleted)
    return deleted

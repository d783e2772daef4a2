import os

from celery import Celery
from celery.signals import heartbeat_sent, worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "iqm_portal.settings")

app = Celery("iqm_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_ready.connect
@heartbeat_sent.connect
def _worker_seen(**kwargs):
    """/ready/ asks whether a worker was seen lately (iqm_portal/health.py)."""
    from .health import note_worker_seen

    note_worker_seen()

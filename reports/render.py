"""Building a PDF's HTML, and asking for a PDF.

Each kind of PDF names its model, template and context in KINDS; the HTML is rendered when the PDF
is asked for, hashed with the kind, and kept with the job, so the same input renders once and the
worker renders exactly what was hashed.
"""

import hashlib
import io
from dataclasses import dataclass
from typing import Callable

from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from iqm_portal.tasks import enqueue

from .fetcher import BASE_URL, fetcher
from .models import RenderJob


@dataclass(frozen=True)
class Kind:
    model: Callable  # returns the model class (imported late)
    template: str
    context: Callable  # obj -> template context
    filename: Callable  # obj -> download name
    school: Callable  # obj -> the school whose staff may see it (None: authority staff only)


def _award_model():
    from moderation.models import Award

    return Award


def _certificate_context(award):
    return {"award": award, "school": award.school, "authority": award.authority, "tier": award.get_tier_display()}


KINDS = {
    RenderJob.Kind.CERTIFICATE: Kind(
        model=_award_model,
        template="reports/certificate.html",
        context=_certificate_context,
        filename=lambda award: f"iqm-certificate-{award.school.pk}-{award.awarded_on:%Y}.pdf",
        school=lambda award: award.school,
    ),
}


def kind_of(kind) -> Kind:
    return KINDS[RenderJob.Kind(kind)]


def build_html(kind, obj) -> str:
    """The document's HTML. Templates autoescape everything users typed."""
    spec = kind_of(kind)
    return render_to_string(spec.template, spec.context(obj))


def input_hash(kind, html) -> str:
    return hashlib.sha256(f"{RenderJob.Kind(kind).value}\0{html}".encode()).hexdigest()


def subject_of(job):
    """The object a job's PDF is about, through its scoped manager (None if it is gone)."""
    return kind_of(job.kind).model().objects.filter(pk=job.object_id).first()


def request_render(authority, kind, obj, by):
    """The job for this PDF: the done (or queued, or rendering) one for the same input if there is
    one, else a new job queued for a worker once the transaction commits."""
    html = build_html(kind, obj)
    digest = input_hash(kind, html)
    live = RenderJob.objects.filter(authority=authority, kind=kind, input_hash=digest,
                                    state__in=[RenderJob.State.QUEUED, RenderJob.State.RENDERING, RenderJob.State.DONE])
    existing = live.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = RenderJob.objects.create(authority=authority, kind=kind, object_id=obj.pk, input_hash=digest, html=html,
                                           requested_by=by)
    except IntegrityError:
        # Someone asked for the same input at the same moment: theirs is the one.
        return live.get()
    from .tasks import render_job

    enqueue(render_job, authority.pk, job.pk)
    return job


def write_pdf(html) -> bytes:
    """HTML to PDF bytes, with every resource fetched through the static-only fetcher."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher()).write_pdf()


def count_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)

"""Building a PDF's HTML, and asking for a PDF.

Each kind of PDF names in KINDS its subjects (the objects it is made from), its template and
context, who may have it and when it can be made; the HTML is rendered when the PDF is asked for,
hashed with the kind, and kept with the job, so the same input renders once and the worker renders
exactly what was hashed. The certificate and the plaque's artwork have pages of their own; the other
documents extend templates/reports/document.html and share static/css/print.css.
"""

import hashlib
import io
import threading
from dataclasses import dataclass
from typing import Callable

from django.db import IntegrityError, transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils.formats import date_format
from django.utils.safestring import mark_safe
from django.utils.timezone import localtime

from accounts.models import Membership, Role
from accounts.roles import is_authority_admin
from assessments.domain import element_rows
from assessments.models import Cycle
from assessments.workflow import may_see_report, may_view_cycle, may_view_school
from authorities.tasks import enqueue
from awards import logo
from awards.models import Award
from moderation.models import Decision, Report
from plaintext import neutralise

from .fetcher import BASE_URL, fetcher
from .models import RenderJob


@dataclass(frozen=True)
class Kind:
    queryset: Callable  # returns the subjects, with what the template reads
    template: str
    context: Callable  # subject -> template context
    filename: Callable  # subject -> download name
    may_have: Callable  # (person, subject) -> whether they may have it: the workflow's predicates
    about: Callable  # subject -> what the PDF is about, in words
    unavailable: Callable = lambda subject: None  # subject -> why it cannot be made yet, or None


def _awards():
    return Award.objects.select_related("school", "authority")


def _certificate_context(award):
    decision = award.decision
    return {
        "award": award,
        "school": award.school,
        "authority": award.authority,
        "tier": award.get_tier_display(),
        # The award's own mark, as the seal between the two signatures.
        "seal": mark_safe(logo.svg(award)),
        "chair": decision.recorded_by if decision else None,
    }


def _plaque_context(award):
    # The artwork is drawn by awards.logo, which escapes the names it puts in the SVG's title.
    return {
        "award": award,
        "school": award.school,
        "tier": award.get_tier_display(),
        "artwork": mark_safe(logo.plaque_svg(award)),
        "width": logo.PLAQUE_WIDTH,
        "height": logo.PLAQUE_HEIGHT,
    }


def _reports():
    return Report.objects.select_related(
        "cycle__school__area",
        "cycle__authority",
        "cycle__framework",
        "cycle__visit",
    ).prefetch_related("findings", "signed_by", "cycle__framework__elements")


def _report_context(report):
    cycle = report.cycle
    findings = {finding.element_id: finding for finding in report.findings.all()}
    return {
        "report": report,
        "cycle": cycle,
        "school": cycle.school,
        "authority": cycle.authority,
        "visit": getattr(cycle, "visit", None),
        "rows": [(element, findings.get(element.pk)) for element in cycle.framework.elements.all()],
        "moderators": sorted(report.signed_by.all(), key=lambda person: person.full_name),
    }


def _cycles():
    return Cycle.objects.select_related("school__area", "authority", "framework", "mentor")


def _summary_context(cycle):
    # The mentor's ratings are in the summary once validated, for every reader of the same file.
    return {
        "cycle": cycle,
        "school": cycle.school,
        "authority": cycle.authority,
        "rows": element_rows(cycle, with_reviews=cycle.validated_at is not None),
        "targets": cycle.targets.select_related("element", "lead"),
    }


def _summary_unavailable(cycle):
    if cycle.submitted_at is None:
        return (
            "The self-review summary can be made once the school has submitted its self-review "
            "to the mentor."
        )
    return None


def _certificate_unavailable(award):
    if award.withdrawn_at:
        return (
            "This award was withdrawn when the panel's decision was corrected: "
            "it has no certificate."
        )
    return None


def _plaque_unavailable(award):
    if award.withdrawn_at:
        return "This award was withdrawn when the panel's decision was corrected: it has no plaque."
    return None


def _decisions():
    return Decision.objects.select_related(
        "cycle__school", "cycle__authority", "recorded_by", "award", "corrects", "correction"
    )


def _letter_about(decision):
    recorded_on = date_format(localtime(decision.recorded_at), "j F Y")
    return f"{decision.cycle}: the panel's decision of {recorded_on}"


def _letter_context(decision):
    cycle = decision.cycle
    head = (
        Membership.objects.filter(school=cycle.school, role=Role.HEAD_TEACHER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return {
        "decision": decision,
        "cycle": cycle,
        "school": cycle.school,
        "authority": cycle.authority,
        "award": getattr(decision, "award", None),
        "head": head.user if head else None,
    }


KINDS = {
    RenderJob.Kind.CERTIFICATE: Kind(
        queryset=_awards,
        template="reports/certificate.html",
        context=_certificate_context,
        filename=lambda award: f"iqm-certificate-{award.school.pk}-{award.awarded_on:%Y}.pdf",
        may_have=lambda person, award: may_view_school.test(person, award.school),
        about=str,
        unavailable=_certificate_unavailable,
    ),
    # The plaque maker's artwork: the authority admin orders the plaques.
    RenderJob.Kind.PLAQUE: Kind(
        queryset=_awards,
        template="reports/plaque.html",
        context=_plaque_context,
        filename=lambda award: f"iqm-plaque-{award.school.pk}-{award.awarded_on:%Y}.pdf",
        may_have=lambda person, award: is_authority_admin.test(person, award),
        about=str,
        unavailable=_plaque_unavailable,
    ),
    RenderJob.Kind.REPORT: Kind(
        queryset=_reports,
        template="reports/report.html",
        context=_report_context,
        filename=lambda report: (
            f"iqm-assessment-report-{report.cycle.school_id}-{report.cycle_id}.pdf"
        ),
        may_have=lambda person, report: may_see_report.test(person, report.cycle),
        about=lambda report: str(report.cycle),
        unavailable=lambda report: (
            None
            if report.finalised_at
            else (
                "The report is still a draft: it can be made into a PDF once both moderators "
                "have signed it."
            )
        ),
    ),
    RenderJob.Kind.SUMMARY: Kind(
        queryset=_cycles,
        template="reports/summary.html",
        context=_summary_context,
        filename=lambda cycle: f"iqm-self-review-summary-{cycle.school_id}-{cycle.pk}.pdf",
        may_have=may_view_cycle.test,
        about=str,
        unavailable=_summary_unavailable,
    ),
    RenderJob.Kind.LETTER: Kind(
        queryset=_decisions,
        template="reports/letter.html",
        context=_letter_context,
        filename=lambda decision: (
            f"iqm-decision-letter-{decision.cycle.school_id}-{decision.pk}.pdf"
        ),
        may_have=lambda person, decision: may_view_cycle.test(person, decision.cycle),
        about=_letter_about,
    ),
}


def cycle_documents(cycle, person) -> list:
    """(kind, subject) of each PDF of a cycle that the person may have and that can be made now:
    the self-review summary once submitted; once decided, the report and the latest decision's
    letter."""
    documents = [(RenderJob.Kind.SUMMARY, cycle)]
    if cycle.state == cycle.State.DECIDED:
        documents += [
            (RenderJob.Kind.REPORT, Report.objects.filter(cycle=cycle).first()),
            (RenderJob.Kind.LETTER, Decision.objects.filter(cycle=cycle).last()),
        ]
    return [
        (kind, subject)
        for kind, subject in documents
        if subject is not None
        and not kind_of(kind).unavailable(subject)
        and kind_of(kind).may_have(person, subject)
    ]


def kind_of(kind) -> Kind:
    return KINDS[RenderJob.Kind(kind)]


def require_subject_access(person, kind, obj) -> None:
    """Only someone who may see the PDF's subject (the workflow says who); to anyone else it does
    not exist."""
    if not kind_of(kind).may_have(person, obj):
        raise Http404


def subject_for(person, kind, pk):
    """The subject of a PDF of this kind, if the person may have it; else a 404."""
    subject = get_object_or_404(kind_of(kind).queryset(), pk=pk)
    require_subject_access(person, kind, subject)
    return subject


def job_for(person, job_pk) -> tuple[RenderJob, object]:
    """A job of this authority (another authority's is a 404 through the scoped manager) whose
    subject the person may see, and that subject. Whether it may still be had (not a withdrawn
    award's certificate) is `kind_of(job.kind).unavailable(subject)`."""
    job = get_object_or_404(RenderJob.objects.all(), pk=job_pk)
    return job, subject_for(person, job.kind, job.object_id)


def pdf_response(job, subject) -> FileResponse:
    """A done job's PDF, as an attachment that no browser runs or keeps (after the checks)."""
    response = FileResponse(
        job.file.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=kind_of(job.kind).filename(subject),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def build_html(kind, obj) -> str:
    """The document's HTML. Templates autoescape everything users typed, and the whole page is
    neutralised (plaintext): no bidirectional override or invisible character typed before they
    were removed at input, or arriving in bulk, can make an official document read otherwise."""
    spec = kind_of(kind)
    return neutralise(
        render_to_string(spec.template, {"title": RenderJob.Kind(kind).label, **spec.context(obj)})
    )


def input_hash(kind, html) -> str:
    return hashlib.sha256(f"{RenderJob.Kind(kind).value}\0{html}".encode()).hexdigest()


def request_render(authority, kind, obj, by):
    """The job for this PDF: the done (or queued, or rendering) one for the same input if there is
    one, else a new job queued for a worker once the transaction commits."""
    html = build_html(kind, obj)
    digest = input_hash(kind, html)
    live = RenderJob.objects.filter(
        authority=authority,
        kind=kind,
        input_hash=digest,
        state__in=[RenderJob.State.QUEUED, RenderJob.State.RENDERING, RenderJob.State.DONE],
    )
    existing = live.first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            job = RenderJob.objects.create(
                authority=authority,
                kind=kind,
                object_id=obj.pk,
                input_hash=digest,
                html=html,
                requested_by=by,
            )
    except IntegrityError:
        # Someone asked for the same input at the same moment: theirs is the one.
        return live.get()
    from .tasks import render_job

    enqueue(render_job, authority.pk, job.pk)
    return job


_fonts = threading.local()


def font_config():
    """This thread's WeasyPrint font configuration, kept from one render to the next. A new one for
    each render leaks about 0.25 MB of fontconfig memory a render (`make bench-pdf` shows it); every
    document declares the same shipped fonts, which a kept configuration loads once."""
    if not hasattr(_fonts, "config"):
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config = FontConfiguration()
    return _fonts.config


def write_pdf(html) -> bytes:
    """HTML to PDF bytes, with every resource fetched through the static-only fetcher."""
    import weasyprint

    return weasyprint.HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher()).write_pdf(
        font_config=font_config()
    )


def count_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)

from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from authorities.access import authority_view

from . import render as pdfs
from .models import RenderJob


def get_job(request, job_pk):
    """A job of this authority whose subject the visitor may see (reports.render.job_for)."""
    return pdfs.job_for(request.user, job_pk)


def unavailable(request, kind, subject):
    """The page that says why this PDF cannot be had now, or None if it can."""
    if reason := pdfs.kind_of(kind).unavailable(subject):
        return render(
            request,
            "reports/unavailable.html",
            {"kind": RenderJob.Kind(kind), "reason": reason},
            status=403,
        )
    return None


@require_POST
@authority_view()
def request_pdf(request, authority_slug, kind, pk):
    """Ask for the PDF of one subject; `kind` comes from the URL pattern, never from the visitor."""
    subject = pdfs.subject_for(request.user, kind, pk)
    if refused := unavailable(request, kind, subject):
        return refused
    job = pdfs.request_render(request.authority, kind, subject, request.user)
    return redirect("reports:job", authority_slug, job.pk)


@require_GET
@authority_view()
def job(request, authority_slug, job_pk):
    job, subject = get_job(request, job_pk)
    if refused := unavailable(request, job.kind, subject):
        return refused
    retry_url = None
    if job.state == RenderJob.State.FAILED:
        retry_url = reverse(f"reports:{job.kind}", args=[authority_slug, job.object_id])
    return render(
        request,
        "reports/job.html",
        {"job": job, "about": pdfs.kind_of(job.kind).about(subject), "retry_url": retry_url},
    )


@require_GET
@authority_view()
def download(request, authority_slug, job_pk):
    """PDFs are served only through here, after the access check, as attachments."""
    job, subject = get_job(request, job_pk)
    if refused := unavailable(request, job.kind, subject):
        return refused
    if job.state != RenderJob.State.DONE or not job.file:
        return redirect("reports:job", authority_slug, job.pk)
    return pdfs.pdf_response(job, subject)

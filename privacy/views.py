from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts.domain import people_of
from authorities.access import ADMIN, authority_view

from . import domain
from .models import SubjectAccessExport

CONTENT_TYPES = {"json": "application/json", "pdf": "application/pdf"}


def get_person(request, person_pk):
    """A person this authority holds data about; anyone else is "not found"."""
    return get_object_or_404(people_of(request.authority), pk=person_pk)


@require_GET
@authority_view(*ADMIN)
def data(request, authority_slug, person_pk):
    person = get_person(request, person_pk)
    exports = SubjectAccessExport.objects.filter(person=person).select_related("requested_by")[:20]
    return render(
        request,
        "privacy/data.html",
        {
            "person": person,
            "exports": exports,
            "in_progress": any(e.in_progress for e in exports),
            "tenancy": domain.tenancy_note(request.authority),
            "valid_days": settings.PRIVACY_EXPORT_VALID_DAYS,
        },
    )


@require_POST
@authority_view(*ADMIN)
def request_export(request, authority_slug, person_pk):
    person = get_person(request, person_pk)
    domain.request_export(authority=request.authority, person=person, by=request.user)
    messages.success(
        request, "The export has been asked for. This page says when it is ready to download."
    )
    return redirect("privacy:data", authority_slug, person.pk)


@require_GET
@authority_view(*ADMIN)
def download(request, authority_slug, person_pk, export_pk, kind):
    """Served only through here, to the authority's admins, while the export has not expired."""
    person = get_person(request, person_pk)
    export = get_object_or_404(SubjectAccessExport, pk=export_pk, person=person)
    if not export.downloadable:
        return render(request, "privacy/expired.html", {"person": person}, status=410)
    file = export.json_file if kind == "json" else export.pdf_file
    response = FileResponse(
        file.open("rb"),
        content_type=CONTENT_TYPES[kind],
        as_attachment=True,
        filename=f"subject-access-{authority_slug}-{person.pk}-{export.created_at:%Y%m%d}.{kind}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@authority_view(*ADMIN)
def erase_check(request, authority_slug, person_pk):
    """The check page before erasure: what will happen, and that it cannot be undone."""
    person = get_person(request, person_pk)
    plan = domain.erasure_plan(authority=request.authority, person=person, by=request.user)
    return _check_page(request, person, plan)


@require_POST
@authority_view(*ADMIN)
def erase(request, authority_slug, person_pk):
    person = get_person(request, person_pk)
    name = str(person)
    try:
        plan = domain.erase(authority=request.authority, person=person, by=request.user)
    except ValidationError:
        plan = domain.erasure_plan(authority=request.authority, person=person, by=request.user)
        return _check_page(request, person, plan, status=409)
    messages.success(
        request,
        f"{name} has been erased."
        if plan.erases_account
        else f"{name} has been erased from {request.authority.name}.",
    )
    return redirect("people:list", authority_slug)


def _check_page(request, person, plan, status=200):
    return render(
        request,
        "privacy/erase_check.html",
        {
            "person": person,
            "plan": plan,
            "blocked": plan.blocked,
            "confirm_url": reverse("privacy:erase", args=[request.authority.slug, person.pk]),
            "confirm_label": "Erase this person",
            "back_url": reverse("people:person", args=[request.authority.slug, person.pk]),
            "told": [],
            "erased_name": domain.erased_name(person),
        },
        status=status,
    )

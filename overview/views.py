from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from accounts.roles import may_see_overview
from authorities.access import authority_view

from . import domain


def _require(request):
    if not may_see_overview.test(request.user, request.authority):
        raise PermissionDenied


@require_safe
@authority_view()
def page(request, authority_slug):
    _require(request)
    authority, today = request.authority, timezone.localdate()

    def draw() -> str:
        return render_to_string(
            "overview/_figures.html",
            {"authority": authority, "figures": domain.figures(authority, today)},
        )

    figures = mark_safe(domain.kept(authority, today, draw))
    return render(request, "overview/overview.html", {"figures": figures})


@require_safe
@authority_view()
def figure_csv(request, authority_slug, figure):
    _require(request)
    today = timezone.localdate()
    try:
        found = domain.figure(request.authority, figure, today)
    except KeyError:
        raise Http404("No such figure.") from None
    response = HttpResponse(found.csv(), content_type="text/csv; charset=utf-8")
    filename = f"{request.authority.slug}-{found.slug}-{today:%Y-%m-%d}.csv"
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response

import rules
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from authorities.access import ADMIN, authority_view

from . import domain, logo
from .domain import current_awards
from .forms import PlaqueForm
from .models import Plaque

PAGE_SIZE = 25


@require_GET
@authority_view()
def award_logo(request, authority_slug, school_pk, pk, extension):
    """The logo of a current award, for whoever may see the school (the workflow's rule)."""
    award = get_object_or_404(
        current_awards(school_pk).select_related("school", "authority"), pk=pk
    )
    if not rules.has_perm("schools.view_school", request.user, award.school):
        raise Http404("No such award.")
    svg = logo.svg(award)
    etag = logo.etag(svg, extension)
    response = get_conditional_response(request, etag=etag)
    if response is None:
        body, content_type = (
            (svg, "image/svg+xml") if extension == "svg" else (logo.png(svg), "image/png")
        )
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = content_disposition_header(
            True, logo.filename(award, extension)
        )
        response["X-Content-Type-Options"] = "nosniff"
    response["ETag"] = etag
    # Not kept, like every response to a signed-in person (iqm_portal/middleware.py).
    return response


@require_GET
@authority_view(*ADMIN)
def plaque_list(request, authority_slug):
    """The authority's awards in force with their plaque: to order, ordered or sent."""
    status = request.GET.get("status")
    status = Plaque.Status(status) if status in Plaque.Status.values else None
    awards = domain.plaques(status).order_by("school__name", "pk")
    counts = domain.plaque_counts()
    return render(
        request,
        "awards/plaque_list.html",
        {
            "page": Paginator(awards, PAGE_SIZE).get_page(request.GET.get("page")),
            "status": status,
            "filters": [(s, s.label, counts[s.value]) for s in Plaque.Status],
            "total": sum(counts.values()),
        },
    )


def _award_in_force(pk):
    return get_object_or_404(domain.awards_in_force().select_related("school", "plaque"), pk=pk)


def _plaque_page(request, award, form):
    return render(
        request,
        "awards/plaque.html",
        {"award": award, "plaque": getattr(award, "plaque", None), "form": form},
    )


@require_GET
@authority_view(*ADMIN)
def plaque(request, authority_slug, pk):
    award = _award_in_force(pk)
    recorded = getattr(award, "plaque", None)
    initial = {"ordered_on": recorded.ordered_on, "sent_on": recorded.sent_on} if recorded else {}
    return _plaque_page(request, award, PlaqueForm(initial=initial))


@require_POST
@authority_view(*ADMIN)
def plaque_record(request, authority_slug, pk):
    award = _award_in_force(pk)
    form = PlaqueForm(request.POST)
    if form.is_valid():
        try:
            domain.record_plaque(award=award, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"The plaque of {award.school.name} is saved.")
            return redirect("awards:plaques", authority_slug)
    return _plaque_page(request, award, form)

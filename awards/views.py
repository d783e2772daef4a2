import rules
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from authorities.access import authority_view

from . import logo
from .domain import current_awards


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
    # Private: only signed-in staff may fetch it. An hour, then a cheap revalidation by ETag.
    response["Cache-Control"] = "private, max-age=3600"
    return response

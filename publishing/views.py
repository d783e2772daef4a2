from datetime import date, datetime
from functools import wraps

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe

from authorities import public_pages, stamps
from authorities.access import ADMIN, authority_view
from authorities.replica import from_replica
from plaintext import neutralise, neutralised

from . import domain
from .models import Publication

# A version never changes, so its rendering could be kept for ever; an hour lets a new release's
# templates show without clearing the cache.
CACHE_SECONDS = 60 * 60


def _readable(areas):
    """The areas with their dates as dates, for the templates (the document keeps ISO 8601 text)."""
    return [
        {
            **area,
            "schools": [
                {
                    **school,
                    "awarded_on": date.fromisoformat(school["awarded_on"]),
                    "expires_on": date.fromisoformat(school["expires_on"]),
                }
                for school in area["schools"]
            ],
        }
        for area in areas
    ]


# The authority admin's pages


def _proposal(authority):
    """The list as it would be published now, the current publication, and what would change."""
    document = domain.proposed_list(authority)
    current = domain.current_publication(authority)
    return document, current, domain.changes(current.content if current else None, document)


@authority_view(*ADMIN)
def preview(request, authority_slug):
    document = domain.proposed_list(request.authority)
    current = domain.find(request.authority)  # its content read only to render the changes

    def proposal() -> str:
        """The changes since the current version and the list marked with them: hundreds of
        rows, rendered once for this list and this version."""
        changes = domain.changes(current.content if current else None, document)
        return render_to_string(
            "publishing/_proposal.html",
            {
                "current": current,
                "changes": changes,
                "areas": _readable(changes.marked(document)),
                "working_towards": document["working_towards"],
            },
        )

    version = current.version if current else 0
    return render(
        request,
        "publishing/preview.html",
        {
            "document": document,
            "current": current,
            "next_version": version + 1,
            "proposal": mark_safe(
                domain.kept_with_list(request.authority, f"preview:v{version}", proposal)
            ),
        },
    )


@authority_view(*ADMIN)
def publish(request, authority_slug):
    """GET asks to confirm; POST publishes exactly the list that was confirmed."""
    error = None
    if request.method == "POST":
        try:
            publication = domain.publish(
                request.authority, request.user, confirmed=request.POST.get("confirmed", "")
            )
        except ValidationError as refused:
            error = refused.messages[0]
        else:
            messages.success(request, f"Version {publication.version} of the list is published.")
            return redirect("publishing:history", authority_slug)
    document, current, changes = _proposal(request.authority)
    next_version = current.version + 1 if current else 1
    return render(
        request,
        "publishing/publish.html",
        {
            "document": document,
            "current": current,
            "changes": changes,
            "error": error,
            "awarded": sum(len(area["schools"]) for area in document["areas"]),
            "next_version": next_version,
            "confirmed": domain.fingerprint(next_version, document),
        },
        status=409 if error else 200,
    )


@authority_view(*ADMIN)
def history(request, authority_slug):
    publications = (
        Publication.objects.filter(authority=request.authority)
        .defer("content")
        .select_related("published_by")
        .annotate(awarded=Count("schools"))
        .order_by("-version")
    )
    page = Paginator(publications, 25).get_page(request.GET.get("page"))
    return render(request, "publishing/history.html", {"page": page})


# The public pages: the latest publication, or the version asked for


def _public_list(view):
    """A public page of one publication, the current one or the version in the URL; a page that
    says so when there is none. The view gets the publication, its content unread."""

    @require_safe
    @authority_view(public=True)
    @public_pages.kept(public_pages.of_authority)
    @neutralised
    @from_replica
    @wraps(view)
    def wrapper(request, authority_slug, version=None):
        publication = domain.find(request.authority, version)
        if publication is None:
            return render(
                request, "publishing/not_published.html", {"version": version}, status=404
            )
        return view(request, publication)

    return wrapper


def _cached(publication, kind, make) -> str:
    """The publication rendered as `kind`, made once per version: a version is never edited, and
    publishing makes a new version, so a key with the version is never stale (but after a restore,
    which may number a new version as one before it: hence the EVERYTHING stamp)."""
    everything = stamps.stamp(stamps.EVERYTHING)
    key = f"publishing:{publication.authority_id}:v{publication.version}:{everything}:{kind}"
    text = cache.get(key)
    if text is None:
        text = neutralise(make(publication.content))  # a version published before input was clean
        cache.set(key, text, CACHE_SECONDS)
    return text


def _list_html(content) -> str:
    return render_to_string(
        "publishing/_published_list.html",
        {
            "content": content,
            "published_at": datetime.fromisoformat(content["published_at"]),
            "areas": _readable(content["areas"]),
        },
    )


@_public_list
def awards(request, publication):
    return render(
        request,
        "publishing/awards.html",
        {
            "publication": publication,
            "list_html": mark_safe(_cached(publication, "html", _list_html)),
            "earlier": range(publication.version - 1, 0, -1),
        },
    )


@_public_list
def awards_json(request, publication):
    response = HttpResponse(
        _cached(publication, "json", domain.as_json), content_type="application/json"
    )
    response["Access-Control-Allow-Origin"] = "*"  # open data: other sites may read it
    return response


@_public_list
def awards_csv(request, publication):
    # With a byte order mark, so that spreadsheets read the names as UTF-8.
    response = HttpResponse(
        "\ufeff" + _cached(publication, "csv", domain.as_csv),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"{request.authority.slug}-awards-v{publication.version}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response

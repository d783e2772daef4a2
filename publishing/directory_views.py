"""The national directory's public pages: /awards/, and each school as its authority published
it."""

from functools import wraps

from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.vary import vary_on_headers
from django_scopes import scopes_disabled

from authorities import public_pages
from authorities.replica import from_replica
from plaintext import neutralised
from schools.models import School

from . import directory


def national(view):
    """The directory reads every authority's published rows (publishing/directory.py): the whole
    view, rendering too, runs outside any one authority's scope, as the querysets it builds are
    read only when the page is rendered (the database's row-level security would otherwise show
    none of them: authorities/rls.py). It reads from the read replica when there is one."""

    @from_replica
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        with scopes_disabled():
            return view(request, *args, **kwargs)

    return wrapped


@login_not_required
@vary_on_headers("HX-Request")  # the same address answers htmx with the results alone
@public_pages.kept(public_pages.of_nation, params=directory.QUERY)
@neutralised
@national
def search(request):
    results = directory.find(request.GET)
    live = request.htmx and not request.htmx.history_restore_request
    return render(
        request,
        "publishing/directory_update.html" if live else "publishing/directory.html",
        {"results": results, "tiers": directory.TIERS, "phases": list(School.Phase)},
    )


@login_not_required
@public_pages.kept(public_pages.of_nation)
@neutralised
@national
def school(request, authority, urn):
    published = directory.published_school(authority, urn)
    if published is None:
        raise Http404("The current published lists name no such school.")
    return render(
        request,
        "publishing/directory_school.html",
        {"school": published, "nearest": directory.nearest_by_tier(published)},
    )

"""The public pages kept rendered in the cache (Redis): an authority's published list, as a page,
JSON and CSV, in every version, and the national directory. A visitor who is not signed in gets
the page from two cache reads, a stamp and the page, and no table is read.

A page is kept under a stamp of what it shows (authorities/stamps.py): its authority's, renewed
by `changed(authority_id)` when the authority publishes (a Publication saved, publishing/apps.py),
is renamed (saved), or one of its pages is rated (its feedback box shows the score); or the
nation's, renewed by `changed(..., national=True)` on any publication or renaming. Pages also
expire by themselves: after an hour, or ten minutes for an address with a query (a search), which
visitors can make as many of as they like; they are kept compressed.

What differs from one visitor to the next is never kept: a signed-in visitor, or one with a
message waiting, gets the page rendered afresh; a page's forms (page feedback) carry each
visitor's own CSRF token, put back into the kept page as it is served.
"""

import hashlib
import re
import zlib
from functools import wraps

from django.contrib.messages import get_messages
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token

from . import stamps

PAGE_SECONDS = 60 * 60
SEARCH_SECONDS = 10 * 60
NATIONAL = "public:national"
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Access-Control-Allow-Origin")
# Escaped wherever a page shows text, so only a form's own token field can hold it.
TOKEN = b"<csrf-token>"
TOKEN_FIELD = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*"')


def _authority(authority_id) -> str:
    return f"public:authority:{authority_id}"


def changed(authority_id, *, national=False) -> None:
    """What the authority's public pages show has changed (and the directory's, if `national`)."""
    stamps.renew(_authority(authority_id), *([NATIONAL] if national else []))


def authority_saved(sender, instance, **kwargs) -> None:
    changed(instance.pk, national=True)


def of_authority(request) -> str:
    return _authority(request.authority.pk)


def of_nation(request) -> str:
    return NATIONAL


def kept(stamp_of, params=()):
    """A view decorator: the page kept under the stamp `stamp_of(request)` names, per address
    (path, the query's `params` alone, and whether htmx asks for a part of the page)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not _same_for_everyone(request):
                return view(request, *args, **kwargs)
            name = stamp_of(request)
            key = _key(request, name, stamps.stamp(name), params)
            page = cache.get(key)
            if page is not None:
                return _served(request, page)
            response = view(request, *args, **kwargs)
            if response.status_code in (200, 404) and not response.streaming:
                seconds = SEARCH_SECONDS if request.GET else PAGE_SECONDS
                cache.set(key, _kept(response), seconds)
            return response

        return wrapper

    return decorator


def _same_for_everyone(request) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.user.is_authenticated
        and not get_messages(request)
    )


def _key(request, name, stamp, params) -> str:
    query = sorted((param, request.GET[param]) for param in params if param in request.GET)
    htmx = [request.headers.get(h, "") for h in ("HX-Request", "HX-History-Restore-Request")]
    address = repr((request.path, query, htmx, _release())).encode()
    return f"{name}:{stamp}:{hashlib.sha256(address).hexdigest()}"


def _release() -> str:
    """The static files' manifest: a page names them by hashed names, which a new release may
    remove."""
    return getattr(staticfiles_storage, "manifest_hash", "")


def _kept(response) -> dict:
    content = response.content
    form = TOKEN_FIELD.search(content) is not None
    if form:
        content = TOKEN_FIELD.sub(rb"\1" + TOKEN + b'"', content)
    return {
        "status": response.status_code,
        "headers": {h: response[h] for h in KEPT_HEADERS if response.has_header(h)},
        "content": zlib.compress(content, 1),
        "form": form,
    }


def _served(request, page) -> HttpResponse:
    content = zlib.decompress(page["content"])
    if page["form"]:
        content = content.replace(TOKEN, get_token(request).encode())
    return HttpResponse(content, status=page["status"], headers=page["headers"])

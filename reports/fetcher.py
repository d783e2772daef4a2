"""The only way WeasyPrint reaches a resource while rendering a PDF.

It serves the project's own static files, found through django.contrib.staticfiles' finders by a
path under STATIC_URL, and small inline PNG or JPEG images (data: URLs). Everything else is
refused: file://, http(s)://, ftp://, other data: types, paths outside STATIC_URL and any path
with '..' in it. A refusal raises an exception, which WeasyPrint treats as a failed fetch: it logs
a warning and renders without the resource. Nothing is read from the network, nor from the disk
outside the static folders.
"""

import base64
import binascii
import mimetypes
import re
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from weasyprint.urls import URLFetcher, URLFetcherResponse

# The base URL documents are rendered with: relative and root-relative URLs resolve against it, so
# "/static/fonts/x.ttf" arrives here as BASE_URL + "static/fonts/x.ttf". The host is reserved
# (.invalid) and never contacted.
BASE_URL = "https://iqm-portal.invalid/"
DATA_IMAGE_TYPES = {"image/png", "image/jpeg"}
MAX_DATA_BYTES = 100 * 1024
_DATA_URL = re.compile(
    r"^data:(?P<type>[a-z0-9.+/-]+)(?P<params>(;[^,;]*)*?)(?P<base64>;base64)?,(?P<data>.*)$",
    re.I | re.S,
)
_EXTRA_TYPES = {
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".css": "text/css",
}


class Refused(ValueError):
    """A resource the PDF renderer may not fetch."""


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, **kwargs):
        super().__init__(
            allowed_protocols=(), allow_redirects=False, fail_on_errors=False, **kwargs
        )

    def fetch(self, url, headers=None):
        if url[:5].lower() == "data:":
            return _data_image(url)
        return _static_file(url)

    # open() is what urllib would call; keep it on the same path.
    def open(self, url, data=None, timeout=None):
        return self.fetch(url if isinstance(url, str) else url.full_url)


def _data_image(url):
    match = _DATA_URL.match(url)
    if not match:
        raise Refused("Malformed data: URL.")
    media_type = match["type"].lower()
    if media_type not in DATA_IMAGE_TYPES:
        raise Refused(f"data: URLs may only hold PNG or JPEG images, not {media_type}.")
    if not match["base64"]:
        raise Refused("Inline images must be base64-encoded.")
    encoded = match["data"]
    if len(encoded) > MAX_DATA_BYTES * 4 // 3 + 4:
        raise Refused("Inline image larger than 100 KB.")
    try:
        body = base64.b64decode(unquote(encoded), validate=True)
    except (binascii.Error, ValueError) as error:
        raise Refused("Inline image is not valid base64.") from error
    if len(body) > MAX_DATA_BYTES:
        raise Refused("Inline image larger than 100 KB.")
    return URLFetcherResponse("data:", body, {"Content-Type": media_type})


def static_path(url):
    """The path under STATIC_URL that `url` names, or Refused."""
    if any(c in url for c in "\\\x00\r\n\t"):
        raise Refused("Unexpected characters in the URL.")
    if url.startswith(BASE_URL):
        path = "/" + url[len(BASE_URL) :]
    elif url.startswith("/") and not url.startswith("//"):
        path = url
    else:
        raise Refused("Only the portal's own static files may be used in a PDF.")
    parts = urlsplit(path)
    path = parts.path
    static_url = (
        settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL
    )
    if not path.startswith(static_url):
        raise Refused("Only the portal's own static files may be used in a PDF.")
    relative = unquote(path[len(static_url) :])
    segments = PurePosixPath(relative).parts
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or ".." in relative.split("/")
        or ".." in segments
    ):
        raise Refused("Path not allowed.")
    return relative


def _static_file(url):
    relative = static_path(url)
    try:
        found = finders.find(relative)
    except Exception as error:  # SuspiciousFileOperation from safe_join, and the like
        raise Refused("Path not allowed.") from error
    if not found:
        raise Refused(f"No static file {relative}.")
    suffix = PurePosixPath(relative).suffix.lower()
    media_type = (
        _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(relative)[0] or "application/octet-stream"
    )
    with open(found, "rb") as handle:
        body = handle.read()
    return URLFetcherResponse(
        BASE_URL + url.lstrip("/") if url.startswith("/") else url,
        body,
        {"Content-Type": media_type},
    )


def fetcher():
    return StaticOnlyFetcher()

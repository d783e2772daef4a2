"""Serving an evidence file, the one way: the browser's download and the API's both come here.

The caller has already fetched the item through a cycle the person may see (a 404 otherwise).
`open_checked` then refuses a file deleted under the retention policy and one whose bytes no
longer match the SHA-256 recorded at upload; `file_response` serves it with headers that keep
a browser from running it."""

import hashlib
import logging

from django.http import FileResponse

from .models import EvidenceItem

log = logging.getLogger(__name__)


class FileGone(Exception):
    """The file was deleted under the retention policy (the item and its record are kept)."""


class FileDamaged(Exception):
    """The stored bytes are not those uploaded: the file is not served."""


def open_checked(item: EvidenceItem):
    """The item's stored file, open for reading, once its content is verified against its
    SHA-256. The item must have a file (a link has none)."""
    stored = item.file
    if stored.file_deleted_at:
        raise FileGone(stored.retention_note)
    digest = hashlib.sha256()
    with stored.file.open("rb") as handle:
        for chunk in handle.chunks():
            digest.update(chunk)
    if digest.hexdigest() != stored.sha256:
        log.error(
            "Evidence file %s of authority %s does not match its SHA-256: not served.",
            stored.file.name,
            stored.authority_id,
        )
        raise FileDamaged(
            "The stored file is not the same as when it was uploaded, so it is not served."
        )
    return stored.file.open("rb")


def file_response(item: EvidenceItem, handle) -> FileResponse:
    """The file as a download (or inline, for the types a browser shows safely), never sniffed
    and never allowed to run anything."""
    stored = item.file
    response = FileResponse(
        handle,
        content_type=stored.content_type,
        as_attachment=not stored.shown_inline,
        filename=item.original_name or f"evidence.{stored.extension}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response

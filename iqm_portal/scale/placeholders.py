"""The scale data's evidence files: tiny PDFs, images and text files, each made from its authority
and number (so the same every time) and stored once under the authority's folder, as uploads are."""

import hashlib
from dataclasses import dataclass
from io import BytesIO

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from portfolios.uploads import ALLOWED_TYPES

EXTENSIONS = ("pdf", "pdf", "png", "txt")


@dataclass(frozen=True)
class Stored:
    name: str
    sha256: str
    size: int
    content_type: str
    extension: str


def placeholder(authority_id: int, number: int) -> Stored:
    extension = EXTENSIONS[number % len(EXTENSIONS)]
    text = f"IQM scale data: evidence {number + 1} of authority {authority_id}"
    if extension == "png":  # a colour of its own: the number and the authority's id
        content = _png((number % 256, authority_id % 256, authority_id // 256 % 256))
    else:
        content = _pdf(text) if extension == "pdf" else text.encode()
    name = f"portfolios/{authority_id}/scale-{number + 1:03d}.{extension}"
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(content))
        assert saved == name, saved
    return Stored(
        name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        size=len(content),
        content_type=ALLOWED_TYPES[extension][0],
        extension=extension,
    )


def _pdf(text: str) -> bytes:
    """A one-page PDF saying `text`, with its cross-reference table."""
    stream = f"BT /F1 14 Tf 72 770 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    table = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        table,
    )
    return out


def _png(colour: tuple) -> bytes:
    image = Image.new("RGB", (64, 48), colour)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()

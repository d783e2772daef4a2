"""The one place that decides whether an uploaded file is safe to keep.

The type is decided from the content (magic bytes, via `filetype`), never from the name or
the browser's Content-Type; the name's extension must then agree with it. Each refusal is an
`UploadRefused` whose message names the file and tells the uploader what to do.

Active content is REFUSED, never cleaned: PDFs with JavaScript, launch actions or files attached
inside them, and Office files with macros. Evidence is kept exactly as the school made it (its
SHA-256 is recorded at submission and the moderators and panel see those bytes); a cleaned copy
would be a different document that nobody at the school has read, and a cleaner that removes a
script can also break the page it sat on without anyone noticing. The school can always make a
clean copy itself (print to PDF, save as .docx) and knows what it is then submitting.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from typing import Callable

import filetype
import pypdf
from django.core.files.uploadedfile import UploadedFile
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

ALLOWED_TYPES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", "PDF"),
    "doc": ("application/msword", "Word"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word"),
    "xls": ("application/vnd.ms-excel", "Excel"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel"),
    "ppt": ("application/vnd.ms-powerpoint", "PowerPoint"),
    "pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint",
    ),
    "odt": ("application/vnd.oasis.opendocument.text", "OpenDocument text"),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet"),
    "odp": ("application/vnd.oasis.opendocument.presentation", "OpenDocument presentation"),
    "jpg": ("image/jpeg", "JPEG"),
    "png": ("image/png", "PNG"),
    "txt": ("text/plain", "plain text"),
}
ALLOWED_SUMMARY = "PDF, Word, Excel, PowerPoint, OpenDocument, JPEG, PNG or plain text"

NAME_ALIASES = {"jpeg": "jpg"}
# filetype calls an animated PNG "apng"; it is still a PNG that Pillow verifies as one.
DETECTED_ALIASES = {"apng": "png"}
ARCHIVES = {
    "zip",
    "rar",
    "7z",
    "tar",
    "gz",
    "tgz",
    "bz2",
    "xz",
    "z",
    "lz",
    "lz4",
    "lzo",
    "zst",
    "br",
    "cab",
    "ar",
    "deb",
    "rpm",
}
ZIPPED_OFFICE = {"docx", "xlsx", "pptx", "odt", "ods", "odp"}
OLE_OFFICE = {"doc", "xls", "ppt"}
# Office's own extensions for files that carry macros (and add-ins and templates, which do too).
MACRO_EXTENSIONS = {
    "docm": "Word Document (.docx)",
    "dotm": "Word Document (.docx)",
    "xlsm": "Excel Workbook (.xlsx)",
    "xltm": "Excel Workbook (.xlsx)",
    "xlsb": "Excel Workbook (.xlsx)",
    "xlam": "Excel Workbook (.xlsx)",
    "pptm": "PowerPoint Presentation (.pptx)",
    "potm": "PowerPoint Presentation (.pptx)",
    "ppsm": "PowerPoint Presentation (.pptx)",
    "ppam": "PowerPoint Presentation (.pptx)",
}
SAVE_AS = {
    "docx": "Word Document (.docx)",
    "xlsx": "Excel Workbook (.xlsx)",
    "pptx": "PowerPoint Presentation (.pptx)",
    "doc": "Word Document (.docx)",
    "xls": "Excel Workbook (.xlsx)",
    "ppt": "PowerPoint Presentation (.pptx)",
    "odt": "OpenDocument Text (.odt) with no macros",
    "ods": "OpenDocument Spreadsheet (.ods) with no macros",
    "odp": "OpenDocument Presentation (.odp) with no macros",
}

MAX_NAME_LENGTH = 200
MAX_ZIP_ENTRIES = 2_000
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
SNIFF_BYTES = 64 * 1024
MARKUP = (b"<html", b"<!doctype", b"<script", b"<svg", b"<?xml", b"<iframe", b"javascript:")
TEXT_ENCODINGS = ("utf-8-sig", "cp1252")  # utf-8-sig also reads UTF-8 without a BOM
JPEG_TRAILER_ALLOWED = b"\x00 \t\r\n\x0b\x0c"
# Bytes that may follow 0xFF inside JPEG entropy-coded data: a stuffed zero, a fill byte
# or a restart marker. Anything else is the marker that ends the scan.
JPEG_IN_SCAN = {0x00, 0xFF, *range(0xD0, 0xD8)}


class UploadRefused(Exception):
    """self.message: one sentence the uploader can act on (e.g. names the allowed types)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Inspected:
    extension: str  # canonical lower-case extension, e.g. "pdf", "docx", "jpg"
    content_type: str  # the MIME type we will serve it with, from ALLOWED_TYPES
    size: int
    sha256: str  # hex digest of the whole content
    name: str  # the cleaned original file name (kept as data only, never used as a path)


def inspect_upload(uploaded: UploadedFile, *, max_bytes: int) -> Inspected:
    """Return what the file is, or raise UploadRefused. Leaves `uploaded` rewound."""
    try:
        name = _clean_name(uploaded.name or "")
        extension = _extension(name)
        size, sha256, head = _read(uploaded, name, max_bytes)
        _check_content(uploaded, name, extension, head, size)
        return Inspected(extension, ALLOWED_TYPES[extension][0], size, sha256, name)
    finally:
        uploaded.seek(0)


# Names ---------------------------------------------------------------------------------------


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cf")


def _q(name: str) -> str:
    """The name as shown in a message: invisible characters made visible, long names cut."""
    shown = "".join("\N{REPLACEMENT CHARACTER}" if _is_control(c) else c for c in name)
    return f"“{shown[:60]}…”" if len(shown) > 60 else f"“{shown}”"


def _clean_name(raw: str) -> str:
    if "/" in raw or "\\" in raw:
        raise UploadRefused(
            f"{_q(raw)} has a folder path in its name: "
            "rename it without / or \\ and upload it again."
        )
    if any(_is_control(c) for c in raw):
        raise UploadRefused(
            f"{_q(raw)} has a hidden control character in its name: rename it and upload it again."
        )
    name = unicodedata.normalize("NFC", raw.strip())
    if len(name) > MAX_NAME_LENGTH:
        raise UploadRefused(
            f"{_q(name)} has a name longer than {MAX_NAME_LENGTH} characters: "
            "give it a shorter name and upload it again."
        )
    return name


def _name_extension(name: str) -> str:
    """The extension as written in the name, lower-cased ("" if none)."""
    _, dot, extension = name.rpartition(".")
    return extension.lower() if dot else ""


def _extension(name: str) -> str:
    written = _name_extension(name)
    if not written:
        raise UploadRefused(
            f"{_q(name)} has no file extension such as .pdf or .docx: "
            "add the right one and upload it again."
        )
    if written in MACRO_EXTENSIONS:
        raise UploadRefused(
            f"{_q(name)} is an Office file with macros, which could run code on the computer of "
            f"whoever opens it: save it as a {MACRO_EXTENSIONS[written]} or as PDF and upload that."
        )
    if written in ARCHIVES:
        raise UploadRefused(
            f"{_q(name)} is an archive; archives are not accepted: upload the documents themselves."
        )
    extension = NAME_ALIASES.get(written, written)
    if extension not in ALLOWED_TYPES:
        raise UploadRefused(
            f"{_q(name)} is not a type of file we accept: upload {ALLOWED_SUMMARY} files."
        )
    return extension


# Content -------------------------------------------------------------------------------------


def _megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f}".removesuffix(".0")


def _read(uploaded: UploadedFile, name: str, max_bytes: int) -> tuple[int, str, bytes]:
    """Size, sha256 and the first SNIFF_BYTES, reading in chunks and stopping past max_bytes."""
    too_big = UploadRefused(
        f"{_q(name)} is larger than the {_megabytes(max_bytes)} MB limit: "
        "make it smaller or split it into parts, then upload it again."
    )
    if uploaded.size is not None and uploaded.size > max_bytes:
        raise too_big
    digest, size, head = hashlib.sha256(), 0, bytearray()
    for chunk in uploaded.chunks():
        size += len(chunk)
        if size > max_bytes:
            raise too_big
        digest.update(chunk)
        if len(head) < SNIFF_BYTES:
            head += chunk[: SNIFF_BYTES - len(head)]
    if size == 0:
        raise UploadRefused(
            f"{_q(name)} is empty: check you chose the right file and upload it again."
        )
    return size, digest.hexdigest(), bytes(head)


def _label(extension: str) -> str:
    return ALLOWED_TYPES[extension][1]


def _a(label: str) -> str:
    return f"an {label}" if label[0].upper() in "AEIOU" else f"a {label}"


def _damaged(name: str, extension: str) -> UploadRefused:
    return UploadRefused(
        f"{_q(name)} is not a readable {_label(extension)} file: it may be damaged; "
        "open it, save it again and upload it."
    )


def _check_content(
    uploaded: UploadedFile, name: str, extension: str, head: bytes, size: int
) -> None:
    kind = filetype.guess(head)
    if kind is None:
        _check_undetected(uploaded, name, extension, head)
        return
    detected = kind.extension.lower()
    detected = DETECTED_ALIASES.get(detected, detected)
    if detected != extension:
        raise _mismatch(name, detected)
    if check := CONTENT_CHECKS.get(extension):
        check(uploaded, name, extension, size)


def _mismatch(name: str, detected: str) -> UploadRefused:
    q, written = _q(name), _name_extension(name)
    if detected in ALLOWED_TYPES:
        return UploadRefused(
            f"{q} is {_a(_label(detected))} file with a .{written} name: "
            "rename it or upload the original."
        )
    if detected in ARCHIVES:
        return UploadRefused(
            f"{q} is an archive with a .{written} name; archives are not accepted: "
            "upload the documents themselves."
        )
    return UploadRefused(
        f"{q} is {_a(detected.upper())} file with a .{written} name; "
        f"we accept only {ALLOWED_SUMMARY} files."
    )


def _check_undetected(uploaded: UploadedFile, name: str, extension: str, head: bytes) -> None:
    """No magic bytes: only plain text is acceptable, and not markup dressed up as text."""
    lowered = head.lower()
    if any(marker in lowered for marker in MARKUP):
        raise UploadRefused(
            f"{_q(name)} looks like a web page or SVG; those are not accepted: "
            "save it as PDF and upload that."
        )
    if extension != "txt":
        raise _damaged(name, extension)
    if not any(_is_text(uploaded, encoding) for encoding in TEXT_ENCODINGS):
        raise UploadRefused(
            f"{_q(name)} is not plain text we can read: "
            "save it as UTF-8 text or as PDF and upload it again."
        )


def _is_text(uploaded: UploadedFile, encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in uploaded.chunks():
            if "\x00" in decoder.decode(chunk):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


# Zipped office documents ---------------------------------------------------------------------


def _unsafe_member(member: str) -> bool:
    parts = member.replace("\\", "/").split("/")
    return member.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", member)) or ".." in parts


def _check_zip(uploaded: UploadedFile, name: str, extension: str, size: int) -> None:
    uploaded.seek(0)
    try:
        with zipfile.ZipFile(uploaded) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise _damaged(name, extension) from error
    q = _q(name)
    if len(members) > MAX_ZIP_ENTRIES:
        raise UploadRefused(
            f"{q} has more than {MAX_ZIP_ENTRIES:,} parts inside, which is not safe to keep: "
            "save it again, or split it, and upload it."
        )
    # Declared sizes: enough to stop a zip bomb before anything downstream unpacks it.
    if sum(member.file_size for member in members) >= MAX_UNZIPPED_BYTES:
        raise UploadRefused(
            f"{q} would unpack to {_megabytes(MAX_UNZIPPED_BYTES)} MB or more, which is not safe "
            "to keep: make it smaller (for example, compress its pictures) and upload it again."
        )
    if any(_unsafe_member(member.filename) for member in members):
        raise UploadRefused(
            f"{q} has parts stored outside the document (absolute or .. paths), which is not "
            "safe: open it, save it again and upload it."
        )
    if any(_is_macro_part(member.filename) for member in members) or _declares_macros(uploaded):
        raise _macros(name, extension)


def _is_macro_part(member: str) -> bool:
    """Office keeps a VBA project in vbaProject.bin (vbaData.xml beside it); OpenDocument keeps
    its macros under Basic/ and Scripts/."""
    lowered = member.replace("\\", "/").lower()
    return lowered.rsplit("/", 1)[-1] in ("vbaproject.bin", "vbadata.xml") or lowered.startswith(
        ("basic/", "scripts/")
    )


def _declares_macros(uploaded: UploadedFile) -> bool:
    """A .docm renamed .docx still says so in its content types (…macroEnabled.main+xml)."""
    uploaded.seek(0)
    with zipfile.ZipFile(uploaded) as archive:
        try:
            info = archive.getinfo("[Content_Types].xml")
        except KeyError:
            return False
        if info.file_size > 1024 * 1024:
            return True  # no real package lists a megabyte of content types
        return b"macroenabled" in archive.read(info).lower()


def _macros(name: str, extension: str) -> UploadRefused:
    return UploadRefused(
        f"{_q(name)} contains macros, which could run code on the computer of whoever opens it: "
        f"save it as a {SAVE_AS[extension]} or as PDF and upload that."
    )


# Legacy (97-2003) Office files ---------------------------------------------------------------

# The VBA project's stream, as its name is written in the compound file's directory (UTF-16LE):
# Word keeps it under Macros/VBA/, Excel under _VBA_PROJECT_CUR/VBA/. Directory entries are never
# compressed, so reading the bytes finds it without parsing the file.
VBA_PROJECT_ENTRY = "_VBA_PROJECT".encode("utf-16-le")


def _check_ole(uploaded: UploadedFile, name: str, extension: str, size: int) -> None:
    if _contains(uploaded, VBA_PROJECT_ENTRY):
        raise _macros(name, extension)


def _contains(uploaded: UploadedFile, needle: bytes) -> bool:
    uploaded.seek(0)
    tail = b""
    while chunk := uploaded.read(SNIFF_BYTES):
        if needle in tail + chunk:
            return True
        tail = chunk[-len(needle) :]
    return False


# PDF -----------------------------------------------------------------------------------------

# Names that make a PDF do something when it is opened or clicked, or carry other files.
# /OpenAction and /AA (additional actions) are not in the list themselves: they are harmless
# when they go to a page, and what makes them dangerous (a /JavaScript or /Launch action) is.
PDF_SCRIPT = {"/JS", "/JavaScript", "/XFA", "/RichMedia"}
PDF_LAUNCH = {"/Launch"}
PDF_ATTACHED = {"/EmbeddedFile", "/EmbeddedFiles", "/FileAttachment", "/GoToE"}
PDF_ACTIVE = PDF_SCRIPT | PDF_LAUNCH | PDF_ATTACHED
PDF_MAX_OBJECTS = 500_000
# A name token as written in the file, with its #xx escapes (/J#53 is /JS).
PDF_NAME = re.compile(rb"/[^\s/\[\]<>(){}%]+")
# Where a stream's data starts: its `stream` keyword (not the end of an `endstream`) and EOL.
PDF_STREAM_START = re.compile(rb"(?<!end)stream\r?\n")


def _check_pdf(uploaded: UploadedFile, name: str, extension: str, size: int) -> None:
    """Refuse a PDF that can run script, start programs or carry other files.

    pypdf reads the document's objects (including those packed in compressed object streams and,
    when a PDF is encrypted with an empty password, decrypted) and every name in them is looked at.
    The raw bytes are read too, for objects that are outside the cross-reference table but that a
    lenient viewer repairing the file would still find; a file pypdf cannot read at all is judged
    on those bytes alone, as it was before (viewers open many slightly broken PDFs).
    """
    found = _pdf_raw_names(uploaded) & PDF_ACTIVE
    if not found:
        found = _pdf_object_names(uploaded, name) & PDF_ACTIVE
    q = _q(name)
    if found & PDF_SCRIPT:
        raise UploadRefused(
            f"{q} contains JavaScript, which could run on the computer of whoever opens it: "
            "print it to a new PDF (for example with “Microsoft Print to PDF” or “Save as PDF”) "
            "and upload that."
        )
    if found & PDF_LAUNCH:
        raise UploadRefused(
            f"{q} contains an action that starts other programs: "
            "print it to a new PDF (for example with “Microsoft Print to PDF” or “Save as PDF”) "
            "and upload that."
        )
    if found:
        raise UploadRefused(
            f"{q} has other files attached inside it, which we cannot check: save the PDF "
            "without attachments, and upload each attached document on its own."
        )


def _pdf_raw_names(uploaded: UploadedFile) -> set[str]:
    """The names written in the file's dictionaries, stream data left out: compressed images and
    fonts are random bytes in which "/JS " turns up by chance (about once in 250 MB)."""
    uploaded.seek(0)
    data = uploaded.read()
    return {_pdf_name(token) for token in PDF_NAME.findall(_outside_streams(data))}


def _outside_streams(data: bytes) -> bytes:
    """`data` without the bytes between each `stream` and its `endstream` (read once, forward)."""
    kept, at = [], 0
    while match := PDF_STREAM_START.search(data, at):
        kept.append(data[at : match.start()])
        end = data.find(b"endstream", match.end())
        at = len(data) if end < 0 else end + len(b"endstream")
    kept.append(data[at:])
    return b" ".join(kept)


def _pdf_name(token: bytes) -> str:
    decoded = re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), token)
    return decoded.decode("latin-1")


def _pdf_object_names(uploaded: UploadedFile, name: str) -> set[str]:
    uploaded.seek(0)
    try:
        reader = pypdf.PdfReader(uploaded, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadRefused(
                f"{_q(name)} is protected by a password, so we cannot check it: save it "
                "without the password and upload it again."
            )
        return _walk(reader.trailer, name)
    except UploadRefused:
        raise
    except Exception:  # pypdf reports broken files through many exception types
        return set()


def _walk(root, name: str) -> set[str]:
    """Every key and name value reachable from the trailer (each object visited once)."""
    names: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            if len(seen) > PDF_MAX_OBJECTS:
                raise UploadRefused(
                    f"{_q(name)} has more than {PDF_MAX_OBJECTS:,} objects inside, which is too "
                    "many to check: print it to a new PDF and upload that."
                )
            node = node.get_object()
        if isinstance(node, DictionaryObject):  # streams too: their dictionary, not their data
            names.update(str(k) for k in node.keys())
            stack.extend(node.values())
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, NameObject):
            names.add(str(node))
    return names


# Images --------------------------------------------------------------------------------------


def _unreadable_image(name: str, extension: str) -> UploadRefused:
    return UploadRefused(
        f"{_q(name)} is not a readable {_label(extension)} image: it may be damaged; "
        "save it again and upload it."
    )


def _verify_image(uploaded: UploadedFile, name: str, extension: str) -> None:
    uploaded.seek(0)
    pillow_format = {"png": "PNG", "jpg": "JPEG"}[extension]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(uploaded, formats=[pillow_format])
            too_many_pixels = image.width * image.height > MAX_IMAGE_PIXELS
            if not too_many_pixels:
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        too_many_pixels = True
    except Exception as error:  # Pillow reports broken files through many exception types
        raise _unreadable_image(name, extension) from error
    if too_many_pixels:
        raise UploadRefused(
            f"{_q(name)} has more than {MAX_IMAGE_PIXELS // 1_000_000} megapixels: "
            "resize it and upload it again."
        )


def _not_only_image(name: str) -> UploadRefused:
    return UploadRefused(
        f"{_q(name)} contains something other than an image: "
        "save it again from an image editor and upload it."
    )


def _png_end(uploaded: UploadedFile) -> int:
    """Offset just past the IEND chunk (-1 if the chunks run out first)."""
    uploaded.seek(8)  # past the signature
    while len(header := uploaded.read(8)) == 8:
        uploaded.seek(int.from_bytes(header[:4], "big") + 4, io.SEEK_CUR)  # data and CRC
        if header[4:] == b"IEND":
            return uploaded.tell()
    return -1


def _check_png(uploaded: UploadedFile, name: str, extension: str, size: int) -> None:
    _verify_image(uploaded, name, extension)
    if _png_end(uploaded) != size:
        raise _not_only_image(name)


def _next_jpeg_marker(uploaded: UploadedFile) -> int | None:
    if uploaded.read(1) != b"\xff":
        return None
    byte = b"\xff"
    while byte == b"\xff":  # fill bytes
        byte = uploaded.read(1)
    return byte[0] if byte and byte != b"\x00" else None


def _skip_jpeg_scan(uploaded: UploadedFile) -> None:
    """Move to the 0xFF of the marker that ends the entropy-coded data after an SOS header."""
    while block := uploaded.read(SNIFF_BYTES):
        start = uploaded.tell() - len(block)
        at = block.find(b"\xff")
        while 0 <= at < len(block) - 1:
            if block[at + 1] not in JPEG_IN_SCAN:
                uploaded.seek(start + at)
                return
            at = block.find(b"\xff", at + 1)
        if at == len(block) - 1 and len(block) > 1:
            uploaded.seek(start + at)  # the marker straddles two blocks: read it whole


def _jpeg_end(uploaded: UploadedFile) -> int:
    """Offset just past the EOI marker that ends the image (-1 if the structure is broken).

    Walks the segments rather than looking at the last bytes, so content appended after the
    image cannot hide behind a trailing FFD9 of its own.
    """
    uploaded.seek(2)  # past SOI
    while (marker := _next_jpeg_marker(uploaded)) is not None:
        if marker == 0xD9:
            return uploaded.tell()
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            continue  # markers without a length
        length = uploaded.read(2)
        if len(length) < 2:
            return -1
        uploaded.seek(int.from_bytes(length, "big") - 2, io.SEEK_CUR)
        if marker == 0xDA:
            _skip_jpeg_scan(uploaded)
    return -1


def _check_jpeg(uploaded: UploadedFile, name: str, extension: str, size: int) -> None:
    _verify_image(uploaded, name, extension)
    end = _jpeg_end(uploaded)
    if end < 0:
        raise _unreadable_image(name, extension)
    uploaded.seek(end)
    while chunk := uploaded.read(SNIFF_BYTES):
        if chunk.strip(JPEG_TRAILER_ALLOWED):
            raise _not_only_image(name)


CONTENT_CHECKS: dict[str, Callable[[UploadedFile, str, str, int], None]] = {
    "png": _check_png,
    "jpg": _check_jpeg,
    "pdf": _check_pdf,
    **{extension: _check_zip for extension in ZIPPED_OFFICE},
    **{extension: _check_ole for extension in OLE_OFFICE},
}

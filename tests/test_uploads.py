"""portfolios.uploads: what an uploaded file really is, and when it is refused.

Pure unit tests: files are built in memory with real content (Pillow images, zip-built Office
and OpenDocument files) and every assertion is on the exact Inspected or the exact message.
"""

import hashlib
import io
import struct
import zipfile
import zlib

import filetype
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image

from portfolios.uploads import (
    ALLOWED_SUMMARY,
    ALLOWED_TYPES,
    Inspected,
    UploadRefused,
    inspect_upload,
)

MB = 1024 * 1024
LIMIT = 20 * MB

# Content builders ----------------------------------------------------------------------------


def png(size=(4, 3), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, "red" if mode == "RGB" else 0).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    image = Image.effect_noise((64, 48), 40).convert("RGB")  # noise: plenty of FF00 stuffing
    image.save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size without carrying the pixels (a decompression-bomb shape)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b""))
        + png_chunk(b"IEND", b"")
    )


PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
OOXML_MAIN = {
    # extension: (main part, its content type, its XML)
    "docx": (
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>Our inclusion evidence</w:t></w:r></w:p></w:body></w:document>",
    ),
    "xlsx": (
        "xl/workbook.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<sheets><sheet name="Attendance" sheetId="1"/></sheets></workbook>',
    ),
    "pptx": (
        "ppt/presentation.xml",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml",
        '<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>',
    ),
}


def ooxml(extension: str = "docx", extra: dict[str, bytes] | None = None) -> bytes:
    """An Office Open XML package laid out as Office writes it."""
    part, part_type, part_xml = OOXML_MAIN[extension]
    content_types = (
        XML_DECLARATION
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/{part}" ContentType="{part_type}"/></Types>'
    )
    rels = (
        XML_DECLARATION
        + '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        f'relationships/officeDocument" Target="{part}"/></Relationships>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", content_types)
        package.writestr("_rels/.rels", rels)
        package.writestr(part, XML_DECLARATION + part_xml)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def odf(extension: str) -> bytes:
    """An OpenDocument file: first entry an uncompressed `mimetype`, then manifest and content."""
    mimetype = ALLOWED_TYPES[extension][0]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        package.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        package.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
        )
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("evidence/minutes.txt", "Governors' minutes")
        archive.writestr("evidence/photo.png", png())
    return buffer.getvalue()


def ole(offset_512: bytes) -> bytes:
    """The head of a legacy (97-2003) Office file: the OLE2 compound-file signature, then the
    first bytes of the first sector, which tell Word, Excel and PowerPoint apart."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return header + offset_512 + b"\x00" * 1024


DOC = ole(b"\xec\xa5\xc1\x00")  # Word FIB magic
XLS = ole(b"\x09\x08\x10\x00\x00\x06\x05\x00")  # Excel BOF record
PPT = ole(b"\xa0\x46\x1d\xf0")  # PowerPoint document container
TEXT = "Pupil voice survey — 94% feel safe at school.\n".encode()
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>fetch('/api/'+document.cookie)</script></svg>"
)
HTML = b"<!DOCTYPE html><html><body><script>alert(document.domain)</script></body></html>"
EXE = b"MZ" + b"\x90\x00\x03\x00" * 64


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def raw_name_upload(name: str, content: bytes) -> SimpleUploadedFile:
    """Django's name setter already drops folders; set the raw name a caller could still pass."""
    uploaded = upload("placeholder.pdf", content)
    uploaded._name = name
    return uploaded


def refusal(uploaded, max_bytes: int = LIMIT) -> str:
    with pytest.raises(UploadRefused) as refused:
        inspect_upload(uploaded, max_bytes=max_bytes)
    assert str(refused.value) == refused.value.message
    return refused.value.message


def expected(name: str, content: bytes, extension: str) -> Inspected:
    return Inspected(
        extension=extension,
        content_type=ALLOWED_TYPES[extension][0],
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        name=name,
    )


DAMAGED = ": it may be damaged; open it, save it again and upload it."
NOT_ACCEPTED = "PDF, Word, Excel, PowerPoint, OpenDocument, JPEG, PNG or plain text"

# Accepted ------------------------------------------------------------------------------------

ACCEPTED = [
    ("report.pdf", PDF, "pdf", "application/pdf"),
    ("minutes.doc", DOC, "doc", "application/msword"),
    (
        "minutes.docx",
        ooxml("docx"),
        "docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ),
    ("attendance.xls", XLS, "xls", "application/vnd.ms-excel"),
    (
        "attendance.xlsx",
        ooxml("xlsx"),
        "xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ),
    ("training.ppt", PPT, "ppt", "application/vnd.ms-powerpoint"),
    (
        "training.pptx",
        ooxml("pptx"),
        "pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ),
    ("policy.odt", odf("odt"), "odt", "application/vnd.oasis.opendocument.text"),
    ("budget.ods", odf("ods"), "ods", "application/vnd.oasis.opendocument.spreadsheet"),
    ("assembly.odp", odf("odp"), "odp", "application/vnd.oasis.opendocument.presentation"),
    ("display.jpg", jpeg(), "jpg", "image/jpeg"),
    ("display.png", png(), "png", "image/png"),
    ("survey.txt", TEXT, "txt", "text/plain"),
]


@pytest.mark.parametrize(
    "name, content, extension, content_type", ACCEPTED, ids=[a[2] for a in ACCEPTED]
)
def test_every_allowed_type_is_accepted(name, content, extension, content_type):
    assert filetype.guess_extension(content) == (None if extension == "txt" else extension)
    uploaded = upload(name, content)

    inspected = inspect_upload(uploaded, max_bytes=LIMIT)

    assert inspected == Inspected(
        extension=extension,
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        name=name,
    )
    assert uploaded.tell() == 0


def test_the_allowed_types_are_exactly_the_agreed_list():
    assert sorted(ALLOWED_TYPES) == sorted(
        "pdf doc docx xls xlsx ppt pptx odt ods odp jpg png txt".split()
    )
    assert ALLOWED_SUMMARY == NOT_ACCEPTED


@pytest.mark.parametrize("name", ["photo.jpeg", "PHOTO.JPEG", "Photo.JPG"])
def test_jpeg_is_an_alias_of_jpg_and_extensions_are_case_insensitive(name):
    content = jpeg()
    assert inspect_upload(upload(name, content), max_bytes=LIMIT) == expected(name, content, "jpg")


def test_the_name_is_stripped_and_nfc_normalised():
    content = PDF
    inspected = inspect_upload(upload("  Cafe\u0301 visit.pdf \u00a0", content), max_bytes=LIMIT)
    assert inspected == expected("Caf\u00e9 visit.pdf", content, "pdf")


@pytest.mark.parametrize(
    "content",
    [
        b"\xef\xbb\xbfUTF-8 with a byte-order mark: caf\xc3\xa9\r\n",
        b"Windows-1252: caf\xe9, \x93quoted\x94, \x80 5\r\n",
    ],
    ids=["utf-8-bom", "cp1252"],
)
def test_text_in_utf8_with_bom_or_cp1252_is_accepted(content):
    assert inspect_upload(upload("notes.txt", content), max_bytes=LIMIT) == expected(
        "notes.txt", content, "txt"
    )


def test_a_large_file_read_in_many_chunks_is_hashed_whole(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    # "Ł" is C5 81 in UTF-8, and 81 is not cp1252, so only UTF-8 decoding across the 64 KB
    # chunk boundaries (which split some characters) can accept this file.
    content = ("Łódź visit — ✓ ok " * 20_000).encode()
    boundaries = range(64 * 1024, len(content), 64 * 1024)
    assert any(0x80 <= content[at] <= 0xBF for at in boundaries)
    uploaded = TemporaryUploadedFile("evaluation.txt", "text/plain", len(content), None)
    uploaded.write(content)
    uploaded.seek(0)
    assert uploaded.multiple_chunks()

    assert inspect_upload(uploaded, max_bytes=LIMIT) == expected("evaluation.txt", content, "txt")
    assert uploaded.tell() == 0
    uploaded.close()


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    return exif


JPEG_VARIANTS = {
    "progressive": {"progressive": True},
    "restart-markers": {"restart_marker_blocks": 2},
    "comment-holding-ffd9": {"comment": b"\xff\xd9<html>"},
    "exif": {"exif": _exif()},
    "greyscale": {"mode": "L"},
    "cmyk": {"mode": "CMYK"},
}


@pytest.mark.parametrize("options", JPEG_VARIANTS.values(), ids=JPEG_VARIANTS.keys())
def test_jpeg_variants_cameras_and_editors_produce_are_accepted(options):
    options = dict(options)
    image = Image.effect_noise((120, 80), 60).convert(options.pop("mode", "RGB"))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", **options)
    content = buffer.getvalue()
    assert inspect_upload(upload("photo.jpg", content), max_bytes=LIMIT) == expected(
        "photo.jpg", content, "jpg"
    )


def test_jpeg_with_trailing_zero_bytes_or_whitespace_is_accepted():
    content = jpeg() + b"\x00\x00\x00\r\n"
    assert inspect_upload(upload("display.jpg", content), max_bytes=LIMIT) == expected(
        "display.jpg", content, "jpg"
    )


# Size ----------------------------------------------------------------------------------------


def test_empty_file_is_refused():
    assert refusal(upload("report.pdf", b"")) == (
        "“report.pdf” is empty: check you chose the right file and upload it again."
    )


@pytest.mark.parametrize("max_bytes, shown", [(MB, "1"), (int(2.5 * MB), "2.5")])
def test_file_over_the_limit_is_refused_naming_the_limit(max_bytes, shown):
    assert refusal(upload("big.txt", b"a" * (max_bytes + 1)), max_bytes=max_bytes) == (
        f"“big.txt” is larger than the {shown} MB limit: "
        "make it smaller or split it into parts, then upload it again."
    )


def test_file_of_exactly_the_limit_is_accepted():
    content = b"a" * MB
    inspected = inspect_upload(upload("big.txt", content), max_bytes=MB)
    assert inspected == expected("big.txt", content, "txt")


def test_the_size_is_counted_while_reading_not_taken_from_the_upload():
    uploaded = upload("big.txt", b"a" * (MB + 1))
    uploaded.size = 10  # what a client claimed
    assert refusal(uploaded, max_bytes=MB).startswith("“big.txt” is larger than the 1 MB limit")


# Names ---------------------------------------------------------------------------------------

FOLDER = "has a folder path in its name: rename it without / or \\ and upload it again."


@pytest.mark.parametrize("name", ["../report.pdf", "a/b.pdf", "/etc/report.pdf"])
def test_names_with_a_slash_are_refused(name):
    assert refusal(raw_name_upload(name, PDF)) == f"“{name}” {FOLDER}"


def test_names_with_a_backslash_are_refused():
    assert refusal(upload("a\\b.pdf", PDF)) == f"“a\\b.pdf” {FOLDER}"


@pytest.mark.parametrize(
    "name, shown",
    [
        ("report\x07.pdf", "report\ufffd.pdf"),
        ("photo\u202efdp.exe", "photo\ufffdfdp.exe"),  # shows as "photoexe.pdf"
        ("report\u200b.pdf", "report\ufffd.pdf"),
        ("report.pdf\n", "report.pdf\ufffd"),
    ],
    ids=["bell", "right-to-left-override", "zero-width-space", "newline"],
)
def test_names_with_control_characters_are_refused_without_echoing_them(name, shown):
    assert refusal(upload(name, PDF)) == (
        f"“{shown}” has a hidden control character in its name: rename it and upload it again."
    )


@pytest.mark.parametrize("name", ["report", "report.", "README"])
def test_names_without_an_extension_are_refused(name):
    assert refusal(upload(name, PDF)) == (
        f"“{name}” has no file extension such as .pdf or .docx: "
        "add the right one and upload it again."
    )


def test_names_over_200_characters_are_refused_and_200_are_kept():
    long_name = "e" * 197 + ".pdf"
    assert refusal(upload(long_name, PDF)) == (
        f"“{'e' * 60}…” has a name longer than 200 characters: "
        "give it a shorter name and upload it again."
    )
    kept = "e" * 196 + ".pdf"
    assert inspect_upload(upload(kept, PDF), max_bytes=LIMIT) == expected(kept, PDF, "pdf")


@pytest.mark.parametrize(
    "name, content",
    [("setup.exe", EXE), ("page.html", HTML), ("drawing.svg", SVG), ("app.js", b"alert(1)")],
)
def test_extensions_outside_the_list_are_refused_naming_the_allowed_types(name, content):
    assert refusal(upload(name, content)) == (
        f"“{name}” is not a type of file we accept: upload {NOT_ACCEPTED} files."
    )


# Content against name ------------------------------------------------------------------------


def test_pdf_renamed_docx_is_refused_as_a_mismatch():
    assert refusal(upload("report.docx", PDF)) == (
        "“report.docx” is a PDF file with a .docx name: rename it or upload the original."
    )


def test_word_document_renamed_xlsx_is_refused_as_a_mismatch():
    assert refusal(upload("budget.xlsx", ooxml("docx"))) == (
        "“budget.xlsx” is a Word file with a .xlsx name: rename it or upload the original."
    )


def test_excel_renamed_pdf_uses_an_before_the_label():
    assert refusal(upload("budget.pdf", ooxml("xlsx"))) == (
        "“budget.pdf” is an Excel file with a .pdf name: rename it or upload the original."
    )


def test_executable_renamed_pdf_is_refused():
    assert refusal(upload("setup.pdf", EXE)) == (
        f"“setup.pdf” is an EXE file with a .pdf name; we accept only {NOT_ACCEPTED} files."
    )


def test_unrecognisable_content_named_pdf_is_refused_as_damaged():
    assert refusal(upload("report.pdf", b"\x01\x02\x03 not really a pdf")) == (
        f"“report.pdf” is not a readable PDF file{DAMAGED}"
    )


# Archives ------------------------------------------------------------------------------------

ARCHIVE = "archives are not accepted: upload the documents themselves."


def test_zip_is_refused():
    assert filetype.guess_extension(plain_zip()) == "zip"
    refused = refusal(upload("evidence.zip", plain_zip()))
    assert refused == f"“evidence.zip” is an archive; {ARCHIVE}"


@pytest.mark.parametrize("name", ["evidence.tar.gz", "evidence.7z", "evidence.rar"])
def test_other_archive_extensions_are_refused(name):
    assert refusal(upload(name, b"anything")) == f"“{name}” is an archive; {ARCHIVE}"


@pytest.mark.parametrize("name", ["report.docx", "report.odt", "report.pdf"])
def test_zip_renamed_as_a_document_is_refused_as_a_mismatch(name):
    extension = name.rpartition(".")[2]
    assert refusal(upload(name, plain_zip())) == (
        f"“{name}” is an archive with a .{extension} name; {ARCHIVE}"
    )


def test_docx_with_more_than_2000_entries_is_refused():
    parts = {f"word/media/image{n}.png": b"" for n in range(1998)}  # 3 + 1998 = 2001 entries
    content = ooxml("docx", parts)
    assert filetype.guess_extension(content) == "docx"
    assert refusal(upload("bomb.docx", content)) == (
        "“bomb.docx” has more than 2,000 parts inside, which is not safe to keep: "
        "save it again, or split it, and upload it."
    )


def test_docx_with_exactly_2000_entries_is_accepted():
    content = ooxml("docx", {f"word/media/image{n}.png": b"" for n in range(1997)})
    assert inspect_upload(upload("many.docx", content), max_bytes=LIMIT) == expected(
        "many.docx", content, "docx"
    )


def test_docx_that_unpacks_to_200_mb_is_refused():
    buffer = io.BytesIO(ooxml("docx"))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as package:
        with package.open("word/media/huge.bin", "w") as huge:
            block = b"\x00" * MB
            for _ in range(200):
                huge.write(block)
    content = buffer.getvalue()
    assert len(content) < MB
    assert refusal(upload("bomb.docx", content)) == (
        "“bomb.docx” would unpack to 200 MB or more, which is not safe to keep: "
        "make it smaller (for example, compress its pictures) and upload it again."
    )


@pytest.mark.parametrize(
    "member",
    ["../../evil.sh", "word/../../evil.sh", "/etc/cron.d/evil", "C:/evil.bat", "..\\evil.bat"],
)
def test_docx_with_entries_outside_the_document_is_refused(member):
    content = ooxml("docx", {member: b"#!/bin/sh\n"})
    assert member in zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert refusal(upload("report.docx", content)) == (
        "“report.docx” has parts stored outside the document (absolute or .. paths), "
        "which is not safe: open it, save it again and upload it."
    )


def test_truncated_docx_is_refused_as_damaged():
    content = ooxml("docx")[:-60]  # the central directory is gone
    assert filetype.guess_extension(content) == "docx"
    assert refusal(upload("report.docx", content)) == (
        f"“report.docx” is not a readable Word file{DAMAGED}"
    )


# Images --------------------------------------------------------------------------------------

NOT_ONLY_IMAGE = (
    "contains something other than an image: save it again from an image editor and upload it."
)


def test_png_with_html_appended_is_refused():
    uploaded = upload("display.png", png() + HTML)
    assert refusal(uploaded) == f"“display.png” {NOT_ONLY_IMAGE}"
    assert uploaded.tell() == 0


def test_png_with_one_byte_after_iend_is_refused():
    assert refusal(upload("display.png", png() + b"\n")) == f"“display.png” {NOT_ONLY_IMAGE}"


@pytest.mark.parametrize(
    "tail",
    [HTML, HTML + b"\xff\xd9", b"\x00\x00" + HTML],
    ids=["html", "html-ending-with-ffd9", "zeros-then-html"],
)
def test_jpeg_with_trailing_html_is_refused(tail):
    assert refusal(upload("display.jpg", jpeg() + tail)) == f"“display.jpg” {NOT_ONLY_IMAGE}"


def test_truncated_png_is_refused_as_damaged():
    assert refusal(upload("display.png", png()[:-20])) == (
        "“display.png” is not a readable PNG image: it may be damaged; save it again and upload it."
    )


def test_jpeg_without_its_end_marker_is_refused_as_damaged():
    content = jpeg()
    assert content.endswith(b"\xff\xd9")
    assert refusal(upload("display.jpg", content[:-2])) == (
        "“display.jpg” is not a readable JPEG image: "
        "it may be damaged; save it again and upload it."
    )


MEGAPIXELS = "has more than 40 megapixels: resize it and upload it again."


def test_image_of_40_megapixels_is_accepted_and_one_row_more_refused():
    content = png((8000, 5000), mode="1")
    assert inspect_upload(upload("plan.png", content), max_bytes=LIMIT) == expected(
        "plan.png", content, "png"
    )
    assert refusal(upload("plan.png", png((8000, 5001), mode="1"))) == f"“plan.png” {MEGAPIXELS}"


def test_decompression_bomb_that_pillow_itself_rejects_is_refused():
    content = png_header_only(100_000, 100_000)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(io.BytesIO(content))
    assert refusal(upload("bomb.png", content)) == f"“bomb.png” {MEGAPIXELS}"


# Markup and text -----------------------------------------------------------------------------

MARKUP = "looks like a web page or SVG; those are not accepted: save it as PDF and upload that."


@pytest.mark.parametrize("name", ["drawing.png", "drawing.txt", "drawing.jpg"])
def test_svg_with_script_named_as_an_allowed_type_is_refused(name):
    assert refusal(upload(name, SVG)) == f"“{name}” {MARKUP}"


@pytest.mark.parametrize("name", ["page.txt", "page.pdf", "page.png", "page.docx"])
def test_html_renamed_as_an_allowed_type_is_refused(name):
    assert refusal(upload(name, HTML)) == f"“{name}” {MARKUP}"


@pytest.mark.parametrize(
    "content",
    [
        b"Notes\n<SCRIPT>alert(1)</SCRIPT>",
        b'<?xml version="1.0"?><data/>',
        b"click <a href='JavaScript:alert(1)'>here</a>",
        b"\xef\xbb\xbf<IFRAME src=x>",
        b"x" * 60_000 + b"<html>",
    ],
    ids=["script", "xml", "javascript-url", "iframe-after-bom", "html-within-64kb"],
)
def test_text_that_hides_markup_is_refused(content):
    assert refusal(upload("notes.txt", content)) == f"“notes.txt” {MARKUP}"


NOT_TEXT = "is not plain text we can read: save it as UTF-8 text or as PDF and upload it again."


@pytest.mark.parametrize(
    "content",
    [b"text with a \x00 NUL byte", "UTF-16 text".encode("utf-16"), b"\x81\x8d\x8f\x90\x9d"],
    ids=["nul", "utf-16", "neither-utf8-nor-cp1252"],
)
def test_binary_named_txt_is_refused(content):
    assert filetype.guess(content) is None
    assert refusal(upload("notes.txt", content)) == f"“notes.txt” {NOT_TEXT}"


def test_a_refused_upload_is_left_rewound():
    uploaded = upload("report.docx", PDF)
    uploaded.read(5)
    refusal(uploaded)
    assert uploaded.tell() == 0

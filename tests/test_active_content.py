"""Active content in uploads (issue 14, point 4): PDFs that run script, start programs or carry
other files, and Office files with macros, are REFUSED with a message that says what to do
(portfolios/uploads.py says why refused rather than cleaned). The files are real: pypdf writes the
PDFs (and one is built by hand with its objects packed in a compressed object stream, where no
byte scan sees them), zipfile writes the Office packages."""

import io
import struct
import zipfile
import zlib

import pypdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from audit.models import AuditEntry
from portfolios.models import EvidenceFile, EvidenceItem
from portfolios.uploads import inspect_upload

from .test_portfolios import post_files, stored_files
from .test_uploads import LIMIT, ole, ooxml, refusal, upload
from .test_uploads import odf as opendocument

# Builders ------------------------------------------------------------------------------------


def written(writer: pypdf.PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def pdf(*, root=None, page=None, attachment=None, password=None) -> bytes:
    """A one-page PDF written by pypdf, with extra entries in its catalogue or its page."""
    writer = pypdf.PdfWriter()
    writer.add_blank_page(200, 200)
    for key, value in (root or {}).items():
        writer._root_object[NameObject(key)] = value
    for key, value in (page or {}).items():
        writer.pages[0][NameObject(key)] = value
    if attachment:
        writer.add_attachment(*attachment)
    if password is not None:
        writer.encrypt(password, "owner-secret")
    return written(writer)


def action(kind: str, **entries: str) -> DictionaryObject:
    made = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        made[NameObject(f"/{key}")] = TextStringObject(value)
    return made


def object_stream_pdf(catalogue_extra: bytes) -> bytes:
    """A PDF 1.5 whose catalogue, pages and page sit in a Flate-compressed object stream, found
    through a cross-reference stream: the names are not in the file's bytes; pypdf sees them."""
    objects = [
        b"<</Type/Catalog/Pages 2 0 R" + catalogue_extra + b">>",
        b"<</Type/Pages/Kids[3 0 R]/Count 1>>",
        b"<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>",
    ]
    offsets, body, at = b"", b"", 0
    for number, made in enumerate(objects, start=1):
        offsets += b"%d %d " % (number, at)
        body += made + b"\n"
        at += len(made) + 1
    packed = zlib.compress(offsets + body)
    out = b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n"
    stream_at = len(out)
    out += (
        b"4 0 obj<</Type/ObjStm/N 3/First %d/Filter/FlateDecode/Length %d>>stream\n"
        % (len(offsets), len(packed))
        + packed
        + b"\nendstream\nendobj\n"
    )
    xref_at = len(out)
    rows = (
        struct.pack(">BIH", 0, 0, 65535)
        + b"".join(struct.pack(">BIH", 2, 4, index) for index in range(3))
        + struct.pack(">BIH", 1, stream_at, 0)
        + struct.pack(">BIH", 1, xref_at, 0)
    )
    out += (
        b"5 0 obj<</Type/XRef/Size 6/W[1 4 2]/Root 1 0 R/Length %d>>stream\n" % len(rows)
        + rows
        + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_at
    )
    return out


JS = action("/JavaScript", JS="app.launchURL('https://example.invalid/'+this.path)")
LAUNCH = action("/Launch", F="C:\\Windows\\System32\\cmd.exe")
GO_TO_PAGE_1 = ArrayObject([NumberObject(0), NameObject("/Fit")])


def page_additional_actions(made: DictionaryObject) -> DictionaryObject:
    return DictionaryObject({NameObject("/O"): made})  # run when the page is opened


def names_tree(kind: str, made: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject(kind): DictionaryObject(
                {NameObject("/Names"): ArrayObject([TextStringObject("x"), made])}
            )
        }
    )


def file_attachment_annotation() -> ArrayObject:
    return ArrayObject(
        [
            DictionaryObject(
                {
                    NameObject("/Type"): NameObject("/Annot"),
                    NameObject("/Subtype"): NameObject("/FileAttachment"),
                    NameObject("/Rect"): ArrayObject([NumberObject(n) for n in (0, 0, 10, 10)]),
                    NameObject("/FS"): TextStringObject("payload.exe"),
                }
            )
        ]
    )


SCRIPT = (
    "contains JavaScript, which could run on the computer of whoever opens it: print it to a new "
    "PDF (for example with “Microsoft Print to PDF” or “Save as PDF”) and upload that."
)
STARTS_PROGRAMS = (
    "contains an action that starts other programs: print it to a new PDF (for example with "
    "“Microsoft Print to PDF” or “Save as PDF”) and upload that."
)
ATTACHED = (
    "has other files attached inside it, which we cannot check: save the PDF without "
    "attachments, and upload each attached document on its own."
)

HOSTILE_PDFS = {
    "open-action-javascript": (pdf(root={"/OpenAction": JS}), SCRIPT),
    "document-level-javascript": (pdf(root={"/Names": names_tree("/JavaScript", JS)}), SCRIPT),
    "page-opened-javascript": (pdf(page={"/AA": page_additional_actions(JS)}), SCRIPT),
    "open-action-launch": (pdf(root={"/OpenAction": LAUNCH}), STARTS_PROGRAMS),
    "page-opened-launch": (pdf(page={"/AA": page_additional_actions(LAUNCH)}), STARTS_PROGRAMS),
    "embedded-file": (pdf(attachment=("payload.exe", b"MZ\x90\x00")), ATTACHED),
    "file-attachment-annotation": (pdf(page={"/Annots": file_attachment_annotation()}), ATTACHED),
    # /J#53 is /JS and /J#61vaScript is /JavaScript written with hex escapes, as PDF allows.
    "hex-escaped-names": (
        pdf(root={"/OpenAction": JS})
        .replace(b"/JavaScript", b"/J#61vaScript")
        .replace(b"/JS", b"/J#53"),
        SCRIPT,
    ),
    "javascript-in-compressed-object-stream": (
        object_stream_pdf(b"/OpenAction<</S/JavaScript/JS(app.alert(1))>>"),
        SCRIPT,
    ),
    "attachment-in-compressed-object-stream": (
        object_stream_pdf(b"/Names<</EmbeddedFiles<</Names[(a.exe)<</Type/Filespec>>]>>>>"),
        ATTACHED,
    ),
    # An encrypted PDF that opens without a password is decrypted and checked like any other.
    "javascript-encrypted-with-an-empty-password": (
        pdf(root={"/OpenAction": JS}, password=""),
        SCRIPT,
    ),
}


@pytest.mark.parametrize("content, reason", HOSTILE_PDFS.values(), ids=HOSTILE_PDFS.keys())
def test_pdfs_with_active_content_are_refused_saying_what_to_do(content, reason):
    assert pypdf.PdfReader(io.BytesIO(content)).pages[0].mediabox.width == 200  # a real PDF
    assert refusal(upload("evidence.pdf", content)) == f"“evidence.pdf” {reason}"


def test_the_object_stream_pdf_hides_its_script_from_a_byte_scan():
    content = HOSTILE_PDFS["javascript-in-compressed-object-stream"][0]
    assert b"JavaScript" not in content and b"/JS" not in content
    assert pypdf.PdfReader(io.BytesIO(content)).root_object["/OpenAction"]["/S"] == "/JavaScript"


SAFE_PDFS = {
    "plain": pdf(),
    "opens-at-page-1": pdf(root={"/OpenAction": GO_TO_PAGE_1}),
    "link-to-a-web-page": pdf(root={"/OpenAction": action("/URI", URI="https://example.org/")}),
    "packed-in-an-object-stream": object_stream_pdf(b"/PageMode/UseOutlines"),
    "encrypted-with-an-empty-password": pdf(password=""),
    # Not a structure pypdf can read (no cross-reference table); viewers repair such files, and
    # its bytes carry nothing active, so it is kept as before.
    "unreadable-structure": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n",
}


@pytest.mark.parametrize("content", SAFE_PDFS.values(), ids=SAFE_PDFS.keys())
def test_pdfs_that_only_show_pages_are_kept(content):
    assert inspect_upload(upload("evidence.pdf", content), max_bytes=LIMIT).extension == "pdf"


def test_a_pdf_that_needs_a_password_is_refused_because_it_cannot_be_checked():
    assert refusal(upload("minutes.pdf", pdf(password="letmein"))) == (
        "“minutes.pdf” is protected by a password, so we cannot check it: save it without the "
        "password and upload it again."
    )


# Office --------------------------------------------------------------------------------------

VBA = {"word/vbaProject.bin": b"\xcc\x61" + b"\x00" * 64}
MACRO_ENABLED_TYPES = (
    '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
    'content-types"><Override PartName="/word/document.xml" ContentType="application/'
    'vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
)


def renamed_docm() -> bytes:
    """A .docm saved as .docx: no vbaProject.bin left, but its content types still say so."""
    buffer = io.BytesIO()
    source = zipfile.ZipFile(io.BytesIO(ooxml("docx")))
    with zipfile.ZipFile(buffer, "w") as package:
        for member in source.namelist():
            data = source.read(member)
            if member == "[Content_Types].xml":
                data = MACRO_ENABLED_TYPES.encode()
            package.writestr(member, data)
    return buffer.getvalue()


def with_member(content: bytes, member: str, data: bytes) -> bytes:
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as package:
        package.writestr(member, data)
    return buffer.getvalue()


# A legacy Word file whose directory names the VBA project's stream (Macros/VBA/_VBA_PROJECT).
DOC_WITH_MACROS = ole(b"\xec\xa5\xc1\x00") + "_VBA_PROJECT".encode("utf-16-le") + b"\x00" * 40
XLS_WITH_MACROS = (
    ole(b"\x09\x08\x10\x00\x00\x06\x05\x00") + "_VBA_PROJECT_CUR".encode("utf-16-le") + b"\x00" * 40
)

MACROS = {
    "docx-with-vbaproject": ("report.docx", ooxml("docx", VBA), "Word Document (.docx)"),
    "xlsx-with-vbaproject": (
        "data.xlsx",
        ooxml("xlsx", {"xl/vbaProject.bin": b"\xcc\x61"}),
        "Excel Workbook (.xlsx)",
    ),
    "pptx-with-vbaproject": (
        "talk.pptx",
        ooxml("pptx", {"ppt/VBAPROJECT.BIN": b"\xcc\x61"}),
        "PowerPoint Presentation (.pptx)",
    ),
    "docm-renamed-docx": ("report.docx", renamed_docm(), "Word Document (.docx)"),
    "odt-with-basic-macros": (
        "policy.odt",
        with_member(opendocument("odt"), "Basic/Standard/Module1.xml", b"<module/>"),
        "OpenDocument Text (.odt) with no macros",
    ),
    "legacy-doc-with-vba": ("minutes.doc", DOC_WITH_MACROS, "Word Document (.docx)"),
    "legacy-xls-with-vba": ("budget.xls", XLS_WITH_MACROS, "Excel Workbook (.xlsx)"),
}


@pytest.mark.parametrize("name, content, save_as", MACROS.values(), ids=MACROS.keys())
def test_office_files_with_macros_are_refused_saying_what_to_save_instead(name, content, save_as):
    assert refusal(upload(name, content)) == (
        f"“{name}” contains macros, which could run code on the computer of whoever opens it: "
        f"save it as a {save_as} or as PDF and upload that."
    )


@pytest.mark.parametrize(
    "name, save_as",
    [
        ("report.docm", "Word Document (.docx)"),
        ("Report.DOCM", "Word Document (.docx)"),
        ("data.xlsm", "Excel Workbook (.xlsx)"),
        ("binary.xlsb", "Excel Workbook (.xlsx)"),
        ("talk.pptm", "PowerPoint Presentation (.pptx)"),
        ("show.ppsm", "PowerPoint Presentation (.pptx)"),
    ],
)
def test_macro_enabled_extensions_are_refused_by_name(name, save_as):
    assert refusal(upload(name, ooxml("docx", VBA))) == (
        f"“{name}” is an Office file with macros, which could run code on the computer of "
        f"whoever opens it: save it as a {save_as} or as PDF and upload that."
    )


# Through the upload page ---------------------------------------------------------------------


@pytest.fixture
def coordinator(client, world):
    client.force_login(world.people["school_coordinator"])
    return client


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("evidence.pdf", HOSTILE_PDFS["open-action-javascript"][0], SCRIPT),
        ("evidence.pdf", HOSTILE_PDFS["embedded-file"][0], ATTACHED),
        (
            "report.docx",
            ooxml("docx", VBA),
            "contains macros, which could run code on the computer of whoever opens it: save it "
            "as a Word Document (.docx) or as PDF and upload that.",
        ),
    ],
    ids=["javascript-pdf", "pdf-with-attachment", "docx-with-macros"],
)
def test_the_refusal_reaches_the_uploader_and_nothing_is_kept(
    coordinator, world, name, content, reason
):
    with scopes_disabled():
        logged = AuditEntry.objects.count()
    response = post_files(coordinator, world, SimpleUploadedFile(name, content))
    assert response.status_code == 422
    assert response.json()["results"] == [{"name": name, "error": f"“{name}” {reason}"}]
    with scopes_disabled():
        assert (
            EvidenceItem.objects.count(),
            EvidenceFile.objects.count(),
            AuditEntry.objects.count(),
        ) == (0, 0, logged)
    assert stored_files() == []


def stream_pdf(data: bytes) -> bytes:
    """A PDF whose page's content stream holds `data` (as compressed images and fonts hold any
    bytes at all)."""
    writer = pypdf.PdfWriter()
    page = writer.add_blank_page(200, 200)
    stream = StreamObject()
    stream.set_data(data)
    page[NameObject("/Contents")] = writer._add_object(stream)
    return written(writer)


def test_names_that_turn_up_inside_stream_data_are_not_taken_for_active_content():
    content = stream_pdf(b"q 1 0 0 1 0 0 cm /JS gs /Launch /EmbeddedFile Q\n")
    assert b"/JS gs /Launch" in content
    assert inspect_upload(upload("scan.pdf", content), max_bytes=LIMIT).extension == "pdf"


def test_a_stream_left_open_does_not_hide_what_comes_before_it():
    content = pdf(root={"/OpenAction": JS}) + b"\n9 0 obj<</Length 5>>stream\n" + b"x" * 1000
    assert refusal(upload("open.pdf", content)).startswith("“open.pdf” contains JavaScript")

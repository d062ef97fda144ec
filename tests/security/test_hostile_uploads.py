"""The hostile-upload corpus, posted as an attacker would: raw multipart bodies (so the file
names are exactly the attacker's, path, NUL and bidi characters included) to the real forms
through the whole middleware stack, on each path that accepts files:

* ``public``: the public complaint form, ``/complaints/new/``;
* ``supplement``: the complainant's supplement on the tracking page, ``/complaints/track/status/``;
* ``department``: a department's handling report, ``/dept/referrals/<id>/``.

Each file has one expected outcome: refused, with the codes and file names of the messages the
form shows (the message text is checked on the page), or accepted, with a property checked on
the bytes read back from storage (GPS gone, scripts gone, random storage name...). Every file
is built here in memory. The proof of work and the rate limits are switched off; the upload
limits are the project's defaults (10 MB a file, 5 files, 25 MB together) except where a case
says otherwise. At the end the module prints the figures: files posted, refused, accepted.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.html import escape
from PIL import Image, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

from casework import services as casework_services
from casework.models import HandlingReport, ReportAttachment
from casework.tests import factories as casework_factories
from complaints.models import Attachment, Complaint
from complaints.tests import factories
from complaints.tests.test_uploads import (
    CUSTOM_XML,
    DOCM_MAIN,
    DOCX_BODY,
    LAUGHS,
    make_active_pdf,
    make_jpeg,
    make_ooxml,
    make_pdf,
    make_png,
    make_xlsx,
    utf16,
    with_dtd,
    with_parts,
    zip_parts,
)
from complaints.uploads import MESSAGES, OOXML_MAX_ENTRIES

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
STORAGE_NAME = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}\.(pdf|jpg|png|gif|webp|docx|xlsx|pptx)$")
GPS_IFD = 0x8825
Files = list[tuple[str, bytes]]


# --- Hostile files ------------------------------------------------------------------------------

SCRIPT = b"<script>alert(document.cookie)</script>"
HTML = b"<!DOCTYPE html><html><body>" + SCRIPT + b"</body></html>"
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">' + SCRIPT + b"</svg>"
)


def zip_of(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def docx_part(name: str) -> bytes:
    return zip_parts(make_ooxml())[name]


def docx_with(parts: dict[str, bytes]) -> bytes:
    return with_parts(make_ooxml(), parts)


def pdf_with(build: Callable[[PdfWriter], None]) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def javascript(code: str) -> DictionaryObject:
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )


def pdf_document_script(writer: PdfWriter) -> None:
    scripts = ArrayObject([TextStringObject("init"), javascript("app.alert(ScriptMarker)")])
    writer.root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): DictionaryObject({NameObject("/Names"): scripts})}
    )


def pdf_open_action(writer: PdfWriter) -> None:
    writer.root_object[NameObject("/OpenAction")] = javascript("app.alert(ScriptMarker)")


def pdf_embedded_file(writer: PdfWriter) -> None:
    writer.add_attachment("payload.exe", b"MZ ATTACHED-SECRET")


def png_with_text(text: str) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", text)
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG", pnginfo=info)
    return out.getvalue()


def jpeg_with_comment(comment: bytes) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(out, "JPEG", comment=comment)
    return out.getvalue()


def gif_javascript_polyglot() -> bytes:
    # 10799 pixels wide: the width's two bytes are "/*", so "GIF89a/*" opens a JavaScript comment
    # that the bytes after the GIF's trailer close: "*/=alert(1);//" runs if served as a script.
    out = io.BytesIO()
    Image.new("P", (0x2A2F, 1)).save(out, "GIF", comment=b"*/=alert(1);//")
    data = out.getvalue()
    assert data.startswith(b"GIF89a/*")
    return data + b"*/=alert(document.domain);//"


def pdf_html_polyglot() -> bytes:
    pdf = make_pdf()
    header, rest = pdf.split(b"\n", 1)
    return header + b"\n%" + HTML + b"\n" + rest  # a PDF comment a browser sniffing HTML would run


def zip_bomb_docx() -> bytes:
    return make_ooxml(extra={"word/media/zeros.bin": b"\x00" * (3 * MB)})


def docx_with_many_entries() -> bytes:
    return make_ooxml(extra={f"word/media/e{index}.bin": b"" for index in range(OOXML_MAX_ENTRIES + 1)})


def docx_with_nested_bomb() -> bytes:
    return docx_with({"word/embeddings/package.zip": zip_of({"zeros.bin": b"\x00" * (3 * MB)})})


def docx_with_nested_xxe() -> bytes:
    sheet = "xl/worksheets/sheet1.xml"
    workbook = with_parts(make_xlsx(), {sheet: with_dtd(zip_parts(make_xlsx())[sheet])})
    return docx_with({"word/embeddings/Microsoft_Excel_Worksheet.xlsx": workbook})


def billion_laughs_docx() -> bytes:
    body = with_dtd(DOCX_BODY, LAUGHS).replace(b"<w:t>Evidence</w:t>", b"<w:t>&lol9;</w:t>")
    return docx_with({"word/document.xml": body})


RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512


# --- Checks on what was stored ------------------------------------------------------------------


def no_gps(image_format: str) -> Callable[[bytes], None]:
    def check(content: bytes) -> None:
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == image_format
            exif = image.getexif()
            assert GPS_IFD not in exif and not exif.get_ifd(GPS_IFD)
            assert "exif" not in image.info and "Author" not in image.info
        assert b"PhoneMaker" not in content and b"Zhang San" not in content

    return check


def pdf_without(*markers: bytes) -> Callable[[bytes], None]:
    def check(content: bytes) -> None:
        reader = PdfReader(io.BytesIO(content))
        assert len(reader.pages) == 1 and not reader.attachments
        root = reader.trailer["/Root"]
        assert "/OpenAction" not in root and "/JavaScript" not in root.get("/Names", {})
        for marker in markers:
            assert marker not in content, marker

    return check


def image_without(image_format: str, *markers: bytes) -> Callable[[bytes], None]:
    def check(content: bytes) -> None:
        with Image.open(io.BytesIO(content)) as image:
            assert image.format == image_format
            image.load()
        for marker in markers:
            assert marker not in content, marker

    return check


def is_pdf(content: bytes) -> None:
    assert len(PdfReader(io.BytesIO(content)).pages) == 1


# --- The corpus ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hostile:
    """One submission: its files, and either the refusals (code, file name) or, when accepted,
    the display names stored and a check on each stored file's bytes."""

    id: str
    files: Callable[[], Files]
    refused: tuple[tuple[str, str | None], ...] = ()
    stored: tuple[str, ...] = ()
    check: Callable[[bytes], None] | None = None
    settings: dict = field(default_factory=dict)


def one(name: str, build: Callable[[], bytes]) -> Callable[[], Files]:
    return lambda: [(name, build())]


def refused(id: str, name: str, build: Callable[[], bytes], code: str) -> Hostile:
    return Hostile(id, one(name, build), refused=((code, name),))


CORPUS = [
    # Web pages and scripts behind an allowed name.
    refused("html-renamed-pdf", "statement.pdf", lambda: HTML, "unsupported_type"),
    refused("svg-with-script", "drawing.svg", lambda: SVG, "unsupported_type"),
    refused("svg-with-script-renamed-png", "drawing.png", lambda: SVG, "unsupported_type"),
    refused(
        "png-with-script-in-text-chunk", "photo.png", lambda: png_with_text(SCRIPT.decode()), "active_content"
    ),
    refused("jpeg-with-html-in-comment", "photo.jpg", lambda: jpeg_with_comment(HTML), "active_content"),
    refused("exe-renamed-pdf", "report.pdf", lambda: b"MZ\x90\x00\x03" + b"\x00" * 200, "unsupported_type"),
    # PDFs: accepted with every script, automatic action and attachment removed.
    Hostile(
        "pdf-javascript",
        one("memo.pdf", lambda: pdf_with(pdf_document_script)),
        stored=("memo.pdf",),
        check=pdf_without(b"ScriptMarker", b"/JavaScript", b"/JS"),
    ),
    Hostile(
        "pdf-openaction",
        one("memo.pdf", lambda: pdf_with(pdf_open_action)),
        stored=("memo.pdf",),
        check=pdf_without(b"ScriptMarker", b"/OpenAction"),
    ),
    Hostile(
        "pdf-embedded-file",
        one("memo.pdf", lambda: pdf_with(pdf_embedded_file)),
        stored=("memo.pdf",),
        check=pdf_without(b"ATTACHED-SECRET", b"payload.exe", b"/EmbeddedFiles"),
    ),
    Hostile(
        "pdf-all-active-content",
        one("memo.pdf", make_active_pdf),
        stored=("memo.pdf",),
        check=pdf_without(b"ScriptMarker", b"ATTACHED-SECRET", b"ANNOTATION-SECRET", b"/AA"),
    ),
    refused("pdf-encrypted", "locked.pdf", lambda: make_pdf(encrypt=True), "encrypted"),
    # Office files with a DTD (external entity or entity expansion) in any part.
    refused(
        "docx-xxe-document-xml",
        "letter.docx",
        lambda: docx_with({"word/document.xml": with_dtd(DOCX_BODY)}),
        "dtd",
    ),
    refused(
        "docx-xxe-custom-xml-part",
        "letter.docx",
        lambda: docx_with({"customXml/item1.xml": with_dtd(CUSTOM_XML)}),
        "dtd",
    ),
    refused(
        "docx-xxe-content-types",
        "letter.docx",
        lambda: docx_with({"[Content_Types].xml": with_dtd(docx_part("[Content_Types].xml"))}),
        "dtd",
    ),
    refused(
        "docx-xxe-package-rels",
        "letter.docx",
        lambda: docx_with({"_rels/.rels": with_dtd(docx_part("_rels/.rels"))}),
        "dtd",
    ),
    refused(
        "docx-xxe-part-rels",
        "letter.docx",
        lambda: docx_with({"word/_rels/document.xml.rels": with_dtd(RELS)}),
        "dtd",
    ),
    refused(
        "docx-xxe-utf16",
        "letter.docx",
        lambda: docx_with({"word/document.xml": utf16(with_dtd(DOCX_BODY), "utf-16-le", bom=False)}),
        "dtd",
    ),
    refused(
        "docx-xxe-in-a-part-not-named-xml",
        "letter.docx",
        lambda: docx_with({"customXml/item1.dat": with_dtd(CUSTOM_XML)}),
        "dtd",
    ),
    refused("docx-xxe-in-embedded-workbook", "letter.docx", docx_with_nested_xxe, "dtd"),
    refused("docx-billion-laughs", "laughs.docx", billion_laughs_docx, "dtd"),
    # Archives.
    refused("zip-bomb-high-ratio", "bomb.docx", zip_bomb_docx, "zip_bomb"),
    refused("zip-many-entries", "many.docx", docx_with_many_entries, "zip_bomb"),
    refused("zip-bomb-nested-in-docx", "nested.docx", docx_with_nested_bomb, "zip_bomb"),
    refused(
        "zip-nested-plain",
        "evidence.zip",
        lambda: zip_of({"inner.zip": zip_of({"statement.html": HTML})}),
        "unsupported_type",
    ),
    # Polyglots: accepted as the type their first bytes say, rebuilt without the second file.
    Hostile(
        "polyglot-jpeg-zip",
        one("photo.jpg", lambda: make_jpeg() + zip_of({"statement.html": HTML})),
        stored=("photo.jpg",),
        check=image_without("JPEG", b"PK\x03\x04", b"statement.html", b"<script"),
    ),
    Hostile(
        "polyglot-gif-javascript",
        one("anim.gif", gif_javascript_polyglot),
        stored=("anim.gif",),
        check=image_without("GIF", b"alert(", b"*/="),
    ),
    Hostile(
        "polyglot-pdf-html",
        one("memo.pdf", pdf_html_polyglot),
        stored=("memo.pdf",),
        check=pdf_without(b"<script", b"<html", b"<!DOCTYPE"),
    ),
    # Location in pictures: accepted, GPS (and the rest of EXIF, and PNG text) gone.
    Hostile("jpeg-exif-gps", one("photo.jpg", make_jpeg), stored=("photo.jpg",), check=no_gps("JPEG")),
    Hostile("png-exif-gps", one("screen.png", make_png), stored=("screen.png",), check=no_gps("PNG")),
    # Sizes and counts, at the project's limits.
    refused(
        "oversize-file",
        "huge.jpg",
        lambda: b"\xff\xd8\xff" + b"\x00" * django_settings.INTAKE_MAX_FILE_SIZE,
        "too_large",
    ),
    Hostile(
        "too-many-files",
        lambda: [(f"photo{index}.png", make_png()) for index in range(django_settings.INTAKE_MAX_FILES + 1)],
        refused=(("too_many_files", None),),
    ),
    Hostile(
        "total-too-large",
        lambda: [(f"photo{index}.png", make_png()) for index in range(3)],
        refused=(("total_too_large", None),),
        settings={"INTAKE_MAX_TOTAL_SIZE": 2 * len(make_png())},  # three real files, a small total
    ),
    # Names: only the display name comes from the user, stripped; storage names are random.
    Hostile(
        "name-path-traversal", one("../../etc/passwd.pdf", make_pdf), stored=("passwd.pdf",), check=is_pdf
    ),
    Hostile("name-absolute-path", one("/etc/passwd.pdf", make_pdf), stored=("passwd.pdf",), check=is_pdf),
    Hostile(
        "name-windows-path",
        one("C:\\Windows\\System32\\evil.pdf", make_pdf),
        stored=("evil.pdf",),
        check=is_pdf,
    ),
    Hostile("name-nul-byte", one("evil\x00.html", make_pdf), stored=("evil.html.pdf",), check=is_pdf),
    Hostile("name-very-long", one("a" * 300 + ".pdf", make_pdf), stored=("a" * 96 + ".pdf",), check=is_pdf),
    Hostile(
        "name-rtl-override",
        one("invoice\u202egpj.exe", make_jpeg),
        stored=("invoicegpj.exe.jpg",),
        check=no_gps("JPEG"),
    ),
    # Office formats that are not accepted at all.
    refused("legacy-doc", "old.doc", lambda: OLE2, "legacy_office"),
    refused(
        "macro-docm",
        "invoice.docm",
        lambda: make_ooxml(main_type=DOCM_MAIN, extra={"word/vbaProject.bin": OLE2}),
        "macro_enabled",
    ),
    # Django's file field refuses an empty file before the sanitiser sees it, without its name.
    Hostile("empty-file", one("empty.pdf", lambda: b""), refused=(("empty", "empty.pdf"),)),
]
REFUSED_CASES = sum(1 for case in CORPUS if case.refused)


# --- Posting through the real forms -------------------------------------------------------------


def multipart(fields: dict[str, str], files: Files) -> tuple[bytes, str]:
    """A multipart/form-data body as a browser (or an attacker's script) sends it; Django's test
    client would reduce each file name to its base name first."""
    boundary = "envopt-" + secrets.token_hex(12)
    chunks = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        )
    for file_name, content in files:
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; '
            f'filename="{file_name}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def post(client, url: str, fields: dict[str, str], files: Files):
    body, content_type = multipart(fields, files)
    return client.generic("POST", url, body, content_type=content_type, HTTP_ACCEPT_LANGUAGE="en")


@dataclass
class Outcome:
    response: object
    form: object | None
    stored: list  # Attachment or ReportAttachment rows


def via_public_form(client, files: Files) -> Outcome:
    fields = {
        key: str(value) for key, value in factories.form_post(department=factories.department().pk).items()
    }
    before = set(Complaint.objects.values_list("pk", flat=True))
    response = post(client, "/complaints/new/", fields, files)
    created = Complaint.objects.exclude(pk__in=before)
    stored = list(Attachment.objects.filter(complaint__in=created))
    return Outcome(response, (response.context or {}).get("form"), stored)


def via_supplement(client, files: Files) -> Outcome:
    submitted = factories.submit()
    tracked = client.post("/complaints/track/", {"code": submitted.tracking_code}, HTTP_ACCEPT_LANGUAGE="en")
    assert tracked.status_code == 302, tracked.content.decode()[:2000]
    response = post(
        client, "/complaints/track/status/", {"action": "supplement", "text": "补充证据。"}, files
    )
    stored = list(Attachment.objects.filter(complaint=submitted.complaint, supplement__isnull=False))
    return Outcome(response, (response.context or {}).get("supplement_form"), stored)


def via_department_report(client, files: Files) -> Outcome:
    handler = casework_factories.user("handler")
    department = factories.department()
    dept_user = casework_factories.user("dept", department=department)
    _case, referral = casework_factories.referred_case(actor=handler, department=department)
    casework_services.referral_acknowledge(referral=referral, actor=dept_user)
    client.force_login(dept_user)
    fields = {
        "action": "report",
        "facts": "经核查,执法大队三个月内检查五次属实。",
        "finding": "substantiated",
        "measures": "已合并检查事项,约谈执法大队负责人。",
    }
    response = post(client, reverse("department_portal:referral", args=[referral.pk]), fields, files)
    stored = list(
        ReportAttachment.objects.filter(report__in=HandlingReport.objects.filter(referral=referral))
    )
    return Outcome(response, (response.context or {}).get("report_form"), stored)


PATHS = {"public": via_public_form, "supplement": via_supplement, "department": via_department_report}
RESULTS: Counter = Counter()


def figures() -> list[str]:
    posted = RESULTS["refused"] + RESULTS["accepted"]
    return [
        f"{posted} submissions posted (corpus of {len(CORPUS)}, {REFUSED_CASES} to refuse; "
        f"{len(PATHS)} upload paths): {RESULTS['refused']} refused, "
        f"{RESULTS['accepted']} accepted and sanitised",
        *(
            f"  {path}: {RESULTS[path, 'refused']} refused, {RESULTS[path, 'accepted']} accepted"
            for path in PATHS
        ),
    ]


class FiguresReport:
    """Prints the figures at the end of the run (the lead's "uploads refused/accepted")."""

    def pytest_terminal_summary(self, terminalreporter) -> None:
        if RESULTS:
            terminalreporter.section("hostile uploads")
            for line in figures():
                terminalreporter.write_line(line)


@pytest.fixture(scope="module", autouse=True)
def _figures_report(request):
    if not request.config.pluginmanager.has_plugin("hostile-uploads-figures"):
        request.config.pluginmanager.register(FiguresReport(), "hostile-uploads-figures")


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


@pytest.fixture
def open_intake(settings):
    settings.INTAKE_POW_ENABLED = False
    settings.INTAKE_RATE_LIMITS_ENABLED = False


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("case", CORPUS, ids=[case.id for case in CORPUS])
def test_hostile_upload(client, settings, private_storage, open_intake, case: Hostile, path: str):
    for name, value in case.settings.items():
        setattr(settings, name, value)

    outcome = PATHS[path](client, case.files())

    if case.refused:
        assert outcome.response.status_code == 200, outcome.response.status_code
        assert not outcome.stored
        errors = outcome.form.errors.as_data()["attachments"]
        assert [(error.code, (error.params or {}).get("name")) for error in errors] == list(case.refused)
        page = outcome.response.content.decode()
        for message in outcome.form.errors["attachments"]:
            assert escape(message) in page, message
        RESULTS["refused"] += 1
        RESULTS[path, "refused"] += 1
    else:
        assert outcome.response.status_code == 302, outcome.form.errors if outcome.form else ""
        assert [row.display_name for row in outcome.stored] == list(case.stored)
        for row in outcome.stored:
            assert STORAGE_NAME.match(row.file.name), row.file.name
            with row.file.open("rb") as handle:
                content = handle.read()
            assert len(content) == row.size
            case.check(content)
        RESULTS["accepted"] += 1
        RESULTS[path, "accepted"] += 1


def test_every_refusal_code_in_the_corpus_has_a_translated_message():
    codes = {code for case in CORPUS for code, _name in case.refused}
    assert codes <= set(MESSAGES), codes - set(MESSAGES)
    assert len(CORPUS) - REFUSED_CASES >= 10 and REFUSED_CASES >= 25

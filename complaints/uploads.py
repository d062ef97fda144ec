"""Evidence uploads: accept a short allow-list of types by content, and strip their metadata.

``prepare_uploads`` is the only entry point for forms and services. It never trusts the
user's file name: the type is sniffed from the bytes, every accepted file is rewritten
(images re-encoded with Pillow, PDFs with pypdf, Office files re-zipped) so only the
cleaned bytes are stored, under a random name. Every refusal is a ValidationError with a
code and params, and all the problems of one submission are reported together.
"""

from __future__ import annotations

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

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy
from PIL import Image, JpegImagePlugin
from pypdf import PasswordType, PdfReader, PdfWriter

MB = 1024 * 1024
DISPLAY_NAME_MAX = 100
# Zip-bomb limits for Office files: what the archive may expand to, in total and relative to its size.
OOXML_MAX_UNCOMPRESSED = 100 * MB
OOXML_MAX_RATIO = 100
OOXML_MAX_ENTRIES = 5000
# [Content_Types].xml, .rels and app.xml are tiny in real files; a cap keeps minidom cheap.
OOXML_MAX_XML_PART = 2 * MB
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
        display_name=display_name,
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
        # The removed objects are still in the writer's table; without this they are written out.
        writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()
    except _Refused:
        raise
    except Exception as exc:  # pypdf raises many types on malformed input
        raise _Refused("invalid_pdf") from exc


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
            return _rewrite_ooxml(archive, entries)
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


def _parse_xml(raw: bytes) -> minidom.Document:
    # OOXML never needs a DTD; refusing one rules out entity-expansion and external-entity tricks.
    # NUL bytes mean UTF-16, where that byte search would not see a DTD; Office writes UTF-8.
    if len(raw) > OOXML_MAX_XML_PART or b"\x00" in raw or re.search(rb"<!DOCTYPE|<!ENTITY", raw, re.I):
        raise _Refused("invalid_document")
    return minidom.parseString(raw)  # noqa: S318 - DTDs refused above; expat resolves no external entities


def _part_name(target: str, base: str = "") -> str | None:
    """Resolve a relationship target to a zip entry name, or None if it leaves the package."""
    path = target.lstrip("/") if target.startswith("/") else posixpath.join(base, target)
    path = posixpath.normpath(path)
    return None if path.startswith("..") or path in {".", ""} else path


def _rewrite_ooxml(archive: zipfile.ZipFile, entries: dict[str, zipfile.ZipInfo]) -> tuple[str, bytes]:
    types_xml = archive.read(entries["[Content_Types].xml"])
    rels_xml = archive.read(entries["_rels/.rels"])
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
    removed = set(custom_parts)
    for part in custom_parts:
        folder, base = posixpath.split(part)
        removed.add(posixpath.join(folder, "_rels", base + ".rels"))

    replaced: dict[str, bytes] = {}
    if custom_parts:
        for el in relationships:
            if el.getAttribute("Type").endswith(_REL_CUSTOM):
                el.parentNode.removeChild(el)
        for el in types_doc.getElementsByTagNameNS("*", "Override"):
            if el.getAttribute("PartName").lstrip("/").lower() in {p.lower() for p in custom_parts}:
                el.parentNode.removeChild(el)
        replaced["[Content_Types].xml"] = types_doc.toxml(encoding="UTF-8")
        replaced["_rels/.rels"] = rels_doc.toxml(encoding="UTF-8")
    for part in core_parts:
        replaced[part] = _CORE_PLACEHOLDER
    for part in app_parts:
        replaced[part] = _clean_app_properties(archive.read(entries[part]))
    if kind == "xlsx":
        for part in main_parts:
            replaced[part] = _XLSX_ABS_PATH.sub(b"", archive.read(entries[part]))

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as result:
        # [Content_Types].xml first, as Office writes it; fixed timestamps say nothing about the author.
        names = [
            "[Content_Types].xml",
            *(n for n in entries if n != "[Content_Types].xml" and n not in removed),
        ]
        for name in names:
            content = replaced[name] if name in replaced else archive.read(entries[name])
            result.writestr(zipfile.ZipInfo(name, date_time=_ZIP_EPOCH), content, zipfile.ZIP_DEFLATED)
    return kind, out.getvalue()


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

"""Reading one e-mail as the complaint mailbox needs it: who sent it, what it says (as plain text),
its files, and whether a machine wrote it (auto-replies, bounces, our own mail coming back).

Built on the standard library's ``email`` package with the compat32 policy, which keeps going on
broken mail: a defect is noted, never raised. Decoding is ours because Chinese mail is often
labelled with a charset smaller than what it contains (GB2312 for GBK text, or raw 8-bit headers):
every GB label decodes as GB18030, the superset, and a label that still fails falls back to UTF-8
and GB18030 before replacement characters. HTML-only mail is turned into text here (no library
does only this without pulling in a renderer: html2text is GPL, BeautifulSoup would be a new
dependency for 40 lines); the text is stored and shown as text, never as HTML.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.utils
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from email.policy import compat32
from html import unescape
from html.parser import HTMLParser

# Labels seen on Chinese mail, all decoded as GB18030 (a superset of GB2312 and GBK).
_GB_LABELS = {
    "gb2312",
    "gb_2312",
    "gb_2312-80",
    "gbk",
    "x-gbk",
    "cp936",
    "ms936",
    "euc-cn",
    "csgb2312",
    "gb18030",
    "hz-gb-2312",
}
_FALLBACKS = ("utf-8", "gb18030")

AUTO_SUBMITTED_NO = "no"
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
AUTOREPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Reply", "X-Autoresponder")
BOUNCE_SENDERS = {"mailer-daemon", "postmaster"}


def charset_normalise(charset: str | None) -> str | None:
    if not charset:
        return None
    label = charset.strip().strip('"').lower()
    if label in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def bytes_decode(data: bytes, charset: str | None) -> str:
    """Text of ``data`` in its declared charset; never raises (a wrong or unknown label falls back)."""
    label = charset_normalise(charset)
    for candidate in ((label,) if label else ()) + _FALLBACKS:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(label or "utf-8", errors="replace")


def header_decode(value) -> str:
    """A header's text: RFC 2047 encoded words in any charset, or raw 8-bit bytes (guessed)."""
    if value is None:
        return ""
    if isinstance(value, email.header.Header):
        chunks = email.header.decode_header(value)
    else:
        text = str(value)
        if any("\udc80" <= ch <= "\udcff" for ch in text):  # raw 8-bit bytes, surrogate-escaped
            return _squeeze(bytes_decode(text.encode("ascii", "surrogateescape"), None))
        try:
            chunks = email.header.decode_header(text)
        except (email.errors.HeaderParseError, ValueError):
            return _squeeze(text)
    parts = []
    for chunk, charset in chunks:
        if isinstance(chunk, bytes):
            parts.append(bytes_decode(chunk, None if charset in (None, "unknown-8bit") else charset))
        else:
            parts.append(chunk)
    return _squeeze("".join(parts))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


# --- HTML to text ----------------------------------------------------------------------------

_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "ul",
    "ol",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dd",
    "dt",
}
_SKIP = {"script", "style", "head", "title", "template", "noscript", "svg", "object", "iframe"}


class _TextOfHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIP:
            self.skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")
        elif tag == "td":
            self.parts.append(" ")

    def handle_startendtag(self, tag, attrs):
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIP:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The words of an HTML body, paragraphs kept as lines; scripts, styles and tags dropped."""
    parser = _TextOfHtml()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; anything left is dropped tags and all
        return unescape(re.sub(r"<[^>]*>", " ", html))
    return text_tidy("".join(parser.parts))


def text_tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


# --- The message ---------------------------------------------------------------------------------


@dataclass
class MailFile:
    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    message_id: str
    key: str
    raw_sha256: str
    sender_email: str
    sender_name: str
    subject: str
    body: str
    sent_at: datetime | None
    files: list[MailFile] = field(default_factory=list)
    automatic: str = ""  # why it is an automatic reply, or ""
    bounce: str = ""  # why it is a delivery report, or ""
    defects: list[str] = field(default_factory=list)


def message_key(message_id: str, raw: bytes) -> str:
    """The idempotency key: the Message-ID's hash, or the bytes' when there is none."""
    if message_id:
        return hashlib.sha256(b"mid:" + message_id.strip().lower().encode("utf-8", "replace")).hexdigest()
    return hashlib.sha256(b"raw:" + raw).hexdigest()


def message_id_of(message: Message) -> str:
    value = header_decode(message.get("Message-ID"))
    found = re.search(r"<[^<>\s]+>", value)
    return (found.group(0) if found else value.strip())[:300]


def sender_of(message: Message) -> tuple[str, str]:
    """(address, display name) of From (Sender/Return-Path when From has no address)."""
    for header in ("From", "Sender", "Return-Path"):
        raw = message.get(header)
        if raw is None:
            continue
        raw_text = str(raw) if not isinstance(raw, email.header.Header) else header_decode(raw)
        if any("\udc80" <= ch <= "\udcff" for ch in raw_text):
            raw_text = header_decode(raw_text)
        pairs = email.utils.getaddresses([raw_text])
        for name, address in pairs:
            if "@" in address:
                return address.strip(), header_decode(name)[:200]
    return "", ""


def _is_attachment(part: Message) -> bool:
    disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
    if disposition == "attachment":
        return True
    if part.get_filename():
        return True
    return part.get_content_maintype() not in ("text", "multipart")


def _part_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except Exception:  # a broken transfer encoding: keep what the part holds
        payload = None
    if payload is None:
        raw = part.get_payload()
        payload = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""
    return payload


def _file_name(part: Message, number: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    name = header_decode(name) if name else ""
    return name or f"attachment-{number}"


def mail_parse(raw: bytes, *, own_addresses: set[str], own_message_id_suffix: str) -> ParsedMail:
    """Everything the mailbox needs of one message; never raises for broken MIME."""
    message = email.message_from_bytes(raw, policy=compat32)
    message_id = message_id_of(message)
    sender_email, sender_name = sender_of(message)
    subject = header_decode(message.get("Subject"))[:500]
    try:
        date = message.get("Date")
        sent_at = email.utils.parsedate_to_datetime(str(date)) if date else None
        if sent_at is not None and sent_at.tzinfo is None:
            sent_at = None
    except (TypeError, ValueError, IndexError):
        sent_at = None

    plain, html, files = [], [], []
    for part in message.walk():
        if part.is_multipart():
            continue
        if part.get_content_type() == "message/rfc822" or _is_attachment(part):
            files.append(
                MailFile(
                    name=_file_name(part, len(files) + 1),
                    content_type=part.get_content_type(),
                    content=_part_bytes(part),
                )
            )
            continue
        text = bytes_decode(_part_bytes(part), part.get_content_charset() or part.get_param("charset"))
        (html if part.get_content_subtype() == "html" else plain).append(text)
    body = text_tidy("\n\n".join(plain)) if any(p.strip() for p in plain) else html_to_text("\n".join(html))

    parsed = ParsedMail(
        message_id=message_id,
        key=message_key(message_id, raw),
        raw_sha256=hashlib.sha256(raw).hexdigest(),
        sender_email=sender_email,
        sender_name=sender_name,
        subject=subject,
        body=body,
        sent_at=sent_at,
        files=files,
        defects=sorted({type(defect).__name__ for part in message.walk() for defect in part.defects}),
    )
    parsed.automatic = _automatic_reason(message, parsed, own_addresses, own_message_id_suffix)
    parsed.bounce = _bounce_reason(message, parsed)
    return parsed


def _automatic_reason(message: Message, parsed: ParsedMail, own_addresses: set[str], own_suffix: str) -> str:
    auto_submitted = header_decode(message.get("Auto-Submitted")).lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != AUTO_SUBMITTED_NO:
        return f"Auto-Submitted: {auto_submitted[:60]}"
    for header in AUTOREPLY_HEADERS:
        if message.get(header) is not None:
            return f"{header} header"
    precedence = header_decode(message.get("Precedence")).lower().strip()
    if precedence in AUTOMATIC_PRECEDENCE:
        return f"Precedence: {precedence}"
    if own_suffix and parsed.message_id.lower().endswith(own_suffix.lower()):
        return "our own Message-ID"
    if parsed.sender_email and parsed.sender_email.lower() in own_addresses:
        return "sent from our own address"
    return ""


def _bounce_reason(message: Message, parsed: ParsedMail) -> str:
    if message.get_content_type() == "multipart/report":
        return f"multipart/report ({message.get_param('report-type') or 'report'})"
    local = parsed.sender_email.split("@")[0].lower()
    if local in BOUNCE_SENDERS:
        return f"sent by {local.upper()}"
    if message.get("X-Failed-Recipients") is not None:
        return "X-Failed-Recipients header"
    if str(message.get("Return-Path", "")).strip() == "<>" and not parsed.sender_email:
        return "empty Return-Path"
    return ""


def headers_parse(raw_headers: bytes) -> ParsedMail:
    """What the headers alone say (an oversized message is not downloaded whole)."""
    return mail_parse(raw_headers + b"\r\n", own_addresses=set(), own_message_id_suffix="")

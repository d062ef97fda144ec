"""The kinds of mail a complaint mailbox receives, as raw bytes: Chinese mail in GBK, HTML-only
mail, evidence attached, hostile files, auto-replies, bounces, broken MIME, oversized mail."""

from __future__ import annotations

import base64
import io
import zipfile
from email.header import Header

from PIL import Image
from pypdf import PdfWriter

DATE = "Mon, 30 Nov 2026 09:15:00 +0800"


def _header(text: str, charset: str) -> str:
    return Header(text, charset).encode(linesep="\r\n")


def _mislabelled(text: str, label: str = "GB2312") -> str:
    """An encoded word labelled GB2312 over GBK bytes, as many Chinese mail clients write them."""
    return f"=?{label}?B?{base64.b64encode(text.encode('gbk')).decode()}?="


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def jpeg_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """An Office-looking package expanding a thousandfold: the upload checks refuse it."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        archive.writestr("word/document.xml", b"\0" * (8 * 1024 * 1024))
    return out.getvalue()


def exe_bytes() -> bytes:
    return (
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"
        + b"\x00" * 200
        + b"This program cannot be run in DOS mode."
    )


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data)


def gbk_plain(*, message_id: str = "<gbk-1@qiye.example>", received: str = "mx1") -> bytes:
    """Chinese mail as many clients still send it: GB2312 labels over GBK text (镕, 喆 are GBK only)."""
    name = _mislabelled("王喆")
    subject = _mislabelled("投诉：区市场监管局乱罚款（朱镕基路门店）")
    body = "我公司位于朱镕基路的门店被区市场监管局罚款五万元，没有任何书面依据。\r\n请尽快调查处理。\r\n"
    return (
        f"Received: from {received}.qiye.example by mx.jw.example.gov.cn\r\n"
        f"From: {name} <wangzhe@qiye.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        f"Subject: {subject}\r\n"
        f"Date: {DATE}\r\n"
        f"Message-ID: {message_id}\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="gb2312"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
    ).encode("ascii") + body.encode("gbk")


def html_only() -> bytes:
    html = (
        "<html><head><style>p{color:red}</style><script>alert('x')</script></head><body>"
        "<p>住建局审批<b>拖了八个月</b> &amp; 还要求我们找指定中介。</p>"
        '<p><img src="http://tracker.example/x.gif" onerror="alert(1)">请核查。</p>'
        "</body></html>"
    )
    return (
        "From: Li Na <lina@build.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        "Subject: =?UTF-8?B?" + base64.b64encode("审批拖延".encode()).decode() + "?=\r\n"
        f"Date: {DATE}\r\n"
        "Message-ID: <html-1@build.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/html; charset="utf-8"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
    ).encode("ascii") + _b64(html.encode("utf-8"))


def _multipart(headers: str, text: str, files: list[tuple[str, str, bytes]], charset: str = "utf-8") -> bytes:
    boundary = "=-=-boundary-4711-=-="
    parts = [
        (
            f"--{boundary}\r\n"
            f'Content-Type: text/plain; charset="{charset}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode("ascii")
        + _b64(text.encode(charset))
    ]
    for name, content_type, content in files:
        encoded_name = _header(name, "utf-8")
        parts.append(
            (
                f"--{boundary}\r\n"
                f'Content-Type: {content_type}; name="{encoded_name}"\r\n'
                f'Content-Disposition: attachment; filename="{encoded_name}"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n"
            ).encode("ascii")
            + _b64(content)
        )
    return (
        (
            headers
            + "MIME-Version: 1.0\r\n"
            + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        ).encode("ascii")
        + b"".join(parts)
        + f"--{boundary}--\r\n".encode("ascii")
    )


def with_evidence() -> bytes:
    headers = (
        "From: =?UTF-8?B?" + base64.b64encode("赵敏".encode()).decode() + "?= <zhaomin@factory.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        "Subject: =?UTF-8?B?" + base64.b64encode("罚款单和现场照片".encode()).decode() + "?=\r\n"
        f"Date: {DATE}\r\n"
        "Message-ID: <evidence-1@factory.example>\r\n"
    )
    return _multipart(
        headers,
        "附件是罚款决定书和现场照片，请查收。",
        [("罚款决定书.pdf", "application/pdf", pdf_bytes()), ("现场.jpg", "image/jpeg", jpeg_bytes())],
    )


def hostile() -> bytes:
    headers = (
        "From: Attacker <mallory@evil.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        "Subject: Complaint with evidence\r\n"
        f"Date: {DATE}\r\n"
        "Message-ID: <hostile-1@evil.example>\r\n"
    )
    return _multipart(
        headers,
        "The tax office keeps inspecting us. Evidence attached.",
        [
            ("evidence.pdf", "application/pdf", exe_bytes()),
            (
                "accounts.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                zip_bomb_docx(),
            ),
            ("photo.jpg", "image/jpeg", jpeg_bytes()),
        ],
    )


def auto_reply() -> bytes:
    return (
        b"From: Out Of Office <holiday@qiye.example>\r\n"
        b"To: tousu@jw.example.gov.cn\r\n"
        b"Subject: Automatic reply: your complaint\r\n"
        b"Auto-Submitted: auto-replied\r\n"
        b"Date: " + DATE.encode() + b"\r\n"
        b"Message-ID: <ooo-1@qiye.example>\r\n"
        b"\r\n"
        b"I am away until Monday.\r\n"
    )


def precedence_bulk() -> bytes:
    return (
        b"From: Newsletter <news@list.example>\r\n"
        b"To: tousu@jw.example.gov.cn\r\n"
        b"Subject: Weekly news\r\n"
        b"Precedence: bulk\r\n"
        b"Message-ID: <news-1@list.example>\r\n"
        b"\r\n"
        b"News.\r\n"
    )


def our_own(domain: str) -> bytes:
    """One of our own e-mails coming back into the mailbox (a forward loop)."""
    return (
        b"From: Complaint centre <tousu@jw.example.gov.cn>\r\n"
        b"To: tousu@jw.example.gov.cn\r\n"
        b"Subject: Your complaint has been received\r\n"
        b"Message-ID: <outbox-77@" + domain.encode() + b">\r\n"
        b"\r\n"
        b"Your tracking code: ...\r\n"
    )


def bounce() -> bytes:
    boundary = "report-boundary"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.qiye.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {DATE}\r\n"
        "Message-ID: <bounce-1@mx.qiye.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain\r\n\r\n"
        "The mail could not be delivered.\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.qiye.example\r\n\r\n"
        "Final-Recipient: rfc822; nobody@qiye.example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        f"--{boundary}--\r\n"
    ).encode("ascii")


def malformed_but_readable() -> bytes:
    """Broken MIME a complaint still comes out of: raw 8-bit GBK headers, an unknown charset
    label, a boundary that never closes, and base64 with garbage in it."""
    subject = "税务局多次检查".encode("gbk")
    name = "陈".encode("gbk")
    return (
        b"From: " + name + b" <chen@shop.example>\r\n"
        b"To: tousu@jw.example.gov.cn\r\n"
        b"Subject: " + subject + b"\r\n"
        b"Message-ID: <broken-1@shop.example>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-closed"\r\n'
        b"\r\n"
        b"--never-closed\r\n"
        b'Content-Type: text/plain; charset="x-no-such-charset"\r\n'
        b"Content-Transfer-Encoding: 8bit\r\n"
        b"\r\n" + "一个月内来了四次，每次都查同样的账。".encode("gbk") + b"\r\n"
        b"--never-closed\r\n"
        b'Content-Type: application/pdf; name="a.pdf"\r\n'
        b"Content-Transfer-Encoding: base64\r\n"
        b"\r\n"
        b"JVBERi0xLjQK!!!not*base64***\r\n"
    )


def no_sender() -> bytes:
    """Garbage without a sender: nothing to answer, nobody to file it for."""
    return (
        b"Subject: \xff\xfe\xfd\r\n"
        b"Content-Type: multipart/alternative\r\n"  # no boundary at all
        b"\r\n"
        b"\x00\x01 binary garbage \xff\r\n"
    )


def oversized(size: int) -> bytes:
    headers = (
        "From: Big Sender <big@qiye.example>\r\n"
        "To: tousu@jw.example.gov.cn\r\n"
        "Subject: Video evidence\r\n"
        f"Date: {DATE}\r\n"
        "Message-ID: <big-1@qiye.example>\r\n"
    )
    return _multipart(
        headers, "Video attached.", [("video.jpg", "image/jpeg", b"\xff\xd8\xff" + b"A" * size)]
    )


def plain(sender: str, message_id: str, text: str = "区交通局不作为，道路审批半年没有答复。") -> bytes:
    return (
        f"From: {sender}\r\nTo: tousu@jw.example.gov.cn\r\nSubject: complaint\r\n"
        f"Message-ID: {message_id}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n"
    ).encode("ascii") + text.encode("utf-8")

"""The complaint mailbox over IMAP: the few commands the fetch needs, on the standard library's
imaplib.

Why no library: imap-tools and IMAPClient would each add a dependency for five commands (UID
SEARCH, UID FETCH of sizes, headers and bodies, UID MOVE or COPY + STORE + EXPUNGE, CREATE), and
neither spares us the size-first fetch or the folder fallbacks we need to spell out anyway.
Messages are read with BODY.PEEK so that a crash leaves them unread and in place.
"""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.conf import settings


class MailboxError(Exception):
    """The IMAP server refused or answered something we cannot use."""


@dataclass(frozen=True)
class MailboxConfig:
    host: str
    port: int
    user: str
    password: str
    security: str  # ssl, starttls or none
    folder: str
    timeout: int

    @classmethod
    def from_settings(cls) -> MailboxConfig:
        return cls(
            host=settings.COMPLAINT_MAILBOX_HOST,
            port=settings.COMPLAINT_MAILBOX_PORT,
            user=settings.COMPLAINT_MAILBOX_USER,
            password=settings.COMPLAINT_MAILBOX_PASSWORD,
            security=settings.COMPLAINT_MAILBOX_SECURITY,
            folder=settings.COMPLAINT_MAILBOX_FOLDER,
            timeout=settings.COMPLAINT_MAILBOX_TIMEOUT,
        )


def quote(name: str) -> str:
    """A mailbox name as an IMAP quoted string (imaplib sends arguments as they are)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


_SIZE = re.compile(rb"UID (\d+)[^)]*?RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+)[^)]*?UID (\d+)")


class Mailbox:
    """One selected folder of the mailbox, addressed by UID."""

    def __init__(self, connection: imaplib.IMAP4):
        self.connection = connection
        # Asked again after login: servers announce MOVE and UIDPLUS to authenticated users.
        typ, data = connection.capability()
        words = data[0].split() if typ == "OK" and data and data[0] else []
        self.capabilities = {word.decode("ascii", "replace").upper() for word in words}

    def _ok(self, typ: str, data, what: str):
        if typ != "OK":
            detail = b" ".join(d for d in data if isinstance(d, bytes))[:200].decode("ascii", "replace")
            raise MailboxError(f"{what}: {typ} {detail}")
        return data

    def select(self, folder: str) -> None:
        typ, data = self.connection.select(quote(folder))
        self._ok(typ, data, f"SELECT {folder}")

    def folder_ensure(self, folder: str) -> None:
        typ, data = self.connection.list('""', quote(folder))
        if typ == "OK" and any(item for item in data if item):
            return
        typ, data = self.connection.create(quote(folder))
        self._ok(typ, data, f"CREATE {folder}")

    def sizes(self) -> dict[int, int]:
        """{uid: size in bytes} of every message in the folder, in UID order (nothing downloaded)."""
        typ, data = self.connection.uid("SEARCH", None, "ALL")
        self._ok(typ, data, "UID SEARCH")
        uids = [int(uid) for uid in (data[0] or b"").split()]
        if not uids:
            return {}
        typ, data = self.connection.uid("FETCH", "1:*", "(UID RFC822.SIZE)")
        self._ok(typ, data, "UID FETCH RFC822.SIZE")
        sizes = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if not isinstance(line, bytes):
                continue
            found = _SIZE.search(line)
            if found:
                uid, size = (
                    (found.group(1), found.group(2)) if found.group(1) else (found.group(4), found.group(3))
                )
                sizes[int(uid)] = int(size)
        return {uid: sizes[uid] for uid in sorted(uids) if uid in sizes}

    def _fetch_literal(self, uid: int, item: str) -> bytes:
        typ, data = self.connection.uid("FETCH", str(uid), f"({item})")
        self._ok(typ, data, f"UID FETCH {item}")
        for part in data:
            if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
                return part[1]
        raise MailboxError(f"UID FETCH {uid} {item}: no data (message gone?)")

    def fetch(self, uid: int) -> bytes:
        return self._fetch_literal(uid, "BODY.PEEK[]")

    def fetch_headers(self, uid: int) -> bytes:
        return self._fetch_literal(uid, "BODY.PEEK[HEADER]")

    def move(self, uid: int, folder: str) -> None:
        """MOVE where the server has it (RFC 6851), else COPY, flag deleted, expunge this UID."""
        if "MOVE" in self.capabilities:
            typ, data = self.connection.uid("MOVE", str(uid), quote(folder))
            self._ok(typ, data, f"UID MOVE to {folder}")
            return
        typ, data = self.connection.uid("COPY", str(uid), quote(folder))
        self._ok(typ, data, f"UID COPY to {folder}")
        typ, data = self.connection.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)")
        self._ok(typ, data, "UID STORE \\Deleted")
        if "UIDPLUS" in self.capabilities:
            typ, data = self.connection.uid("EXPUNGE", str(uid))
        else:
            typ, data = self.connection.expunge()
        self._ok(typ, data, "EXPUNGE")


@contextmanager
def mailbox_open(config: MailboxConfig) -> Iterator[Mailbox]:
    """Log in and select the folder; log out however the block ends."""
    context = ssl.create_default_context()
    try:
        if config.security == "ssl":
            connection = imaplib.IMAP4_SSL(
                config.host, config.port, ssl_context=context, timeout=config.timeout
            )
        else:
            connection = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
            if config.security == "starttls":
                connection.starttls(ssl_context=context)
        connection.login(config.user, config.password)
    except (imaplib.IMAP4.error, OSError) as error:
        raise MailboxError(
            f"cannot log in to {config.host}:{config.port}: {type(error).__name__}: {error}"
        ) from error
    try:
        mailbox = Mailbox(connection)
        mailbox.select(config.folder)
        yield mailbox
    finally:
        with suppress(imaplib.IMAP4.error, OSError):
            connection.logout()

"""A real IMAP server for the complaint mailbox's tests: pymap (a pure-Python IMAP server, a test
dependency) with its in-memory backend, started as a subprocess on a free loopback port and
stopped after the test. It speaks IMAP4rev1 with MOVE and UIDPLUS, so the portal's imaplib code
runs against it exactly as against a production server (without TLS: loopback only)."""

from __future__ import annotations

import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from complaints.mailbox.imap import MailboxConfig, quote

USER = "tousu@jw.example.gov.cn"
PASSWORD = "imap-test-password"


@dataclass
class ImapServer:
    host: str
    port: int
    process: subprocess.Popen

    def config(self, folder: str = "INBOX") -> MailboxConfig:
        return MailboxConfig(
            host=self.host,
            port=self.port,
            user=USER,
            password=PASSWORD,
            security="none",
            folder=folder,
            timeout=20,
        )

    @property
    def settings(self) -> dict:
        return {
            "COMPLAINT_MAILBOX_HOST": self.host,
            "COMPLAINT_MAILBOX_PORT": self.port,
            "COMPLAINT_MAILBOX_USER": USER,
            "COMPLAINT_MAILBOX_PASSWORD": PASSWORD,
            "COMPLAINT_MAILBOX_SECURITY": "none",
            "COMPLAINT_MAILBOX_ADDRESS": USER,
            "COMPLAINT_MAILBOX_FOLDER": "INBOX",
        }

    @contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        connection = imaplib.IMAP4(self.host, self.port, timeout=20)
        connection.login(USER, PASSWORD)
        try:
            yield connection
        finally:
            with suppress(imaplib.IMAP4.error, OSError):
                connection.logout()

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put a message in the mailbox as a mail server would (IMAP APPEND)."""
        with self.client() as connection:
            typ, data = connection.append(quote(folder), None, None, raw)
            assert typ == "OK", data

    def messages(self, folder: str) -> list[bytes]:
        """The messages of a folder (empty if it does not exist)."""
        with self.client() as connection:
            typ, _data = connection.select(quote(folder), readonly=True)
            if typ != "OK":
                return []
            typ, data = connection.uid("SEARCH", None, "ALL")
            uids = (data[0] or b"").split()
            found = []
            for uid in uids:
                typ, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
                found += [part[1] for part in data if isinstance(part, tuple)]
            return found


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def imap_server() -> Iterator[ImapServer]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pymap.main import main; sys.exit(main())",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-tls",
            "dict",
            "--demo-user",
            USER,
            "--demo-password",
            PASSWORD,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"pymap exited: {process.stderr.read().decode(errors='replace')[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    if conn.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError("pymap did not accept connections within 30 s")
            time.sleep(0.2)
        yield ImapServer(host="127.0.0.1", port=port, process=process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

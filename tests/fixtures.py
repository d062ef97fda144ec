"""Shared fixtures: the real services, a real Celery worker, and Chromium through Playwright.

With ENVOPT_REQUIRE_SERVICES=1 (set by .ci/run) the session refuses to start unless it
runs on PostgreSQL with a Redis broker and Chromium is installed: CI never passes by
quietly skipping the parts that need them.
"""

import asyncio
import email
import email.policy
import functools
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made
# by the test itself are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

REQUIRE_SERVICES = os.environ.get("ENVOPT_REQUIRE_SERVICES") == "1"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
BASE_DIR = Path(__file__).resolve().parent.parent


def _redact(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def pytest_report_header(config):
    from django.conf import settings

    db = settings.DATABASES["default"]
    where = f"{db.get('HOST') or 'local'}:{db.get('PORT') or '-'}/{db['NAME']}"
    return [
        f"envopt database: {db['ENGINE'].rsplit('.', 1)[-1]} {where}",
        f"envopt broker: {_redact(settings.CELERY_BROKER_URL)}",
        f"envopt cache: {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}",
        f"envopt browser: {CHROMIUM if Path(CHROMIUM).exists() else 'not installed'}",
        f"envopt services required: {REQUIRE_SERVICES}",
    ]


def pytest_sessionstart(session):
    if not REQUIRE_SERVICES:
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("DATABASE_URL does not point at PostgreSQL")
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        problems.append("CELERY_BROKER_URL does not point at Redis")
    if not Path(CHROMIUM).exists():
        problems.append(f"Chromium is not installed at {CHROMIUM}")
    if problems:
        pytest.exit("ENVOPT_REQUIRE_SERVICES=1 but " + "; ".join(problems), returncode=3)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Tests create many accounts; the production hasher's work factor is not what they test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _force_login_passes_the_second_factor(monkeypatch):
    """Staff sessions need a verified second factor (core.twofactor); dozens of tests
    log staff in with ``client.force_login(user)`` and open the admin. Rather than switch the
    second factor off for tests (and so never test it), force_login here does what a complete
    login does: it also enrols a real, confirmed TOTP device for the user and puts django-otp's
    session key naming it in the session, so the same OTPMiddleware and gate run as in production.
    tests/security/test_auth.py logs in *without* this (``Client.force_login.__wrapped__``) to
    prove the gate, and browser tests type a real code computed from the device's secret."""
    from django.test import Client

    from core.twofactor_testing import client_session_verify

    original = Client.force_login

    @functools.wraps(original)
    def force_login(self, user, backend=None):
        original(self, user, backend)
        client_session_verify(self, user)

    monkeypatch.setattr(Client, "force_login", force_login)


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()
    yield


def database_url_for_subprocess() -> str:
    """A DATABASE_URL that reaches the database this test session is using (the test DB)."""
    from django.db import connection

    s = connection.settings_dict
    if s["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{s['NAME']}"
    auth = quote(s["USER"] or "")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"])
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class WorkerProcess:
    """A real Celery worker in its own process, on the configured broker and the test database."""

    def __init__(self, log_path: Path, extra_env: dict[str, str]):
        self.log_path = log_path
        self.extra_env = extra_env
        self.proc: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "envopt",
                "worker",
                "--loglevel=INFO",
                "--pool=solo",
                "-Q",
                "default,mail,sweeps",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown, no acknowledgement, the open database transaction dies with it."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    """Start real workers (extra environment per worker); all are stopped at the end of the test."""
    from django.db import connection

    if connection.vendor == "sqlite":
        # The test database is in this process's memory: a worker process cannot reach it.
        if REQUIRE_SERVICES:
            pytest.fail("worker tests need PostgreSQL")
        pytest.skip("a worker in another process needs PostgreSQL (DATABASE_URL); CI runs these")
    workers: list[WorkerProcess] = []

    def start(**extra_env: str) -> WorkerProcess:
        worker = WorkerProcess(tmp_path / f"worker-{len(workers)}.log", extra_env).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def celery_worker_process(worker_factory):
    return worker_factory()


class RecordingHandler:
    """An aiosmtpd handler that keeps what it receives; it can stall or refuse on demand."""

    def __init__(self):
        self.messages: list = []
        self.stall_rcpt_seconds = 0.0
        self.rcpt_started = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_started.set()
        if self.stall_rcpt_seconds:
            stall, self.stall_rcpt_seconds = self.stall_rcpt_seconds, 0.0  # only the first conversation
            await asyncio.sleep(stall)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server in the test process; the portal (and workers given smtp_env) send to it."""
    from aiosmtpd.controller import Controller

    handler = RecordingHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 20
    handler.port = port
    handler.env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(port)}
    try:
        yield handler
    finally:
        controller.stop()


def wait_for(predicate, *, timeout: float = 30.0, interval: float = 0.2, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# --- Browser ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if REQUIRE_SERVICES:
            pytest.fail(f"Chromium is required but missing at {CHROMIUM}")
        pytest.skip(f"Chromium not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


# --- Background exports ------------------------------------------------------------------------


def export_download(client, url: str, *, user):
    """Press an export button (POST ``url``, which records a background export for ``user``), run
    the job here as a worker would (core.exports.export_job_run, the same service the Celery
    task calls; tests/test_exports.py runs it in a real worker) and download the file through
    the owner's link. The response's ``content`` holds the workbook."""
    from django.http import HttpResponse
    from django.urls import reverse

    from core.exports import export_job_run
    from core.models import ExportJob

    started = client.post(url)
    assert started.status_code == 302, started.status_code
    job = ExportJob.objects.filter(owner=user).latest("created_at", "pk")
    assert export_job_run(job.pk) == "done", ExportJob.objects.get(pk=job.pk).error
    response = client.get(reverse("admin:core_exportjob_download", args=[job.pk]))
    if not response.streaming:
        return response
    # The file as a plain response, its headers kept, so callers read ``content`` once.
    plain = HttpResponse(b"".join(response.streaming_content), status=response.status_code)
    for header, value in response.items():
        plain[header] = value
    return plain

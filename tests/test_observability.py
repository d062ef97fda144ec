"""No identity in the JSON logs or in what Sentry receives, with the real parts: a canary complaint
filed through the public form, its receipt mailed by a real Celery worker to a real SMTP server,
and a real HTTP server in this process standing in for Sentry.

The canaries are tests/security/canaries.py's (the real-name complainant): name, phone, e-mail,
enterprise, credit code and ID number, each written in the complaint's text in several forms,
plus the tracking code the complaint gets. Every log line and every byte Sentry receives is
searched for them in the security battery's normalised views.
"""

import contextlib
import datetime as dt
import gzip
import io
import json
import logging
import logging.config
import re
import socket
import threading
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sentry_sdk
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client

import complaints.views
from complaints.services import complaint_submit
from core.error_reporting import sentry_init
from core.metrics import SWEEP_TIMING_KEY
from core.tasks import outbox_send, outbox_sweep
from liaison.tests.factories import department
from tests.fixtures import wait_for
from tests.security.canaries import NEEDLES, REAL, Haystack, complaint_texts

pytestmark = [pytest.mark.services]

TRACKING_CODE = re.compile(r"[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}-[2-9A-HJKMNP-Z]{5}")


def canary_form(department_pk: int) -> dict:
    description, outcome = complaint_texts(REAL)
    return {
        "complainant_type": "enterprise",
        "identity_mode": "real",
        "department": department_pk,
        "category": "fines",
        "occurred_on": (dt.date.today() - dt.timedelta(days=3)).isoformat(),
        "occurred_place": "高新区政务服务中心",
        "description": description,
        "desired_outcome": outcome,
        "consent": "on",
        "contact_name": REAL.contact_name,
        "phone": REAL.phone,
        "email": REAL.email,
        "enterprise_name": REAL.enterprise_name,
        "credit_code": REAL.credit_code,
    }


def identity_hits(where: str, text: str, extra_secrets: tuple[str, ...] = ()) -> list[str]:
    """Every canary (and extra secret) found in ``text``, line by line, also with JSON's escapes
    undone (a formatter writing \\uXXXX would otherwise hide a Chinese name from the search)."""
    found = []
    for number, line in enumerate(text.splitlines()):
        views = [line]
        if line.startswith("{"):
            with contextlib.suppress(ValueError):
                views.append(json.dumps(json.loads(line), ensure_ascii=False))
        for view in views:
            found += [str(hit) for hit in Haystack(f"{where} line {number}", view).hits(NEEDLES)]
            found += [
                f"{where} line {number}: {secret}" for secret in extra_secrets if secret and secret in view
            ]
    return found


@pytest.fixture
def public_form(settings):
    settings.INTAKE_POW_ENABLED = False
    settings.INTAKE_RATE_LIMITS_ENABLED = False


@pytest.fixture
def json_log_at_debug():
    """The application's LOGGING in JSON with the root at DEBUG, written into a buffer."""
    buffer = io.StringIO()
    config = json.loads(json.dumps(django_settings.LOGGING))
    config["handlers"]["console"].update(formatter="json", stream=buffer)
    config["root"]["level"] = "DEBUG"
    # The test's own SMTP server logs every conversation: its machinery, not the portal's.
    for name in ("mail.log", "asyncio", "aiosmtpd"):
        config["loggers"][name] = {"handlers": [], "level": "WARNING", "propagate": False}
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


# --- JSON logs ----------------------------------------------------------------------------------


def test_the_json_logs_of_a_canary_complaint_and_of_the_worker_that_mails_its_receipt(
    worker_factory, smtp_server, public_form, json_log_at_debug
):
    worker = worker_factory(LOG_FORMAT="json", LOG_LEVEL="DEBUG", **smtp_server.env)
    request_id = str(uuid.uuid4())
    response = Client(HTTP_X_REQUEST_ID=request_id).post("/complaints/new/", canary_form(department().pk))
    assert response.status_code == 302, response.content.decode()[:1000]
    assert response.headers["X-Request-ID"] == request_id

    # The worker sends the receipt (the tracking code, to the canary's address), then a sweep runs.
    receipt = wait_for(lambda: smtp_server.messages, timeout=90, what="the receipt e-mail")[0]
    assert REAL.email in receipt["To"]
    code = TRACKING_CODE.search(receipt.get_body(("plain",)).get_content()).group(0)
    outbox_sweep.delay()
    wait_for(
        lambda: cache.get(SWEEP_TIMING_KEY.format(task="core.tasks.outbox_sweep")),
        timeout=60,
        what="the worker to record the sweep's duration",
    )
    worker.stop()

    request_log = json_log_at_debug.getvalue()
    request_lines = [json.loads(line) for line in request_log.splitlines()]  # every line is JSON
    assert any(
        line["logger"] == "complaints.services" and line["request_id"] == request_id for line in request_lines
    ), request_log[-3000:]

    worker_log = worker.log()
    worker_lines = [json.loads(line) for line in worker_log.splitlines() if line.startswith("{")]
    # The sending task's lines carry the task's own id and the id of the request that queued it
    # (the broker may still hold other runs' tasks: those carry their own requests' ids).
    sent = [
        line
        for line in worker_lines
        if line.get("task_name") == "core.tasks.outbox_send" and line.get("request_id") == request_id
    ]
    assert sent, worker_log[-3000:]
    assert all(len(line["task_id"]) == 36 for line in sent)
    assert any(
        line.get("task_name") == "core.tasks.outbox_sweep" and line["task_id"] for line in worker_lines
    )

    hits = identity_hits("request log", request_log, (code,)) + identity_hits(
        "worker log", worker_log, (code,)
    )
    assert not hits, "\n".join(hits)


# --- Sentry ---------------------------------------------------------------------------------------


class SentryStandIn(BaseHTTPRequestHandler):
    """Receives what the SDK sends (envelopes, gzip or deflate) and keeps it as text."""

    received: list[str]

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        encoding = (self.headers.get("Content-Encoding") or "").lower()
        if encoding == "gzip":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        elif encoding:
            raise AssertionError(f"unexpected Content-Encoding {encoding}")
        self.server.received.append(body.decode("utf-8"))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format, *args):  # the test's own server: quiet
        pass


@pytest.fixture
def sentry_server():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = ThreadingHTTPServer(("127.0.0.1", port), SentryStandIn)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.dsn = f"http://publickey@127.0.0.1:{port}/42"
    try:
        yield server
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init(dsn=None)  # the SDK off again for the rest of the session
        server.shutdown()
        server.server_close()


# The SDK as configured, and the SDK told to collect everything it can short of PII: the scrubbing
# in before_send must hold on its own.
SDK_OPTIONS = {
    "as configured": {},
    "collecting bodies and frame variables": {
        "max_request_body_size": "always",
        "include_local_variables": True,
    },
}


def _file_a_failing_canary_complaint(monkeypatch) -> tuple[str, ...]:
    """POST the canary complaint with a bearer token and cookies; the view fails after the real
    service has filed it. Returns the secrets sent besides the canaries (code, token, cookies)."""
    codes = []

    def submit_then_fail(**kwargs):
        # The real service runs (its SQL, its log lines, its breadcrumbs); then the view fails,
        # as a bug after the write would: fault injection, not a stand-in for the service.
        submitted = complaint_submit(**kwargs)
        codes.append(submitted.tracking_code)
        raise RuntimeError(f"after filing {submitted.complaint.reference}: {kwargs.get('identity')!r}")

    monkeypatch.setattr(complaints.views, "complaint_submit", submit_then_fail)
    # Made here, not written in this file: Sentry receives the source lines around each frame.
    token, receipt, session = (f"{kind}-{uuid.uuid4().hex}" for kind in ("authz", "cookie", "session"))
    client = Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
    client.cookies["envopt_receipt"] = receipt
    client.cookies["sessionid"] = session
    response = client.post(
        f"/complaints/new/?email={REAL.email}&n={REAL.contact_name}", canary_form(department().pk)
    )
    assert response.status_code == 500
    assert codes, "the service did not run"
    sentry_sdk.flush(timeout=10)
    return (codes[0], token, receipt, session)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("options", SDK_OPTIONS.values(), ids=SDK_OPTIONS.keys())
def test_sentry_receives_the_error_of_a_canary_complaint_without_the_identity(
    sentry_server, public_form, monkeypatch, options
):
    sentry_init(dsn=sentry_server.dsn, environment="test", traces_sample_rate=1.0, **options)
    secrets = _file_a_failing_canary_complaint(monkeypatch)
    received = "\n".join(sentry_server.received)
    assert '"type":"event"' in received.replace(" ", ""), received[:2000]
    assert "RuntimeError" in received and "after filing" in received
    hits = identity_hits("sentry", received, secrets)
    assert not hits, "\n".join(hits[:20])


@pytest.mark.django_db(transaction=True)
def test_without_the_scrubbing_the_stand_in_would_have_received_the_identity(
    sentry_server, public_form, monkeypatch
):
    # The control: the same error with the scrubbing hooks off. The search above finds what leaks.
    sentry_init(
        dsn=sentry_server.dsn,
        environment="test",
        before_send=None,
        before_send_transaction=None,
        before_breadcrumb=None,
        **SDK_OPTIONS["collecting bodies and frame variables"],
    )
    secrets = _file_a_failing_canary_complaint(monkeypatch)
    hits = identity_hits("sentry", "\n".join(sentry_server.received), secrets)
    assert any(hit.startswith("real-name/name in") for hit in hits), hits


def test_a_task_failing_in_the_worker_reaches_sentry_scrubbed(worker_factory, sentry_server):
    # A real failure in a real worker: the sending task given a value that is not an e-mail's id
    # (the canary's phone and address), which Django refuses with the value in its message.
    worker = worker_factory(SENTRY_DSN=sentry_server.dsn)
    outbox_send.delay(f"{REAL.phone} {REAL.email}")

    def event_arrived():
        return any('"type":"event"' in body.replace(" ", "") for body in sentry_server.received)

    wait_for(event_arrived, timeout=90, what="the worker's error event")
    worker.stop()
    received = "\n".join(sentry_server.received)
    assert "core.tasks.outbox_send" in received and "ValueError" in received
    hits = identity_hits("sentry (worker)", received, (REAL.phone, REAL.email))
    assert not hits, "\n".join(hits[:20])

"""Log lines: JSON or plain, with the request id and the task id, redacted (core/logs.py)."""

import io
import json
import logging
import logging.config
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from core.logs import LogContextFilter, RedactingFilter, json_formatter, plain_formatter, redact_log_text

PHONE, EMAIL, CODE = "13907318264", "zklcanary@example.com", "7KXQM-3PZ9T-VW4HD-A8NRC"


def _line(formatter: logging.Formatter, logger: str, message: str, *args, exc_info=None, **extra) -> str:
    record = logging.getLogger(logger).makeRecord(
        logger, logging.WARNING, __file__, 1, message, args, exc_info, extra=extra
    )
    for log_filter in (LogContextFilter(), RedactingFilter()):
        log_filter.filter(record)
    return formatter.format(record)


def test_a_json_line_has_the_fields_an_operator_searches_by():
    line = json.loads(
        _line(json_formatter(), "complaints.services", "complaint %s received via %s", "TS-1", "web")
    )
    assert line["level"] == "WARNING"
    assert line["logger"] == "complaints.services"
    assert line["message"] == "complaint TS-1 received via web"
    assert line["time"].endswith("+00:00")
    assert {"request_id", "task_id", "task_name"} <= set(line)


def test_identity_and_secrets_are_removed_from_message_arguments_extras_and_exceptions():
    try:
        raise ValueError(f"duplicate key (email)=({EMAIL})")
    except ValueError as error:
        exc_info = (type(error), error, error.__traceback__)
    text = _line(
        json_formatter(),
        "x",
        "call %s, write %s, code %s, link %s",
        PHONE,
        EMAIL,
        CODE,
        "/e/own/Qx7sJ2mK9pL4vN8r/",
        exc_info=exc_info,
        path="/appraisal/i/Zx9abcdEFGH12/",
        phone_in_extra=f"tel {PHONE}",
    )
    line = json.loads(text)
    for secret in (PHONE, EMAIL, CODE, "Qx7sJ2mK9pL4vN8r", "Zx9abcdEFGH12"):
        assert secret not in text
    assert "ValueError" in line["exc_info"]
    assert line["path"] == "/appraisal/i/[redacted]/"


def test_a_tracking_code_is_removed_with_or_without_its_dashes():
    assert (
        redact_log_text(f"code {CODE} or {CODE.replace('-', '').lower()}") == "code [redacted] or [redacted]"
    )


def test_chinese_stays_readable_in_json():
    text = _line(json_formatter(), "x", "投诉已受理")
    assert "投诉已受理" in text


def test_the_plain_line_shows_dashes_without_a_request():
    text = _line(plain_formatter(), "x", "hello")
    assert "[- -] hello" in text


def test_redaction_leaves_ordinary_text_alone():
    text = (
        "outbox 12 attempt 3: SMTPServerDisconnected; case AJ2026-000012 referred to 市场监管局;"
        " check start users great"
    )
    assert redact_log_text(text) == text


def test_log_format_must_be_json_or_plain(monkeypatch):
    import importlib

    import envopt.settings as settings_module

    monkeypatch.setenv("LOG_FORMAT", "xml")
    with pytest.raises(ImproperlyConfigured):
        importlib.reload(settings_module)
    monkeypatch.setenv("LOG_FORMAT", "json")
    importlib.reload(settings_module)
    assert settings_module.LOGGING["handlers"]["console"]["formatter"] == "json"
    monkeypatch.delenv("LOG_FORMAT")
    importlib.reload(settings_module)


def test_production_defaults_to_json_and_development_to_plain(monkeypatch):
    import importlib

    import envopt.settings as settings_module

    monkeypatch.delenv("LOG_FORMAT", raising=False)
    monkeypatch.setenv("ENVOPT_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 50)
    monkeypatch.setenv("ALLOWED_HOSTS", "envopt.example")
    try:
        assert importlib.reload(settings_module).LOG_FORMAT == "json"
    finally:
        monkeypatch.setenv("ENVOPT_ENV", "development")
        assert importlib.reload(settings_module).LOG_FORMAT == "plain"


# --- The request id ---------------------------------------------------------------------------------


@pytest.fixture
def json_log(settings):
    """The application's LOGGING, in JSON, into a buffer; restored afterwards."""
    buffer = io.StringIO()
    config = json.loads(json.dumps(django_settings.LOGGING))
    config["handlers"]["console"].update(formatter="json", stream=buffer)
    logging.config.dictConfig(config)
    try:
        yield buffer
    finally:
        logging.config.dictConfig(django_settings.LOGGING)


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_every_line_of_the_request_has_it(client, json_log):
    response = client.get("/no-such-page/")
    request_id = response.headers["X-Request-ID"]
    assert len(request_id) == 32 and int(request_id, 16) >= 0
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    not_found = [line for line in lines if line["logger"] == "django.request"]
    assert not_found and all(line["request_id"] == request_id for line in not_found)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    [str(uuid.uuid4()), uuid.uuid4().hex, str(uuid.uuid4()).upper()],
)
def test_a_well_formed_incoming_request_id_is_kept(client, given):
    assert client.get("/healthz", HTTP_X_REQUEST_ID=given).headers["X-Request-ID"] == given


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    [
        "abc",
        "x" * 32,
        "{" + str(uuid.uuid4()) + "}",
        "urn:uuid:" + str(uuid.uuid4()),
        " " + uuid.uuid4().hex[:31],
        uuid.uuid4().hex[:16] + "_" + uuid.uuid4().hex[:15],
        "13907318264",
        "<script>" + uuid.uuid4().hex,
    ],
)
def test_a_malformed_incoming_request_id_is_replaced(client, given):
    returned = client.get("/healthz", HTTP_X_REQUEST_ID=given).headers["X-Request-ID"]
    assert returned != given
    assert len(returned) == 32 and all(ch in "0123456789abcdef" for ch in returned)

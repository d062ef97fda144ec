"""Log lines as JSON (or plain text) carrying the request id and, in a worker, the Celery task,
with identity and secrets taken out of every line before a formatter sees it.

The libraries do the common parts: python-json-logger writes the JSON (settings.LOGGING names
its formatter), django-guid keeps the request id in a context variable (its middleware sets it
from a well-formed ``X-Request-ID`` or a new one, and its Celery integration carries it in the
task's headers to the worker). Written here, because no library knows this portal:

* ``LogContextFilter`` puts the request id and the running Celery task's id and name on every
  record (django-guid's own Celery ids are ids it makes up, not Celery's task id);
* ``RedactingFilter`` removes a complainant's identity and the secrets some URLs carry from the
  message, the exception text and every extra field, with the one recogniser of identity the
  whole portal uses (``core.masking.redact_text``: phone numbers, e-mail addresses, ID card and
  credit code numbers of anybody, however written), plus tracking codes and the secret paths
  of supervision codes and appraisal invitations (``redact_log_text``). Names cannot be told from
  other words without the identity row at hand: the rule for them is that no code logs them
  (the tests file a canary complaint and search the JSON lines of the request and the worker).
"""

from __future__ import annotations

import logging
import re
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any

from celery import current_task
from django_guid import get_guid
from pythonjsonlogger.json import JsonFormatter

from core.masking import IDENTITY_FIELDS, redact_text

# /e/<secret>/ and /e/own/<secret>/ (an enterprise's supervision code; the pages /e/, /e/own/
# and /e/own/disturbed/ stay) and /appraisal/i/<token>/ (an appraisal invitation's one-time link).
_SUPERVISION_PATH = re.compile(r"/e/(own/)?(?!disturbed/)[A-Za-z0-9_\-]{8,}(/|\b)")
_APPRAISAL_PATH = re.compile(r"/appraisal/i/[A-Za-z0-9_\-]{8,}(/|\b)")
# A complaint's tracking code as handed out (complaints.tracking: four groups of five symbols of
# an alphabet without look-alikes), with or without its dashes, in either case. Not with spaces:
# four five-letter words in a row must stay words.
_TRACKING_CODE = re.compile(
    r"(?<![0-9A-Za-z])[2-9A-HJKMNP-Za-hjkmnp-z]{5}(?:-?[2-9A-HJKMNP-Za-hjkmnp-z]{5}){3}(?![0-9A-Za-z])"
)
REDACTED = "[redacted]"


def redact_url(text: str) -> str:
    """The secret paths of ``text`` replaced (the access log's request line, path and referer)."""
    text = _SUPERVISION_PATH.sub(rf"/e/\1{REDACTED}\2", text)
    return _APPRAISAL_PATH.sub(rf"/appraisal/i/{REDACTED}\1", text)


# The request being answered, so that a line or an error report written during it can also
# remove the identity its form sent (a name is recognised only when it is known).
_current_request: ContextVar[Any] = ContextVar("envopt_current_request", default=None)


def current_request_set(request) -> Any:
    """Remember ``request`` for this context (core.middleware.CurrentRequestMiddleware)."""
    return _current_request.set(request)


def current_request_reset(token) -> None:
    _current_request.reset(token)


def request_identity() -> SimpleNamespace | None:
    """The identity fields (complaints' names: contact_name, phone, e-mail, enterprise name,
    credit code) of the current request's form, if it has sent any. Only a body already parsed
    is read: redaction never makes a request read its body."""
    request = _current_request.get()
    if request is None:
        return None
    values = {}
    for source in ("_post", "GET"):
        data = getattr(request, source, None) if source == "_post" else request.GET
        if data is None:
            continue
        for name in IDENTITY_FIELDS:
            value = data.get(name) if hasattr(data, "get") else None
            if isinstance(value, str) and value.strip() and not values.get(name):
                values[name] = value
    return SimpleNamespace(**values) if values else None


def redact_log_text(text: str) -> str:
    """``text`` without secret paths, tracking codes, anybody's numbers and e-mail addresses, and
    the identity the current request's form sent, however written (core.masking)."""
    if not text:
        return text
    text = _TRACKING_CODE.sub(REDACTED, redact_url(text))
    return redact_text(text, request_identity())


PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s %(task_id)s] %(message)s"


def json_formatter() -> logging.Formatter:
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, request and task ids,
    then any extra fields. Non-ASCII as it is (Chinese stays readable, and searchable)."""
    return JsonFormatter(
        "%(levelname)s %(name)s %(message)s %(request_id)s %(task_id)s %(task_name)s",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        json_ensure_ascii=False,
    )


def plain_formatter() -> logging.Formatter:
    """The development format, with "-" where there is no request or task."""
    return logging.Formatter(PLAIN_FORMAT, defaults={"request_id": "-", "task_id": "-"})


# The attributes every LogRecord has; anything else on a record is an "extra" field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
# Extras that this module puts on records and that hold no user text.
_CONTEXT_FIELDS = frozenset({"request_id", "task_id", "task_name"})


class LogContextFilter(logging.Filter):
    """The request id (django-guid) and the Celery task's id and name, on every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        # Set only when known: the plain format shows "-" for a missing one, JSON null.
        request_id = getattr(record, "request_id", None) or get_guid()  # gunicorn's line brings its own
        if request_id:
            record.request_id = request_id
        task = current_task
        task_id = getattr(getattr(task, "request", None), "id", None) if task else None
        if task_id:
            record.task_id, record.task_name = task_id, task.name
        return True


# Keys of a structured extra that hold a task's arguments or result (Celery's "data"): tasks
# take ids (STYLE.md), but what a task is given is not the log's to keep.
_DROPPED_KEYS = frozenset({"args", "kwargs", "argsrepr", "kwargsrepr", "return_value"})


def _clean(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        value = {key: item for key, item in value.items() if key not in _DROPPED_KEYS}
    return redact_log_text(value if isinstance(value, str) else str(value))


class RedactingFilter(logging.Filter):
    """Identity and secrets out of the record: message, exception, stack and extra fields.

    The record is rewritten in place (the message formatted once, its arguments dropped, the
    exception formatted into ``exc_text``), so every handler after this one, plain or JSON,
    writes only the cleaned text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string still gets logged, cleaned
            message = f"{record.msg!r} {record.args!r}"
        record.msg, record.args = redact_log_text(message), None
        if record.exc_info:
            record.exc_text = redact_log_text(self._formatter.formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = redact_log_text(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_log_text(record.stack_info)
        for key, value in list(vars(record).items()):
            if key not in _RECORD_ATTRIBUTES and key not in _CONTEXT_FIELDS and not key.startswith("_"):
                setattr(record, key, _clean(value))
        record._redacted = True
        return True

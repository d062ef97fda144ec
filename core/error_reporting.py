"""Error tracking with Sentry (sentry-sdk, its Django and Celery integrations), only when
SENTRY_DSN is set, and never with a complainant's identity in what is sent.

Two layers. The SDK is told to collect little: no personal data (``send_default_pii=False``: no
cookies, no user, no client address), no request bodies, no local variables of stack frames.
Then every event, transaction and breadcrumb passes ``event_scrub``/``breadcrumb_scrub`` before
it leaves, which hold even if an option above were changed: the request's body, query string,
cookies and the Authorization, Cookie and forwarding headers are removed; URLs lose the secrets
of supervision codes and appraisal links; frame variables, SQL breadcrumbs (their parameters are
what a form sent) and the task's arguments are dropped; every other text (exception messages,
log messages, extras, tags, span descriptions) goes through the log redaction
(``core.logs.redact_log_text``: anybody's phone numbers, e-mail addresses, ID card and credit
code numbers, tracking codes, secret paths). Hand-written because what identifies a complainant
is this portal's knowledge; sentry-sdk's own EventScrubber (on by default) knows only passwords,
tokens and the like, and still runs first.
"""

from __future__ import annotations

from typing import Any

import sentry_sdk
from sentry_sdk.integrations.celery import CeleryIntegration
from sentry_sdk.integrations.django import DjangoIntegration

from core.logs import redact_log_text, redact_url

FILTERED = "[Filtered]"
# Request headers sent as they came; every other header is dropped (cookies, Authorization,
# forwarding addresses, anything a proxy or a client adds).
KEPT_HEADERS = frozenset(
    {"accept", "accept-language", "content-length", "content-type", "host", "user-agent"}
)
# Breadcrumb categories whose message is data rather than a description: SQL with its values.
DROPPED_BREADCRUMB_CATEGORIES = frozenset({"query", "redis"})


def sentry_init(
    *, dsn: str, environment: str, release: str = "", traces_sample_rate: float = 0.0, **options
) -> None:
    """Start the SDK for this process (web, worker or beat). ``options`` override the defaults
    below (the tests loosen them to show that the scrubbing alone holds)."""
    settings = {
        "dsn": dsn,
        "environment": environment,
        "release": release or None,
        "integrations": [DjangoIntegration(), CeleryIntegration()],
        "send_default_pii": False,
        "max_request_body_size": "never",
        "include_local_variables": False,
        "traces_sample_rate": traces_sample_rate,
        "before_send": event_scrub,
        "before_send_transaction": event_scrub,
        "before_breadcrumb": breadcrumb_scrub,
        **options,
    }
    sentry_sdk.init(**settings)


def _redacted(value: Any) -> Any:
    """Strings redacted, containers walked, numbers and booleans kept, anything else as text."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return redact_log_text(value)
    if isinstance(value, dict):
        return {key: _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    return redact_log_text(str(value))


def _request_scrub(request: dict) -> dict:
    cleaned = {"method": request.get("method")}
    if request.get("url"):
        cleaned["url"] = redact_log_text(redact_url(str(request["url"]).split("?", 1)[0]))
    headers = request.get("headers") or {}
    cleaned["headers"] = {
        name: redact_log_text(str(value)) for name, value in headers.items() if name.lower() in KEPT_HEADERS
    }
    if request.get("data") is not None:
        cleaned["data"] = FILTERED
    return cleaned


def _frames(event: dict) -> list[dict]:
    frames = []
    for holder in ("exception", "threads"):
        for value in (event.get(holder) or {}).get("values") or []:
            frames.extend((value.get("stacktrace") or {}).get("frames") or [])
    frames.extend((event.get("stacktrace") or {}).get("frames") or [])
    return frames


def breadcrumb_scrub(crumb: dict, hint: Any = None) -> dict | None:
    if crumb.get("category") in DROPPED_BREADCRUMB_CATEGORIES:
        return None
    cleaned = {key: crumb[key] for key in ("type", "category", "level", "timestamp") if key in crumb}
    if crumb.get("message"):
        cleaned["message"] = redact_log_text(str(crumb["message"]))
    return cleaned


def event_scrub(event: dict, hint: Any = None) -> dict:
    """The event without identity (see the module docstring); what is left says what failed and
    where, which is what error tracking is for."""
    if isinstance(event.get("request"), dict):
        event["request"] = _request_scrub(event["request"])
    if event.get("user"):
        event["user"] = {key: value for key, value in event["user"].items() if key == "id"}
    for value in (event.get("exception") or {}).get("values") or []:
        if value.get("value"):
            value["value"] = redact_log_text(str(value["value"]))
    for frame in _frames(event):
        frame.pop("vars", None)
    logentry = event.get("logentry")
    if isinstance(logentry, dict):
        event["logentry"] = {
            "message": redact_log_text(str(logentry.get("formatted") or logentry.get("message") or ""))
        }
    if isinstance(event.get("message"), str):
        event["message"] = redact_log_text(event["message"])
    crumbs = event.get("breadcrumbs")
    if isinstance(crumbs, dict):
        crumbs["values"] = [kept for crumb in crumbs.get("values") or [] if (kept := breadcrumb_scrub(crumb))]
    extra = event.get("extra")
    if isinstance(extra, dict):
        job = extra.pop("celery-job", None)
        extra = _redacted(extra)
        if isinstance(job, dict):
            extra["celery-job"] = {"task_name": job.get("task_name")}
        event["extra"] = extra
    if event.get("tags"):
        event["tags"] = _redacted(event["tags"])
    if event.get("transaction"):
        event["transaction"] = redact_log_text(redact_url(str(event["transaction"])))
    for span in event.get("spans") or []:
        if span.get("description"):
            span["description"] = redact_log_text(redact_url(str(span["description"])))
        span.pop("data", None)
    return event

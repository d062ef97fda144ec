"""Gunicorn's access and error logs without the secrets and identity some requests carry, as
JSON lines with the request id when LOG_FORMAT is json (the default in production).

An enterprise's supervision code has two secrets: the QR code on its wall opens /e/<secret>/ and
its private link /e/own/<secret>/ (each page moves the secret into the session and redirects at
once, so it is in no later URL), and gunicorn's access log would otherwise write that first
request line as it came; a staff search (``?q=…``) may carry a complainant's name. Gunicorn has
no setting to redact a path or to write JSON, so this small logger class
(``--logger-class envopt.gunicorn_logging.RedactingLogger``) rewrites the atoms that can hold
one (the request line, the path, the query and the referer: secret paths redacted, query values
dropped) and, in JSON, writes each request as one object with the ``X-Request-ID`` the
application answered with, through the same formatter and redaction as the application's log.
"""

import os
import re

from gunicorn.glogging import Logger

from core.logs import LogContextFilter, RedactingFilter, json_formatter, redact_url

ATOMS_WITH_URLS = ("r", "U", "q", "f")
# The values of a query string: the names say what was asked, the values may say who.
_QUERY_VALUE = re.compile(r"=[^&\s\"]*")

__all__ = ["RedactingLogger", "log_format", "redact_url"]


def log_format() -> str:
    """LOG_FORMAT as settings.py reads it (gunicorn's master reads no Django settings)."""
    default = "json" if os.environ.get("ENVOPT_ENV") == "production" else "plain"
    return os.environ.get("LOG_FORMAT") or default


def _without_query_values(text: str) -> str:
    if "?" not in text:
        return text
    head, _, query = text.partition("?")
    return f"{head}?{_QUERY_VALUE.sub('=', query)}"


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        if log_format() != "json":
            return
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(json_formatter())
                    handler.addFilter(LogContextFilter())
                    handler.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ATOMS_WITH_URLS:
            if isinstance(atoms.get(key), str):
                value = redact_url(atoms[key])
                atoms[key] = _QUERY_VALUE.sub("=", value) if key == "q" else _without_query_values(value)
        return atoms

    def access(self, resp, req, environ, request_time):
        if log_format() != "json":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(
            "%s %s %s",
            atoms["m"],
            atoms["U"],
            atoms["s"],
            extra={
                "http_method": atoms["m"],
                "http_path": atoms["U"],
                "http_query": atoms["q"] or None,
                "http_status": int(atoms["s"]) if str(atoms["s"]).isdigit() else atoms["s"],
                "duration_ms": atoms["M"],
                "response_bytes": atoms["B"],
                "request_id": atoms.get("{x-request-id}o"),
            },
        )

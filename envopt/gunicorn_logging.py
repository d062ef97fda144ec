"""Gunicorn's access log without the secrets some of our URLs carry.

An enterprise's supervision code has two secrets: the QR code on its wall opens /e/<secret>/ and
its private link /e/own/<secret>/ (each page moves the secret into the session and redirects at
once, so it is in no later URL), and gunicorn's access log would otherwise write
that first request line as it came. Gunicorn has no setting to redact a path, so this small
logger class (``--logger-class envopt.gunicorn_logging.RedactingLogger``) rewrites the atoms that
can hold one: the request line, the path, the query and the referer.
"""

import re

from gunicorn.glogging import Logger

# /e/<secret>/ and /e/own/<secret>/; the pages themselves (/e/, /e/own/, /e/own/disturbed/) stay.
_SECRET_PATH = re.compile(r"/e/(own/)?(?!disturbed/)[A-Za-z0-9_\-]{8,}(/|\b)")
_REDACTED = r"/e/\1[redacted]\2"
# A democratic appraisal invitation's one-time link /appraisal/i/<token>/ (issue 16), likewise.
_APPRAISAL_PATH = re.compile(r"/appraisal/i/[A-Za-z0-9_\-]{8,}(/|\b)")
_APPRAISAL_REDACTED = r"/appraisal/i/[redacted]\1"
ATOMS_WITH_URLS = ("r", "U", "q", "f")


def redact_url(text: str) -> str:
    return _APPRAISAL_PATH.sub(_APPRAISAL_REDACTED, _SECRET_PATH.sub(_REDACTED, text))


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ATOMS_WITH_URLS:
            if isinstance(atoms.get(key), str):
                atoms[key] = redact_url(atoms[key])
        return atoms

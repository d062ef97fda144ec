"""Sentry: on only with SENTRY_DSN, and every event scrubbed (core/error_reporting.py). The end to
end test against a stand-in server is tests/test_observability.py."""

import json
import os
import subprocess
import sys
from pathlib import Path

import sentry_sdk

from core.error_reporting import breadcrumb_scrub, event_scrub

BASE_DIR = Path(__file__).resolve().parents[2]
NAME, PHONE, EMAIL = "甄珂蕾", "13907318264", "zklcanary@example.com"

PROBE = """
import json, django, sentry_sdk
django.setup()
client = sentry_sdk.get_client()
print(json.dumps({
    "active": client.is_active(),
    "integrations": sorted(client.integrations),
    "pii": client.options.get("send_default_pii"),
    "before_send": getattr(client.options.get("before_send"), "__name__", None),
    "bodies": client.options.get("max_request_body_size"),
    "variables": client.options.get("include_local_variables"),
}))
"""


def _probe(**env) -> dict:
    environ = {key: value for key, value in os.environ.items() if key != "SENTRY_DSN"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=BASE_DIR,
        env={**environ, "DJANGO_SETTINGS_MODULE": "envopt.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sentry_is_off_without_a_dsn():
    # This session has no DSN (another test may have started and stopped a client: no transport).
    assert sentry_sdk.get_client().transport is None
    assert _probe()["active"] is False


def test_sentry_is_on_with_a_dsn_with_django_and_celery_and_no_personal_data():
    probe = _probe(SENTRY_DSN="http://publickey@127.0.0.1:9/1")
    assert probe["active"] is True
    assert {"django", "celery"} <= set(probe["integrations"])
    assert probe["pii"] is False
    assert probe["before_send"] == "event_scrub"
    assert probe["bodies"] == "never" and probe["variables"] is False


def test_the_scrubbing_removes_every_place_an_identity_can_hide():
    event = {
        "request": {
            "url": f"https://envopt.example/e/own/Qx7sJ2mK9pL4vN8r/?email={EMAIL}",
            "method": "POST",
            "query_string": f"email={EMAIL}",
            "data": {"contact_name": NAME, "phone": PHONE},
            "cookies": {"sessionid": "s3cr3t"},
            "headers": {
                "Authorization": "Token abc",
                "Cookie": "sessionid=s3cr3t",
                "User-Agent": "UA",
                "X-Forwarded-For": "203.0.113.9",
                "Referer": f"https://x/?n={NAME}",
            },
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": 7, "email": EMAIL, "ip_address": "203.0.113.9"},
        "exception": {
            "values": [
                {
                    "type": "IntegrityError",
                    "value": f"Key (phone)=({PHONE}) already exists",
                    "stacktrace": {
                        "frames": [{"function": "complaint_submit", "vars": {"contact_name": NAME}}]
                    },
                }
            ]
        },
        "logentry": {"message": "filed by %s", "params": [NAME], "formatted": f"mail {EMAIL}"},
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": f"INSERT ... VALUES ('{NAME}')", "data": {}},  # noqa: S608
                {"category": "complaints.services", "message": f"tel {PHONE}", "data": {"who": NAME}},
            ]
        },
        "extra": {
            "celery-job": {"task_name": "t", "args": [NAME], "kwargs": {"email": EMAIL}},
            "note": PHONE,
        },
        "tags": {"phone": PHONE},
        "spans": [{"description": f"GET /e/Qx7sJ2mK9pL4vN8r/ {EMAIL}", "data": {"db.params": [NAME]}}],
    }
    scrubbed = json.dumps(event_scrub(event, {}), ensure_ascii=False)
    for secret in (NAME, PHONE, EMAIL, "s3cr3t", "Token abc", "203.0.113.9", "Qx7sJ2mK9pL4vN8r"):
        assert secret not in scrubbed, secret
    assert '"IntegrityError"' in scrubbed and "already exists" in scrubbed
    assert '"User-Agent": "UA"' in scrubbed
    assert '"task_name": "t"' in scrubbed


def test_a_breadcrumb_of_sql_is_dropped_and_others_keep_only_a_redacted_message():
    assert breadcrumb_scrub({"category": "query", "message": "SELECT 1"}) is None
    kept = breadcrumb_scrub({"category": "x", "level": "info", "message": f"to {EMAIL}", "data": {"a": NAME}})
    assert kept == {"category": "x", "level": "info", "message": "to 〔邮箱〕"}

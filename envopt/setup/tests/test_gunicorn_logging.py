"""The access log of the production web server never writes a supervision-code secret."""

import datetime as dt
from types import SimpleNamespace

from gunicorn.config import Config

from envopt.gunicorn_logging import RedactingLogger, redact_url

SECRET = "Qx7sJ2mK9pL4vN8rT1wY6z"


def test_the_secret_in_an_enterprise_link_is_redacted_and_the_rest_kept():
    assert redact_url(f"/e/{SECRET}/") == "/e/[redacted]/"
    assert redact_url(f"GET /e/{SECRET}/ HTTP/1.1") == "GET /e/[redacted]/ HTTP/1.1"
    assert redact_url(f"https://envopt.example/e/{SECRET}/") == "https://envopt.example/e/[redacted]/"
    assert redact_url(f"/e/own/{SECRET}/") == "/e/own/[redacted]/"
    assert redact_url(f"GET /e/own/{SECRET}/ HTTP/1.1") == "GET /e/own/[redacted]/ HTTP/1.1"
    for kept in (
        "/e/",
        "/e/own/",
        "/e/own/disturbed/?inspection=12",
        "/complaints/track/",
        "/dept/inspections/3/",
    ):
        assert redact_url(kept) == kept


def test_an_appraisal_invitation_s_token_is_redacted():
    assert redact_url(f"GET /appraisal/i/{SECRET}/ HTTP/1.1") == "GET /appraisal/i/[redacted]/ HTTP/1.1"
    assert redact_url("/appraisal/answer/") == "/appraisal/answer/"
    assert redact_url("/appraisal/p/abcdefghij/") == "/appraisal/p/abcdefghij/"


def test_gunicorns_access_line_through_the_logger_class():
    logger = RedactingLogger(Config())
    request = SimpleNamespace(
        headers=[("REFERER", f"https://envopt.example/e/{SECRET}/"), ("USER-AGENT", "test")],
        method="GET",
        uri=f"/e/{SECRET}/",
        path=f"/e/{SECRET}/",
        query="",
        version=(1, 1),
    )
    response = SimpleNamespace(status="302 Found", headers=[], sent=0, response_length=0)
    environ = {
        "REMOTE_ADDR": "10.0.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/e/{SECRET}/",
        "PATH_INFO": f"/e/{SECRET}/",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    atoms = logger.atoms(response, request, environ, dt.timedelta(milliseconds=5))
    line = logger.cfg.access_log_format % atoms
    assert SECRET not in line and "/e/[redacted]/" in line


def test_the_production_commands_use_the_logger_class():
    from pathlib import Path

    import yaml

    root = Path(__file__).resolve().parents[3]
    # web (compose) and the image's default command both read gunicorn.conf.py, which names it.
    web = yaml.safe_load((root / "docker-compose.yml").read_text())["services"]["web"]["command"]
    assert web[web.index("--config") + 1] == "gunicorn.conf.py"
    assert '"--config", "gunicorn.conf.py"' in (root / "Dockerfile").read_text()
    config: dict = {}
    exec((root / "gunicorn.conf.py").read_text(), config)  # noqa: S102 - our own settings file
    assert config["logger_class"] == "envopt.gunicorn_logging.RedactingLogger"


def _access_atoms(path: str, query: str, response_headers=()):
    request = SimpleNamespace(
        headers=[("REFERER", f"https://envopt.example/admin/?q={query}"), ("USER-AGENT", "test")],
        method="GET",
        uri=f"{path}?{query}",
        path=path,
        query=query,
        version=(1, 1),
    )
    response = SimpleNamespace(status="200 OK", headers=list(response_headers), sent=10, response_length=10)
    environ = {
        "REMOTE_ADDR": "10.0.0.1",
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?{query}",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    return request, response, environ


def test_query_values_are_dropped_from_the_access_line_and_their_names_kept():
    # A staff search by a complainant's name would otherwise be written as it was typed.
    logger = RedactingLogger(Config())
    request, response, environ = _access_atoms("/admin/complaints/complaint/", "q=%E7%94%84%E7%8F%82&o=1")
    line = logger.cfg.access_log_format % logger.atoms(
        response, request, environ, dt.timedelta(milliseconds=5)
    )
    assert "%E7%94%84" not in line
    assert "GET /admin/complaints/complaint/?q=&o= HTTP/1.1" in line


def test_the_json_access_line_carries_the_request_id_and_no_address(monkeypatch, capsys):
    import json

    monkeypatch.setenv("LOG_FORMAT", "json")
    config = Config()
    config.set("accesslog", "-")
    logger = RedactingLogger(config)
    request_id = "0f0e6c3a1b2c4d5e8f90123456789abc"
    request, response, environ = _access_atoms(
        f"/e/{SECRET}/", "x=13907318264", [("X-Request-ID", request_id)]
    )
    logger.access(response, request, environ, dt.timedelta(milliseconds=7))
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert line["logger"] == "gunicorn.access"
    assert line["request_id"] == request_id
    assert line["http_path"] == "/e/[redacted]/"
    assert line["http_query"] == "x="
    assert line["http_status"] == 200 and line["duration_ms"] == 7
    assert "10.0.0.1" not in json.dumps(line) and SECRET not in json.dumps(line)

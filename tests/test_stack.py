"""The production stack as files: docker-compose.yml (parsed, and checked by `docker-compose config`),
the Dockerfile's volumes, the Caddyfile (adapted and validated by Debian's caddy, and run in front
of a small upstream to see which forwarded headers reach the app) and gunicorn.conf.py (read by
gunicorn itself), each against what the README's "Deploy" section says.

Debian's docker-compose (1.29, the CLI the package registries carry; `docker compose config` needs
no engine either) and caddy are system packages: .ci/run installs them. Missing, these tests fail.
"""

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
APP_SERVICES = ("web", "worker", "beat")
README = (BASE_DIR / "README.md").read_text()
DEPLOY = README[README.index("## Deploy") : README.index("## Operate")]


def _tool(name: str) -> str:
    path = shutil.which(name)
    assert path, f"{name} is not installed (apt-get install {name}; .ci/run installs it)"
    return path


def _compose_cli() -> list[str]:
    docker = shutil.which("docker")
    if docker and subprocess.run([docker, "compose", "version"], capture_output=True).returncode == 0:
        return [docker, "compose"]
    return [_tool("docker-compose")]


# --- docker-compose.yml ---------------------------------------------------------------------


def test_only_the_proxy_publishes_ports_and_those_are_80_and_443():
    published = {name: service.get("ports") for name, service in SERVICES.items() if service.get("ports")}
    assert set(published) == {"caddy"}, f"services publishing ports: {sorted(published)}"
    container_ports = {str(port).rsplit(":", 1)[1].split("/")[0] for port in published["caddy"]}
    assert container_ports == {"80", "443"}
    assert "ports" not in SERVICES["web"] and SERVICES["web"]["expose"] == ["8000"]


def test_migrations_run_once_in_their_own_service_and_the_app_waits_for_it():
    migrate = SERVICES["migrate"]
    assert migrate["restart"] == "no"
    assert migrate["command"][:3] == ["python", "manage.py", "migrate"]
    assert "migrate" not in migrate["depends_on"]
    for name in APP_SERVICES:
        assert SERVICES[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}, (
            name
        )
        assert SERVICES[name]["depends_on"]["postgres"] == {"condition": "service_healthy"}, name
    assert SERVICES["caddy"]["depends_on"]["web"] == {"condition": "service_healthy"}


def test_every_long_running_service_has_a_health_check():
    for name, service in SERVICES.items():
        if service.get("restart") == "no":
            continue
        check = service.get("healthcheck") or {}
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    assert "inspect ping" in SERVICES["worker"]["healthcheck"]["test"][1]
    assert "/healthz" in " ".join(SERVICES["web"]["healthcheck"]["test"])
    assert "celerybeat.pid" in " ".join(SERVICES["beat"]["command"])
    assert "celerybeat.pid" in " ".join(SERVICES["beat"]["healthcheck"]["test"])
    assert "2019/config" in " ".join(SERVICES["caddy"]["healthcheck"]["test"])


def test_the_app_trusts_forwarded_headers_only_from_the_proxys_fixed_address():
    web_env = SERVICES["web"]["environment"]
    proxy_ip = SERVICES["caddy"]["networks"]["backend"]["ipv4_address"]
    assert web_env["GUNICORN_FORWARDED_ALLOW_IPS"] == proxy_ip
    subnet = COMPOSE["networks"]["backend"]["ipam"]["config"][0]["subnet"]
    default_ip = re.search(r":-([\d.]+)\}", proxy_ip).group(1)
    default_subnet = re.search(r":-([\d./]+)\}", subnet).group(1)
    import ipaddress

    assert ipaddress.ip_address(default_ip) in ipaddress.ip_network(default_subnet)
    for name in ("migrate", *APP_SERVICES):
        env = SERVICES[name]["environment"]
        assert env["RATE_LIMIT_TRUSTED_PROXIES"] == "1", name
        assert env["ENVOPT_ENV"] == "production", name
        assert SERVICES[name]["networks"] == ["backend"], name
    assert SERVICES["web"]["command"] == ["gunicorn", "envopt.wsgi", "--config", "gunicorn.conf.py"]


def test_volumes_are_declared_and_their_mount_points_made_and_owned_in_the_image():
    dockerfile = (BASE_DIR / "Dockerfile").read_text()
    run = " ".join(dockerfile.split())
    mkdir = run.index("mkdir -p /srv/envopt/var/private /srv/envopt/backups")
    chown = run.index("chown -R envopt:envopt /srv/envopt/var /srv/envopt/backups")
    assert mkdir < chown, "the evidence directory must exist before it is given to the app's user"
    assert chown < run.index("USER envopt")
    assert re.search(r"useradd .*--uid 10001", run)
    assert "postgresql-client-15" in run, "pg_dump/pg_restore for manage.py backup/restore"
    declared = set(COMPOSE["volumes"])
    for name in ("migrate", *APP_SERVICES):
        mounts = dict(volume.split(":")[:2] for volume in SERVICES[name]["volumes"])
        assert mounts == {"media": "/srv/envopt/var/private", "backups": "/srv/envopt/backups"}, name
        assert set(mounts) <= declared
        env = SERVICES[name]["environment"]
        assert env["PRIVATE_MEDIA_ROOT"] == "/srv/envopt/var/private"
        assert env["BACKUP_DIR"] == "/srv/envopt/backups"
    for service in ("postgres", "redis", "caddy"):
        for volume in SERVICES[service]["volumes"]:
            source = volume.split(":")[0]
            assert source in declared or source.startswith(("./", "${")), volume
    ignored = (BASE_DIR / ".dockerignore").read_text().split()
    assert {".venv", "var", ".env", ".git"} <= set(ignored), "no secrets or local data in the build context"
    # Every COPY'd app is one the settings install.
    for app in (
        "core",
        "liaison",
        "complaints",
        "casework",
        "inspections",
        "approvals",
        "appraisal",
        "reports",
    ):
        assert f"COPY {app} ./{app}" in dockerfile, app


def _compose_dir(tmp_path: Path, env: str) -> Path:
    for name in ("docker-compose.yml", "Caddyfile", "Dockerfile"):
        shutil.copy(BASE_DIR / name, tmp_path / name)
    (tmp_path / ".env").write_text(env)
    return tmp_path


def test_docker_compose_config_accepts_the_file_and_resolves_it_as_documented(tmp_path):
    cli = _compose_cli()
    project = _compose_dir(tmp_path, "SECRET_KEY=test-only\nALLOWED_HOSTS=envopt.example.gov.cn\n")
    quiet = subprocess.run([*cli, "config", "-q"], cwd=project, capture_output=True, text=True, timeout=120)
    assert quiet.returncode == 0, quiet.stderr
    resolved = subprocess.run([*cli, "config"], cwd=project, capture_output=True, text=True, timeout=120)
    assert resolved.returncode == 0, resolved.stderr
    config = yaml.safe_load(resolved.stdout)
    services = config["services"]
    assert "ports" not in services["web"]
    published = {
        str(p.get("target") if isinstance(p, dict) else p).rsplit(":", 1)[-1]
        for p in services["caddy"]["ports"]
    }
    assert published == {"80", "443"}
    assert services["web"]["environment"]["GUNICORN_FORWARDED_ALLOW_IPS"] == "172.30.80.10"
    assert services["caddy"]["environment"]["CADDY_TLS"] == "internal"
    assert services["beat"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_docker_compose_config_refuses_to_start_without_a_secret_key(tmp_path):
    project = _compose_dir(tmp_path, "ALLOWED_HOSTS=envopt.example.gov.cn\n")
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ALLOWED_HOSTS"}}
    result = subprocess.run(
        [*_compose_cli(), "config", "-q"], cwd=project, capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode != 0
    assert "set SECRET_KEY in .env" in result.stdout + result.stderr


# --- Caddyfile --------------------------------------------------------------------------------


def _caddy_env(tmp_path: Path, **extra) -> dict:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("CADDY_", "SITE_ADDRESS", "APP_UPSTREAM"))
    }
    env.update(
        HOME=str(tmp_path), XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config")
    )
    env.update(extra)
    return env


def _adapt(tmp_path: Path, **extra) -> dict:
    result = subprocess.run(
        [_tool("caddy"), "adapt", "--config", str(BASE_DIR / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_caddy_env(tmp_path, **extra),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _routes_handlers(config: dict) -> list[dict]:
    (server,) = config["apps"]["http"]["servers"].values()
    (route,) = server["routes"]
    return route["handle"][0]["routes"][0]["handle"]


def test_caddy_validates_the_caddyfile(tmp_path):
    result = subprocess.run(
        [_tool("caddy"), "validate", "--config", str(BASE_DIR / "Caddyfile"), "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_caddy_env(tmp_path, SITE_ADDRESS="envopt.example.gov.cn"),
    )
    assert result.returncode == 0, result.stderr
    assert "Valid configuration" in result.stdout + result.stderr


def test_caddy_uses_its_internal_ca_by_default_and_acme_when_given_an_email(tmp_path):
    internal = _adapt(tmp_path)
    (policy,) = internal["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["localhost"]
    assert [issuer["module"] for issuer in policy["issuers"]] == ["internal"]

    acme = _adapt(tmp_path, SITE_ADDRESS="envopt.example.gov.cn", CADDY_TLS="ops@example.gov.cn")
    (policy,) = acme["apps"]["tls"]["automation"]["policies"]
    assert policy["subjects"] == ["envopt.example.gov.cn"]
    assert {"module": "acme", "email": "ops@example.gov.cn"} in policy["issuers"]

    own = _adapt(tmp_path, CADDY_TLS="/certs/site.pem /certs/site.key")
    (loaded,) = own["apps"]["tls"]["certificates"]["load_files"]
    assert (loaded["certificate"], loaded["key"]) == ("/certs/site.pem", "/certs/site.key")


def test_caddy_proxies_to_web_without_trusting_clients_and_waits_as_long_as_gunicorn(tmp_path):
    config = _adapt(tmp_path)
    (proxy,) = [h for h in _routes_handlers(config) if h["handler"] == "reverse_proxy"]
    assert proxy["upstreams"] == [{"dial": "web:8000"}]
    assert "trusted_proxies" not in json.dumps(config), "a client's X-Forwarded-* must never be believed"
    timeout_s = proxy["transport"]["response_header_timeout"] / 1e9
    assert timeout_s == _gunicorn_config()["timeout"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_behind_caddy_the_app_sees_the_real_scheme_and_client_not_the_forged_ones(tmp_path):
    """Caddy, as configured, in front of a small upstream that answers with the headers it got."""
    seen: list[dict] = []

    class Echo(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            seen.append({k.lower(): v for k, v in self.headers.items()})
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    upstream = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    http_port, https_port, admin_port = _free_port(), _free_port(), _free_port()
    env = _caddy_env(
        tmp_path,
        SITE_ADDRESS="localhost",
        APP_UPSTREAM=f"127.0.0.1:{upstream.server_address[1]}",
        CADDY_HTTP_PORT=str(http_port),
        CADDY_HTTPS_PORT=str(https_port),
        CADDY_ADMIN=f"127.0.0.1:{admin_port}",
    )
    log = (tmp_path / "caddy.log").open("w")
    caddy = subprocess.Popen(
        [_tool("caddy"), "run", "--config", str(BASE_DIR / "Caddyfile"), "--adapter", "caddyfile"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        root = tmp_path / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{admin_port}/config/", timeout=2)
                if root.exists():
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, (tmp_path / "caddy.log").read_text()[-2000:]
            time.sleep(0.3)
        # HTTPS with the internal CA's certificate, and forged forwarding headers from the client.
        result = subprocess.run(
            [
                "curl", "-sS", "--cacert", str(root), "--resolve", f"localhost:{https_port}:127.0.0.1",
                "-H", "X-Forwarded-Proto: http", "-H", "X-Forwarded-For: 203.0.113.9",
                f"https://localhost:{https_port}/healthz",
            ],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert result.returncode == 0 and result.stdout == "ok", result.stderr
        headers = seen[-1]
        assert headers["x-forwarded-proto"] == "https"
        assert headers["x-forwarded-for"].split(",")[-1].strip() == "127.0.0.1"
        assert "203.0.113.9" not in headers["x-forwarded-for"]
        assert headers["host"] == f"localhost:{https_port}"
        # Plain HTTP is sent to HTTPS, never to the app.
        before = len(seen)
        plain = subprocess.run(
            ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}",
             "-H", "Host: localhost", f"http://127.0.0.1:{http_port}/complaints/new/"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        code, location = plain.stdout.split(" ", 1)
        assert code in {"301", "308"} and location.startswith("https://localhost"), plain.stdout
        assert len(seen) == before
    finally:
        caddy.terminate()
        caddy.wait(timeout=20)
        log.close()
        upstream.shutdown()


# --- gunicorn.conf.py and the README ------------------------------------------------------------


def _gunicorn_config(**env) -> dict:
    result = subprocess.run(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "--print-config",
            "-c",
            "gunicorn.conf.py",
            "envopt.wsgi",
        ],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("GUNICORN_")}, **env},
    )
    assert result.returncode == 0, result.stderr
    values = {}
    for line in result.stdout.splitlines():
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip()
    return {
        "timeout": int(values["timeout"]),
        "graceful_timeout": int(values["graceful_timeout"]),
        "workers": int(values["workers"]),
        "forwarded_allow_ips": values["forwarded_allow_ips"],
        "logger_class": values["logger_class"],
        "bind": values["bind"],
    }


def test_gunicorn_reads_its_settings_from_the_file_and_the_environment():
    defaults = _gunicorn_config()
    assert defaults["timeout"] > 30, "gunicorn's own 30 s cut the xlsx export"
    assert defaults["logger_class"] == "envopt.gunicorn_logging.RedactingLogger"
    assert defaults["bind"] == "['0.0.0.0:8000']"
    assert defaults["forwarded_allow_ips"] == "['127.0.0.1']"
    changed = _gunicorn_config(
        GUNICORN_WORKERS="5", GUNICORN_TIMEOUT="900", GUNICORN_FORWARDED_ALLOW_IPS="172.30.80.10"
    )
    assert (changed["workers"], changed["timeout"], changed["forwarded_allow_ips"]) == (
        5,
        900,
        "['172.30.80.10']",
    )


def _readme_defaults() -> dict[str, str]:
    """The Deploy section's table: | `NAME` | `default` | meaning |."""
    return dict(re.findall(r"^\| `([A-Z_]+)` \| `([^`]*)` \|", DEPLOY, flags=re.MULTILINE))


def test_the_readme_states_the_defaults_the_files_have():
    documented = _readme_defaults()
    gunicorn = _gunicorn_config()
    assert documented["GUNICORN_TIMEOUT"] == str(gunicorn["timeout"])
    assert documented["GUNICORN_GRACEFUL_TIMEOUT"] == str(gunicorn["graceful_timeout"])
    assert documented["GUNICORN_WORKERS"] == str(gunicorn["workers"])
    web_env = SERVICES["web"]["environment"]
    for name in ("GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_WORKERS"):
        assert web_env[name] == f"${{{name}:-{documented[name]}}}", name
    caddyfile = (BASE_DIR / "Caddyfile").read_text()
    assert f"tls {{$CADDY_TLS:{documented['CADDY_TLS']}}}" in caddyfile
    assert f"{{$SITE_ADDRESS:{documented['SITE_ADDRESS']}}} {{" in caddyfile
    caddy_env = SERVICES["caddy"]["environment"]
    assert caddy_env["CADDY_TLS"] == f"${{CADDY_TLS:-{documented['CADDY_TLS']}}}"
    assert caddy_env["SITE_ADDRESS"] == f"${{SITE_ADDRESS:-{documented['SITE_ADDRESS']}}}"
    assert web_env["GUNICORN_FORWARDED_ALLOW_IPS"] == f"${{PROXY_IP:-{documented['PROXY_IP']}}}"
    assert "RATE_LIMIT_TRUSTED_PROXIES=1" in DEPLOY and "SECURE_PROXY_SSL_HEADER" in DEPLOY
    assert "docker compose up -d" in DEPLOY and "tls internal" in DEPLOY
    operate = README[README.index("### Backups and restore") :]
    assert "manage.py backup" in operate and "manage.py restore" in operate and "--database-url" in operate

"""Configuration comes only from the environment; production refuses unsafe defaults."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from envopt.env import env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parents[2]


def run_manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ENVOPT_ENV", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_env_bool_rejects_nonsense(monkeypatch):
    monkeypatch.setenv("X_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="X_FLAG"):
        env_bool("X_FLAG")


def test_env_helpers_parse_values(monkeypatch):
    monkeypatch.setenv("X_FLAG", "Yes")
    monkeypatch.setenv("X_NUM", "42")
    monkeypatch.setenv("X_LIST", "a.example, b.example,")
    assert env_bool("X_FLAG") is True
    assert env_int("X_NUM", 1) == 42
    assert env_list("X_LIST", []) == ["a.example", "b.example"]
    monkeypatch.setenv("X_NUM", "forty")
    with pytest.raises(ImproperlyConfigured, match="X_NUM"):
        env_int("X_NUM", 1)


def test_production_requires_a_secret_key():
    result = run_manage("check", env={"ENVOPT_ENV": "production", "ALLOWED_HOSTS": "portal.example"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_requires_allowed_hosts():
    result = run_manage(
        "check",
        env={"ENVOPT_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": ""},
    )
    assert result.returncode != 0
    assert "ALLOWED_HOSTS must be set" in result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env={
            "ENVOPT_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "portal.example",
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_development_defaults_need_no_services(tmp_path):
    """With no service variables set, everything embedded lives under VAR_DIR."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "EMAIL_HOST",
            "SECRET_KEY",
            "ENVOPT_ENV",
            "DEBUG",
        }
    }
    env["VAR_DIR"] = str(tmp_path)
    code = (
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_BROKER_URL, "
        "s.CACHES['default']['BACKEND'], s.EMAIL_BACKEND, s.LANGUAGE_CODE, s.TIME_ZONE, s.DEBUG)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "filesystem://",
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.mail.backends.filebased.EmailBackend",
        "zh-hans",
        "Asia/Shanghai",
        "True",
    ]
    # The development secret key was generated and kept under VAR_DIR.
    assert (tmp_path / "secret_key").stat().st_size >= 50


def test_authentication_settings_come_from_the_environment(tmp_path):
    """Lockout, token lifetime, session length and API rates are the deployment's to set."""
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENVOPT_ENV", "DEBUG"}}
    env.update(
        {
            "VAR_DIR": str(tmp_path),
            "AXES_FAILURE_LIMIT": "7",
            "AXES_COOLOFF_MINUTES": "30",
            "API_TOKEN_TTL_HOURS": "48",
            "SESSION_HOURS": "4",
            "API_THROTTLE_USER": "100/minute",
            "TWO_FACTOR_DEPARTMENTS": "1",
            "PASSWORD_MIN_LENGTH": "14",
        }
    )
    code = (
        "from django.conf import settings as s; "
        "print(s.AXES_FAILURE_LIMIT, int(s.AXES_COOLOFF_TIME.total_seconds()), "
        "int(s.REST_KNOX['TOKEN_TTL'].total_seconds()), s.SESSION_COOKIE_AGE, "
        "s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['user'], s.TWO_FACTOR_DEPARTMENTS, "
        "s.AUTH_PASSWORD_VALIDATORS[1]['OPTIONS']['min_length'])"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--verbosity", "0", "-c", code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["7", "1800", "172800", "14400", "100/minute", "True", "14"]

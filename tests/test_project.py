"""The house rules a reviewer would otherwise check by hand."""

import os
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import polib
import pytest
import yaml
from django.core.management import call_command

BASE_DIR = Path(__file__).resolve().parent.parent
REQUIRE_SERVICES = os.environ.get("ENVOPT_REQUIRE_SERVICES") == "1"
PO_FILE = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_migrations_match_the_models():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # raised when a migration is missing
        pytest.fail(f"makemigrations --check found changes:\n{out.getvalue()} ({exc})")


def test_ruff_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_chinese_translation_is_present_and_not_fuzzy():
    catalogue = polib.pofile(str(PO_FILE))
    untranslated = [e.msgid for e in catalogue.untranslated_entries()]
    fuzzy = [e.msgid for e in catalogue.fuzzy_entries()]
    assert not untranslated, f"missing zh-hans translations: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy zh-hans translations: {fuzzy[:10]}"
    assert len(catalogue) > 50


def test_the_catalogue_covers_every_string_in_the_code(tmp_path):
    """A fresh makemessages run over the code finds no string without a Chinese translation.

    It runs in a scratch tree (symlinks to the sources, a copy of the catalogue): makemessages
    writes to the ``locale`` folder of its working directory, never to the real one here.
    """
    if subprocess.run(["which", "xgettext"], capture_output=True).returncode != 0:
        if REQUIRE_SERVICES:
            pytest.fail("GNU gettext (xgettext) is required in CI")
        pytest.skip("GNU gettext (xgettext) is not installed; .ci/run installs it")
    apps = (
        "core",
        "envopt",
        "complaints",
        "casework",
        "inspections",
        "approvals",
        "appraisal",
        "liaison",
        "reports",
    )
    for name in (*apps, "templates"):
        (tmp_path / name).symlink_to(BASE_DIR / name)
    target = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO_FILE, target / "django.po")
    before = PO_FILE.read_bytes()
    result = subprocess.run(
        [
            sys.executable,
            str(BASE_DIR / "manage.py"),
            "makemessages",
            "--locale",
            "zh_Hans",
            "--symlinks",
            "--no-obsolete",
            "--no-location",
            "--verbosity",
            "0",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert PO_FILE.read_bytes() == before, "makemessages wrote to the real catalogue"
    fresh = polib.pofile(str(target / "django.po"))
    assert len(fresh) >= len(polib.pofile(str(PO_FILE))) - 5, "the scratch run did not read the sources"
    missing = [e.msgid for e in fresh.untranslated_entries()] + [e.msgid for e in fresh.fuzzy_entries()]
    assert not missing, f"strings without a zh-hans translation (run `make messages`): {missing[:10]}"


def test_compose_file_names_real_services_and_commands():
    compose = yaml.safe_load((BASE_DIR / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat"} <= set(services)
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], f"{name} has no health check"
    assert "gunicorn envopt.wsgi" in " ".join(services["web"]["command"])
    assert "celery -A envopt worker" in " ".join(services["worker"]["command"])
    assert "celery -A envopt beat" in " ".join(services["beat"]["command"])
    assert (BASE_DIR / services["web"]["build"]["dockerfile"]).exists()
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["ENVOPT_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://")
        assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert compose.get("volumes"), "named volumes keep the data"


def test_readme_opens_with_the_two_commands():
    first_screen = "\n".join((BASE_DIR / "README.md").read_text().splitlines()[:40])
    assert "make run" in first_screen and "make test" in first_screen


def test_ci_script_runs_the_readme_test_command():
    script = (BASE_DIR / ".ci" / "run").read_text()
    assert "make test" in script
    assert "DATABASE_URL=postgres" in script and "CELERY_BROKER_URL=redis" in script

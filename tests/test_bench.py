"""`make bench` at a tiny scale, so that it cannot rot: the real command, its own PostgreSQL
database, every figure group, gunicorn and wrk. No speed is asserted here (the bench reports
speeds against its goals); what is asserted is that every figure ran and that the checks that
are about correctness, not speed, hold."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.fixtures import database_url_for_subprocess

ROOT = Path(__file__).resolve().parent.parent

FIGURES = {
    "changelist_default",
    "changelist_open",
    "changelist_filtered",
    "api_cases",
    "dashboard",
    "dashboard_compute",
    "dispatch_pack",
    "inspection_filing",
    "inspection_flags",
    "enterprise_page",
    "approval_records_admin",
    "approval_signals_admin",
    "approvals_ingest",
    "approvals_sweep",
    "approvals_sweep_backlog",
    "approvals_assessment",
    "export_xlsx",
    "export_rss",
    "sweep_first",
    "sweep_again",
    "recompute",
    "notification_reports",
    "intake_post",
    "floor_get",
    "capacity_timeline_plain",
    "capacity_timeline_parted",
    "capacity_month_plain",
    "capacity_month_parted",
    "capacity_archive_plain",
    "capacity_archive_parted",
    "capacity_migration_1",
    "capacity_migration_2",
    "capacity_migration_3",
}
# Checks about what the bench did, not how fast: these must hold at any scale.
CORRECTNESS = {
    "constant query count",
    "SQL statements do not grow with the items",
    "nothing escalated twice",
    "due dates moved",
    "every case in the workbook",
    "every unit's e-mail received with its workbook",
    "no complainant identity in any e-mail",
    "0 errors",
    "rows created = accepted responses",
    "every batch answered 200",
    "every record created",
    "a resend changes nothing",
    "signals evaluated (each batch raised its red signals)",
    "every first run raised the same signals",
    "the daily sweep raised signals",
    "every event reachable through the partitioned parent",
}


@pytest.mark.services
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="the bench needs PostgreSQL (DATABASE_URL); CI runs it",
)
def test_the_bench_runs_every_figure_at_a_tiny_scale(tmp_path):
    output = tmp_path / "tiny.json"
    server = database_url_for_subprocess()
    env = {**os.environ, "DATABASE_URL": server, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "tiny",
            "--database",
            f"envopt_bench_test_{os.getpid()}",
            "--output",
            str(output),
            "--quiet",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    document = json.loads(output.read_text())
    assert document["scale"] == "tiny" and document["errors"] == []
    assert document["dataset"]["cases"] == 1000 and document["dataset"]["events"] == 3000
    assert document["dataset"]["enterprises"] == 1000 and document["dataset"]["inspections"] >= 5000
    assert set(document["figures"]) == FIGURES
    for key, figure in document["figures"].items():
        assert figure["samples"] and figure["min"] <= figure["median"] <= figure["max"], key
        for check, held in figure["checks"].items():
            if check in CORRECTNESS:
                assert held, f"{key}: {check}"
    # The table the README shows comes from this run's output.
    assert "escalation sweep, first run" in done.stdout

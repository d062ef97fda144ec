"""Figure group "export": the admin's case-list xlsx export of every case, end to end.

What is measured is the product's own export: the staff workplace's
``admin:casework_case_export`` button (``CaseAdmin.export_view`` records a background export,
core.exports) and the job a worker runs for it (``core.exports.export_job_run``: the changelist's
queryset with its filters, here none, rebuilt for the user, written by
``casework.exports.case_list_workbook_write`` in openpyxl's write-only mode, in batches, to
private storage). One untimed
run warms the database's buffers, then each sample is a fresh subprocess
(``bench.figures.export_child``) so that its peak RSS is the export's own: the child sets up
Django against the bench database, logs in as the bench superuser (outside the clock), GETs
the export through Django's test client (every middleware, the admin's permission check),
streams the content into a file, and reports the wall time of request plus streaming, the SQL
statements sent meanwhile, its CPU time, and its peak RSS (VmHWM). A child that only sets up Django gives
the baseline RSS. The parent then opens the file with openpyxl (read-only) and counts its rows
against the cases in the database (one header row).

Goals at 100k cases: median ≤ 15 s and peak RSS ≤ 250 MB (a line of its own, ``export_rss``).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from pathlib import Path

from bench.load import BENCH_PASSWORD
from bench.measure import Goal, Result

ROOT = Path(__file__).resolve().parents[2]
HEADER_ROWS = 1
TIME_GOAL = Goal("<=", 15, "s")
RSS_GOAL = Goal("<=", 250, "MB")


def _child(context, *args: str, timeout: int = 1800) -> dict:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bench.figures.export_child", *args],
        cwd=ROOT,
        env=context.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"export child {args[:1]} failed ({done.returncode}):\n{done.stderr[-4000:]}{done.stdout[-2000:]}"
        )
    return json.loads(done.stdout.strip().splitlines()[-1])


def _workbook_rows(path: Path) -> tuple[int, int]:
    """Rows of the workbook's (only) sheet, and the distinct references in its first column."""
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        rows, references = 0, set()
        for (reference,) in sheet.iter_rows(min_col=1, max_col=1, values_only=True):
            rows += 1
            references.add(reference)
        return rows, len(references)
    finally:
        workbook.close()


def run(context) -> list[Result]:
    from casework.models import Case

    cases = Case.objects.count()
    repeat = min(context.repeat, 3)
    username = context.dataset.admin_username

    baseline = _child(context, "baseline")["rss_mb"]
    # One untimed run first, as ``bench.measure.timed`` does: the database's buffers warm.
    warmup_path = context.workdir / "export-warmup.xlsx"
    _child(context, "export", username, BENCH_PASSWORD, str(warmup_path))
    warmup_path.unlink(missing_ok=True)

    runs = []
    for index in range(repeat):
        path = context.workdir / f"export-{index}.xlsx"
        runs.append(_child(context, "export", username, BENCH_PASSWORD, str(path)))

    # Read back the last file only: openpyxl takes a while over 100k rows, and every run exports
    # the same cases (their byte counts are in the results).
    last = context.workdir / f"export-{repeat - 1}.xlsx"
    rows, references = _workbook_rows(last)
    every_case = rows == cases + HEADER_ROWS and references == cases + HEADER_ROWS
    for index in range(repeat):
        (context.workdir / f"export-{index}.xlsx").unlink(missing_ok=True)

    samples = [r["seconds"] for r in runs]
    statements = [r["statements"] for r in runs]
    rss = [r["rss_mb"] for r in runs]
    peak = statistics.median(rss)
    extra = {
        "peak_rss_mb": peak,
        "peak_rss_max_mb": max(rss),
        "baseline_rss_mb": baseline,
        "cpu_seconds_median": round(statistics.median(r["cpu_seconds"] for r in runs), 2),
        "rss_before_request_mb": statistics.median(r["rss_before_mb"] for r in runs),
        "rows": rows,
        "cases": cases,
        "bytes": runs[-1]["bytes"],
        "request_seconds_median": round(statistics.median(r["request_seconds"] for r in runs), 3),
        "rows_per_second": round(cases / statistics.median(samples)) if samples else None,
        "how": "admin:casework_case_export (POST, a background export) and its job run in the same fresh "
        "subprocess per run, Django test client",
    }
    if not every_case:
        context.notes.append(
            f"export: the workbook has {rows:,} rows ({references:,} distinct references) "
            f"for {cases:,} cases + {HEADER_ROWS} header row"
        )
    checks = {"peak RSS ≤ 250 MB": RSS_GOAL.met(peak), "every case in the workbook": every_case}
    return [
        Result(
            key="export_xlsx",
            label="xlsx export of all cases",
            unit="s",
            samples=samples,
            statements=statements,
            goal=TIME_GOAL,
            checks=checks,
            extra=extra,
        ),
        Result(
            key="export_rss",
            label="xlsx export of all cases: peak RSS",
            unit="MB",
            samples=rss,
            statements=None,
            goal=RSS_GOAL,
            extra={"baseline_rss_mb": baseline, "export_own_mb": round(statistics.median(rss) - baseline, 1)},
        ),
    ]

"""``python -m bench``: create the bench database, load it, run the figures, report.

Django is set up only after the environment is pointed at the bench database, so nothing
here can touch the database DATABASE_URL names for development or tests.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.database import (
    DEFAULT_SERVER,
    BenchDatabaseError,
    bench_database_url,
    database_drop,
    database_exists,
    database_recreate,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


@dataclass
class Context:
    """What every figure gets: the scale, the loaded data, and how to start subprocesses."""

    scale: Any  # bench.load.Scale
    dataset: Any  # bench.load.Dataset
    repeat: int
    database_url: str
    env: dict[str, str]  # the environment for subprocesses (gunicorn, export): bench settings and DB
    workdir: Path
    http_seconds: int
    notes: list[str] = field(default_factory=list)

    @property
    def tiny(self) -> bool:
        return self.scale.name == "tiny"


REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")
# Redis databases of the bench's own, emptied when it ends: the broker's tasks (no worker runs
# them) and the cache never mix with a developer's or CI's. Two benches on one server (or a
# bench beside a test run) set BENCH_CACHE_URL and BENCH_BROKER_URL to databases of their own.
BENCH_CACHE_URL = os.environ.get("BENCH_CACHE_URL") or f"{REDIS}/13"
BENCH_BROKER_URL = os.environ.get("BENCH_BROKER_URL") or f"{REDIS}/14"


def bench_environment(database_url: str) -> dict[str, str]:
    """Settings the bench runs under, as in production (PostgreSQL, Redis for the cache and the
    broker); the README names the two intake switches."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DATABASE_URL": database_url,
        "CACHE_URL": BENCH_CACHE_URL,
        "CELERY_BROKER_URL": BENCH_BROKER_URL,
        "INTAKE_POW_ENABLED": "0",
        "INTAKE_RATE_LIMITS_ENABLED": "0",
        "DEBUG": "0",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DB_CONN_MAX_AGE": "600",
    }


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--scale", default="100k", help="tiny, 100k (default), 1m, or a number of complaints such as 250k"
    )
    parser.add_argument("--only", default="", help="comma-separated figure groups: " + ", ".join(_groups()))
    parser.add_argument("--repeat", type=int, default=0, help="timed runs per figure (default: 5, tiny: 2)")
    parser.add_argument(
        "--http-seconds", type=int, default=0, help="wrk duration (default: 20, as the peer; tiny: 2)"
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("BENCH_DATABASE", ""),
        help="name of the bench database (default: $BENCH_DATABASE, else envopt_bench_<scale>)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="reuse a database loaded at this scale by an earlier run"
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    parser.add_argument("--output", default=str(RESULTS / "latest.json"), help="where to write the results")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--markdown", action="store_true", help="also print the table as Markdown (README)")
    return parser.parse_args(argv)


def _groups() -> list[str]:
    return [
        "pages",
        "inspections",
        "approvals",
        "export",
        "sweep",
        "recompute",
        "notifications",
        "http",
        "capacity",
    ]


def machine() -> dict[str, Any]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
    }


def versions() -> dict[str, str]:
    import celery
    import django
    import openpyxl
    import rest_framework
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        postgresql = cursor.fetchone()[0]
    wrk = ""
    if shutil.which("wrk"):
        done = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)  # noqa: S607
        wrk = (done.stdout or done.stderr).split("[")[0].strip()
    try:
        import gunicorn

        gunicorn_version = gunicorn.__version__
    except ImportError:
        gunicorn_version = ""
    return {
        "python": platform.python_version(),
        "django": django.get_version(),
        "djangorestframework": rest_framework.VERSION,
        "celery": celery.__version__,
        "openpyxl": openpyxl.__version__,
        "gunicorn": gunicorn_version,
        "postgresql": postgresql,
        "wrk": wrk,
    }


def _git_commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip()


def _redis_clear() -> None:
    import redis

    for url in (BENCH_CACHE_URL, BENCH_BROKER_URL):
        redis.Redis.from_url(url).flushdb()


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    only = [name for name in args.only.split(",") if name]
    unknown = set(only) - set(_groups())
    if unknown:
        print(f"unknown figure group(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2

    from bench.scale import Scale

    try:
        scale = Scale.parse(args.scale)
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    tiny = scale.name == "tiny"
    repeat = args.repeat or (2 if tiny else 5)
    http_seconds = args.http_seconds or (2 if tiny else 20)
    name = args.database or f"envopt_bench_{scale.name.replace('.', '_')}"
    try:
        url = bench_database_url(os.environ.get("DATABASE_URL") or DEFAULT_SERVER, name)
    except BenchDatabaseError as error:
        print(error, file=sys.stderr)
        return 2

    environment = bench_environment(url)
    os.environ.update(environment)
    marker = ROOT / "var" / "bench" / f"{name}.json"
    reuse = args.reuse and marker.exists() and database_exists(url)
    if reuse and json.loads(marker.read_text()).get("scale") != scale.name:
        reuse = False

    print(f"envopt bench · scale {scale.name} · database {name} · {repeat} runs per figure", flush=True)
    if not reuse:
        database_recreate(url)

    import django

    django.setup()
    from django.core.management import call_command

    from bench.figures import run_groups
    from bench.load import Dataset, load
    from bench.report import markdown_table, print_table, write_results

    if reuse:
        dataset = Dataset(**json.loads(marker.read_text()))
        # The code may have gained migrations since the data was loaded.
        call_command("migrate", verbosity=0, interactive=False)
        print(f"reusing the data loaded at {dataset.scale}", flush=True)
    else:
        started = time.perf_counter()
        call_command("migrate", verbosity=0, interactive=False)
        print(f"migrated in {time.perf_counter() - started:.1f} s; loading", flush=True)
        dataset = load(scale, quiet=args.quiet)
        marker.parent.mkdir(parents=True, exist_ok=True)
        marker.write_text(json.dumps(dataset.as_dict()))
        print(
            f"loaded {dataset.complaints:,} complaints, {dataset.cases:,} cases, {dataset.events:,} events, "
            f"{dataset.referrals:,} referrals ({dataset.open_referrals:,} open) in {dataset.seconds:.1f} s",
            flush=True,
        )

    status = 0
    with tempfile.TemporaryDirectory(prefix="envopt-bench-") as workdir:
        context = Context(
            scale=scale,
            dataset=dataset,
            repeat=repeat,
            database_url=url,
            env={**os.environ, **environment},
            workdir=Path(workdir),
            http_seconds=http_seconds,
        )
        results, errors = run_groups(context, only or _groups(), on_error=traceback.print_exc)
        document = {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "commit": _git_commit(),
            "machine": machine(),
            "versions": versions(),
            "scale": scale.name,
            # The supervision-code secret opens the enterprise's page: never written out.
            "dataset": {
                k: v for k, v in dataset.as_dict().items() if k not in ("department_ids", "enterprise_secret")
            },
            "settings": {k: v for k, v in environment.items() if k != "DATABASE_URL"},
            "repeat": repeat,
            "figures": {result.key: result.as_dict() for result in results},
            "errors": errors,
            "notes": context.notes,
        }
        print_table(document, results)
        if args.markdown:
            print()
            print(markdown_table(results))
        output = Path(args.output)
        write_results(document, output)
        print(f"\nwritten: {output}")
        if errors:
            print(f"{len(errors)} figure group(s) failed: {', '.join(errors)}", file=sys.stderr)
            status = 1

    from django.db import connections

    connections.close_all()
    _redis_clear()
    if not args.keep:
        database_drop(url)
        marker.unlink(missing_ok=True)
    return status

"""The subprocess of the export figure: one process, one export, its own peak RSS.

``python -m bench.figures.export_child export <username> <password> <target>`` sets up Django
(the environment names ``bench.settings`` and the bench database), logs in with the test
client (outside the clock), GETs the admin's case-list xlsx export with no filter, writes the
streamed content to ``target`` and prints one JSON line: ``seconds`` (the request and the
streaming, the clock's whole span), ``cpu_seconds`` (this process's CPU time meanwhile, less
sensitive than the wall time to others' load), ``statements`` (SQL sent meanwhile), ``rss_mb`` (peak RSS
of the process, VmHWM), ``rss_before_mb`` (peak RSS before the request), ``bytes``, ``status``.

``python -m bench.figures.export_child baseline`` only sets up Django (and loads the URLconf,
as any request would) and prints ``{"rss_mb": …}``: the floor the export's figure sits on.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path


def peak_rss_mb() -> float:
    """The process's peak resident set (VmHWM), in MB; ru_maxrss where /proc is missing."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup() -> None:
    import django

    django.setup()
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - import every view module, as the first request would


def baseline() -> dict:
    _setup()
    return {"rss_mb": round(peak_rss_mb(), 1)}


def export(username: str, password: str, target: Path) -> dict:
    _setup()
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.http import HttpRequest
    from django.test import Client
    from django.urls import reverse

    from bench.measure import StatementCounter
    from core.exports import export_job_run
    from core.models import ExportJob
    from core.twofactor_testing import client_session_verify

    client = Client()
    # The lockout (django-axes) reads the request of every password check.
    if not client.login(request=HttpRequest(), username=username, password=password):
        raise SystemExit(f"cannot log in as {username}")
    client_session_verify(client, get_user_model().objects.get(username=username))
    url = reverse("admin:casework_case_export")
    before = peak_rss_mb()
    written = 0
    with StatementCounter() as counter, target.open("wb") as out:
        started, cpu = time.perf_counter(), time.process_time()
        # The button: the request records a background export and answers at once (a redirect).
        response = client.post(url)
        if response.status_code != 302:
            raise SystemExit(f"POST {url}: HTTP {response.status_code}")
        request_seconds = time.perf_counter() - started
        # The worker's part, run here so that this process's peak RSS is the export's own.
        job = ExportJob.objects.filter(owner__username=username).latest("created_at", "pk")
        outcome = export_job_run(job.pk)
        job.refresh_from_db()
        if job.state != ExportJob.State.DONE:
            raise SystemExit(f"export job {job.pk}: {outcome}, {job.state} {job.error}")
        with default_storage.open(job.file.name, "rb") as stored:
            while chunk := stored.read(1 << 20):
                out.write(chunk)
                written += len(chunk)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    default_storage.delete(job.file.name)
    return {
        "seconds": seconds,
        "request_seconds": round(request_seconds, 3),
        "cpu_seconds": round(cpu, 2),
        "statements": counter.count,
        "rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(before, 1),
        "bytes": written,
        "status": response.status_code,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
    }


def main(argv: list[str]) -> int:
    if argv[:1] == ["baseline"]:
        result = baseline()
    elif argv[:1] == ["export"] and len(argv) == 4:
        result = export(argv[1], argv[2], Path(argv[3]))
    else:
        print(__doc__, file=sys.stderr)
        return 2
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

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
    from django.http import HttpRequest
    from django.test import Client
    from django.urls import reverse

    from bench.measure import StatementCounter
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
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"GET {url}: HTTP {response.status_code}")
        chunks = response.streaming_content if response.streaming else [response.content]
        for chunk in chunks:
            out.write(chunk)
            written += len(chunk)
        response.close()
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "seconds": seconds,
        "cpu_seconds": round(cpu, 2),
        "statements": counter.count,
        "rss_mb": round(peak_rss_mb(), 1),
        "rss_before_mb": round(before, 1),
        "bytes": written,
        "status": response.status_code,
        "content_type": response.get("Content-Type", ""),
        "streaming": response.streaming,
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

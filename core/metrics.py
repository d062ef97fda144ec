"""The portal's own Prometheus metrics, computed when /metrics is scraped, and who may scrape.

django-prometheus counts requests, responses and latencies per view in each process (its
middleware); what it cannot know is the state of the portal's work, so a collector here reads it
at scrape time with a fixed number of queries whatever the size of the tables:

* the outbox: e-mails per unsent status and the age of the oldest pending one (one query);
* the escalation ladder: open deadlines per step reached, those overdue, and those a sweep would
  move to each step now (the ladder's own thresholds; one query for the counts, the calendar's
  one or two to compute the thresholds);
* the Celery queues: LLEN of each queue on the Redis broker, with a short timeout; when the
  broker does not answer the gauge is absent (and ``envopt_metrics_part_up{part="queues"}`` 0),
  never an error page;
* the sweeps: the duration and end of each sweep task's last run, recorded by the worker through
  Celery's task_prerun/task_postrun signals into the cache (``sweep_timing_*`` below), so the
  figures survive across the worker's processes and reach the web process that is scraped.

No label carries anything about a person: statuses, ladder steps, queue and task names only.
Because every figure here is read at scrape time, it is the same whichever gunicorn worker
answers; django-prometheus's per-process counters need PROMETHEUS_MULTIPROC_DIR (README).
"""

from __future__ import annotations

import datetime as dt
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator

import redis
from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Min, Q
from django.utils import timezone
from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from core.ladder import STEP_NAMES, Step, ladder_registry, ladder_thresholds
from core.models import Deadline, OutboundEmail
from core.ratelimit import client_address

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages of priority 0 under the queue's name and the
# others under the name, "\x06\x16" and the priority step (its default steps 0, 3, 6, 9).
_PRIORITY_SEPARATOR = "\x06\x16"
_PRIORITY_STEPS = (3, 6, 9)
SWEEP_TIMING_KEY = "metrics:sweep:{task}"
STEP_LABELS = {0: "none", **{int(step): name for step, name in STEP_NAMES.items()}}


# --- Who may scrape ------------------------------------------------------------------------------


def metrics_access(request) -> int:
    """200 when the request may read the metrics; 404 for anybody else, or 403 for a bearer
    token that is not METRICS_TOKEN (so a client that knows of the endpoint learns it was refused,
    and everybody else that there is nothing here). Allowed: an address in METRICS_ALLOWED_IPS
    (addresses or networks, read as the rate limits read them), or the bearer token."""
    if _address_allowed(client_address(request)):
        return 200
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return 404
    expected = settings.METRICS_TOKEN
    if expected and hmac.compare_digest(token.strip().encode(), expected.encode()):
        return 200
    return 403


def _address_allowed(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in settings.METRICS_ALLOWED_IPS:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            logger.warning("METRICS_ALLOWED_IPS: %r is not an address or a network", entry)
    return False


# --- Sweep timings, recorded by the worker -------------------------------------------------------

_started: dict[str, float] = {}


def sweep_timing_start(sender=None, task_id=None, task=None, **kwargs) -> None:
    """Celery's task_prerun: note when a sweep task started (in this worker process)."""
    if task is not None and task.name in settings.METRICS_SWEEP_TASKS and task_id:
        _started[task_id] = time.monotonic()


def sweep_timing_finish(sender=None, task_id=None, task=None, state=None, **kwargs) -> None:
    """Celery's task_postrun: store the sweep's duration, end and outcome in the cache. A cache
    that is down loses the figure and nothing else: the sweep has done its work."""
    started = _started.pop(task_id, None) if task_id else None
    if started is None or task is None:
        return
    record = {"seconds": time.monotonic() - started, "finished": time.time(), "state": state or ""}
    try:
        cache.set(SWEEP_TIMING_KEY.format(task=task.name), record, timeout=None)
    except Exception:  # noqa: BLE001 - metrics never fail a task
        logger.warning("sweep timing of %s not recorded: the cache is unavailable", task.name)


# --- The collector ---------------------------------------------------------------------------------


def _up(part: str, ok: bool) -> GaugeMetricFamily:
    gauge = GaugeMetricFamily(
        "envopt_metrics_part_up",
        "Whether this part of the portal's metrics could be read (1) or not (0).",
        labels=["part"],
    )
    gauge.add_metric([part], 1 if ok else 0)
    return gauge


def outbox_metrics(now: dt.datetime) -> list[GaugeMetricFamily]:
    unsent = [value for value in OutboundEmail.Status.values if value != OutboundEmail.Status.SENT]
    rows = {
        row["status"]: row
        for row in OutboundEmail.objects.filter(status__in=unsent)
        .order_by()
        .values("status")
        .annotate(count=Count("id"), oldest=Min("created_at"))
    }
    emails = GaugeMetricFamily(
        "envopt_outbox_emails", "Outgoing e-mails not sent, by status.", labels=["status"]
    )
    for status in unsent:
        emails.add_metric([status], rows.get(status, {}).get("count", 0))
    oldest = rows.get(OutboundEmail.Status.PENDING, {}).get("oldest")
    age = GaugeMetricFamily(
        "envopt_outbox_oldest_pending_age_seconds",
        "Age of the oldest pending e-mail (0 when none is pending).",
    )
    age.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    return [emails, age]


def ladder_metrics(now: dt.datetime) -> list[GaugeMetricFamily]:
    thresholds = ladder_thresholds(now=now)
    kinds = ladder_registry.kinds()
    ended = Q(due_at__lt=now)
    reached = {
        Step.REMIND: Q(due_date__lte=thresholds.remind_by),
        Step.WARN: Q(due_date__lte=thresholds.today) & ended,
        Step.ESCALATE: Q(due_date__lte=thresholds.escalate_by) & ended,
    }
    aggregates = {f"at_{step}": Count("id", filter=Q(ladder_step=step)) for step in STEP_LABELS}
    aggregates["overdue"] = Count("id", filter=ended)
    # What the next sweep would move, each item counted once at the step it would reach: the
    # sweep takes the highest step first, and each step's condition holds for every lower one.
    next_step = {
        Step.ESCALATE: reached[Step.ESCALATE],
        Step.WARN: reached[Step.WARN] & ~reached[Step.ESCALATE],
        Step.REMIND: reached[Step.REMIND] & ~reached[Step.WARN],
    }
    for step, condition in next_step.items():
        aggregates[f"due_{int(step)}"] = Count(
            "id", filter=condition & Q(ladder_step__lt=step) & Q(kind__in=kinds)
        )
    counts = Deadline.objects.filter(status=Deadline.Status.OPEN).aggregate(**aggregates)
    at_step = GaugeMetricFamily(
        "envopt_deadlines_open",
        "Open deadlines, by the highest ladder step they have reached.",
        labels=["step"],
    )
    for step, label in STEP_LABELS.items():
        at_step.add_metric([label], counts[f"at_{step}"])
    overdue = GaugeMetricFamily("envopt_deadlines_overdue", "Open deadlines whose due day has ended.")
    overdue.add_metric([], counts["overdue"])
    due = GaugeMetricFamily(
        "envopt_ladder_due",
        "Open deadlines the next sweep would move to each ladder step.",
        labels=["step"],
    )
    for step in reached:
        due.add_metric([STEP_NAMES[step]], counts[f"due_{int(step)}"])
    return [at_step, overdue, due]


def celery_queue_names() -> list[str]:
    """The default queue and every queue a route names (CELERY_TASK_ROUTES)."""
    names = {settings.CELERY_TASK_DEFAULT_QUEUE}
    for route in getattr(settings, "CELERY_TASK_ROUTES", {}).values():
        if isinstance(route, dict) and route.get("queue"):
            names.add(route["queue"])
    return sorted(names)


def queue_metrics() -> list[GaugeMetricFamily]:
    """LLEN of each queue on a Redis broker; raises when the broker does not answer in time."""
    url = settings.CELERY_BROKER_URL
    if not url.startswith(("redis://", "rediss://")):
        return []
    timeout = settings.METRICS_BROKER_TIMEOUT_MS / 1000
    client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)
    try:
        queues = celery_queue_names()
        pipe = client.pipeline(transaction=False)
        for queue in queues:
            for key in (queue, *(f"{queue}{_PRIORITY_SEPARATOR}{step}" for step in _PRIORITY_STEPS)):
                pipe.llen(key)
        lengths = pipe.execute()
    finally:
        client.close()
    gauge = GaugeMetricFamily(
        "envopt_celery_queue_length", "Tasks waiting in each Celery queue.", labels=["queue"]
    )
    per_queue = 1 + len(_PRIORITY_STEPS)
    for index, queue in enumerate(queues):
        gauge.add_metric([queue], sum(lengths[index * per_queue : (index + 1) * per_queue]))
    return [gauge]


def sweep_metrics() -> list[GaugeMetricFamily]:
    tasks = list(settings.METRICS_SWEEP_TASKS)
    stored = cache.get_many([SWEEP_TIMING_KEY.format(task=task) for task in tasks])
    duration = GaugeMetricFamily(
        "envopt_sweep_last_duration_seconds",
        "How long the last run of each sweep task took.",
        labels=["task"],
    )
    finished = GaugeMetricFamily(
        "envopt_sweep_last_finished_timestamp_seconds",
        "When the last run of each sweep task ended.",
        labels=["task"],
    )
    success = GaugeMetricFamily(
        "envopt_sweep_last_success",
        "Whether the last run of each sweep task succeeded (1) or not (0).",
        labels=["task"],
    )
    for task in tasks:
        record = stored.get(SWEEP_TIMING_KEY.format(task=task))
        if not record:
            continue  # never ran since the cache was emptied: absent, not zero
        duration.add_metric([task], record["seconds"])
        finished.add_metric([task], record["finished"])
        success.add_metric([task], 1 if record["state"] == "SUCCESS" else 0)
    return [duration, finished, success]


class PortalCollector(Collector):
    """Every figure of the portal's own, read at scrape time; a part that cannot be read is left
    out (and its ``envopt_metrics_part_up`` is 0) rather than failing the whole scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        now = timezone.now()
        parts = {
            "outbox": lambda: outbox_metrics(now),
            "ladder": lambda: ladder_metrics(now),
            "queues": queue_metrics,
            "sweeps": sweep_metrics,
        }
        status = []
        for part, read in parts.items():
            try:
                families: Iterable[GaugeMetricFamily] = read()
            except Exception as error:  # noqa: BLE001 - one part down must not hide the others
                logger.warning("metrics: %s could not be read (%s)", part, type(error).__name__)
                status.append((part, False))
                continue
            status.append((part, True))
            yield from families
        up = _up(*status[0])
        for part, ok in status[1:]:
            up.add_metric([part], 1 if ok else 0)
        yield up


def metrics_exposition() -> bytes:
    """django-prometheus's per-process metrics (or, under gunicorn with PROMETHEUS_MULTIPROC_DIR,
    every worker's, merged) followed by the portal's own."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        process_registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(process_registry)
    else:
        process_registry = PROCESS_REGISTRY
    portal_registry = CollectorRegistry(auto_describe=False)
    portal_registry.register(PortalCollector())
    return generate_latest(process_registry) + generate_latest(portal_registry)

"""/metrics: who may scrape it, and the portal's own gauges read at scrape time (core/metrics.py)."""

import datetime as dt
import uuid

import pytest
import redis
from django.conf import settings as django_settings
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families

from core.deadlines import deadline_create
from core.ladder import escalation_sweep, ladder_registry
from core.metrics import (
    PortalCollector,
    ladder_metrics,
    sweep_timing_finish,
    sweep_timing_start,
)
from core.models import Deadline, OutboundEmail
from core.tests.test_ladder import KIND, GroupLadder, at

pytestmark = pytest.mark.django_db
D = dt.date
TOKEN = "scrape-token-7f3a9c"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    """{(name, sorted labels): value} of a Prometheus text exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1", **headers)
    assert response.status_code == 200, response.status_code
    return samples(response.content.decode())


# --- Who may scrape ----------------------------------------------------------------------------


@pytest.fixture
def protected(settings):
    settings.METRICS_ALLOWED_IPS = ["10.20.0.0/16", "::1"]
    settings.METRICS_TOKEN = TOKEN
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0


def test_an_address_that_is_not_allowed_without_a_token_gets_404(client, protected):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.7")
    assert response.status_code == 404
    assert b"envopt_" not in response.content


def test_a_wrong_bearer_token_gets_403(client, protected):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer not-the-token")
    assert response.status_code == 403
    assert b"envopt_" not in response.content


def test_the_bearer_token_opens_it_from_anywhere(client, protected):
    response = client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert b"envopt_outbox_emails" in response.content


def test_an_allowed_network_needs_no_token(client, protected):
    assert client.get("/metrics", REMOTE_ADDR="10.20.3.4").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="10.21.3.4").status_code == 404


def test_a_forged_forwarded_for_does_not_make_an_allowed_address(client, protected, settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    response = client.get("/metrics", REMOTE_ADDR="10.20.0.1", HTTP_X_FORWARDED_FOR="10.20.0.9, 192.0.2.7")
    assert response.status_code == 404  # the proxy saw 192.0.2.7; the left part is the client's


def test_without_addresses_or_token_nobody_reads_it(client, settings):
    settings.METRICS_ALLOWED_IPS, settings.METRICS_TOKEN = [], ""
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer ").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1", HTTP_AUTHORIZATION="Bearer x").status_code == 403


# --- The outbox ------------------------------------------------------------------------------------


def _email(key: str, status: str, age: dt.timedelta) -> OutboundEmail:
    email = OutboundEmail.objects.create(
        key=key, kind="test", to=["unit@example.org"], subject="s", status=status
    )
    OutboundEmail.objects.filter(pk=email.pk).update(created_at=timezone.now() - age)
    return email


def test_the_outbox_backlog_and_the_age_of_its_oldest_pending_email(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    _email("p1", "pending", dt.timedelta(minutes=5))
    _email("p2", "pending", dt.timedelta(minutes=42))
    _email("f1", "failed", dt.timedelta(days=3))  # older, but failed: not the oldest pending
    _email("s1", "sent", dt.timedelta(days=9))
    values = scrape(client)
    assert values[("envopt_outbox_emails", (("status", "pending"),))] == 2
    assert values[("envopt_outbox_emails", (("status", "failed"),))] == 1
    assert ("envopt_outbox_emails", (("status", "sent"),)) not in values
    age = values[("envopt_outbox_oldest_pending_age_seconds", ())]
    assert 42 * 60 <= age < 43 * 60


# --- The ladder --------------------------------------------------------------------------------------


@pytest.fixture
def ladder_kind():
    ladder_registry.register(KIND, GroupLadder())
    yield KIND
    ladder_registry.unregister(KIND)


def _deadlines(prefix: str, count: int, start: dt.date, days: int = 3) -> None:
    for n in range(count):
        group, _ = Group.objects.get_or_create(name=f"{prefix}-{n}")
        deadline_create(subject=group, kind=KIND, start_date=start, working_days=days)


def _ladder(now: dt.datetime) -> dict:
    families = ladder_metrics(now)
    return {
        (sample.name, sample.labels.get("step")): sample.value
        for family in families
        for sample in family.samples
    }


def test_items_due_per_step_are_what_the_next_sweep_moves(ladder_kind):
    # Around National Day 2026 (core/tests/test_ladder.py has the working-day arithmetic).
    _deadlines("old", 3, D(2026, 9, 22))  # long overdue: escalation
    _deadlines("late", 2, D(2026, 9, 28))  # overdue: warning
    _deadlines("soon", 4, D(2026, 10, 8), days=2)  # due within two working days: reminder
    _deadlines("later", 5, D(2026, 10, 8), days=20)  # not yet
    now = at(D(2026, 10, 9))
    before = _ladder(now)
    dry_run = escalation_sweep(now=now, dry_run=True).steps
    assert dry_run == {"reminder": 4, "warning": 2, "escalation": 3}
    for step, count in dry_run.items():
        assert before[("envopt_ladder_due", step)] == count
    assert before[("envopt_deadlines_open", "none")] == 14
    assert before[("envopt_deadlines_overdue", None)] == 5

    escalation_sweep(now=now)
    after = _ladder(now)
    assert {step: after[("envopt_ladder_due", step)] for step in dry_run} == dict.fromkeys(dry_run, 0)
    assert after[("envopt_deadlines_open", "escalation")] == 3
    assert after[("envopt_deadlines_open", "warning")] == 2
    assert after[("envopt_deadlines_open", "reminder")] == 4
    assert after[("envopt_deadlines_open", "none")] == 5


def test_a_met_deadline_is_not_counted(ladder_kind):
    _deadlines("late", 2, D(2026, 9, 28))
    Deadline.objects.filter(pk=Deadline.objects.first().pk).update(status="met", met_at=timezone.now())
    assert _ladder(at(D(2026, 10, 9)))[("envopt_ladder_due", "warning")] == 1


def test_the_scrape_makes_as_many_queries_for_many_items_as_for_few(ladder_kind, settings):
    settings.CELERY_BROKER_URL = "filesystem://"  # the queues are not SQL; leave them out here

    def queries(count: int) -> int:
        _deadlines(f"n{count}", count, D(2026, 9, 22))
        for n in range(count):
            _email(f"q{count}-{n}", "pending", dt.timedelta(minutes=n))
        with CaptureQueriesContext(connection) as captured:
            list(PortalCollector().collect())
        return len(captured.captured_queries)

    assert queries(3) == queries(60)


# --- The Celery queues ------------------------------------------------------------------------------


def test_queue_lengths_are_read_from_the_redis_broker(client, settings):
    assert django_settings.CELERY_BROKER_URL.startswith("redis://"), "this test needs the Redis broker"
    queue = f"metrics-test-{uuid.uuid4().hex[:8]}"
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.CELERY_TASK_ROUTES = {**settings.CELERY_TASK_ROUTES, "tests.nothing": {"queue": queue}}
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    try:
        broker.lpush(queue, "a", "b", "c")
        broker.lpush(f"{queue}\x06\x166", "d")  # kombu's key for priority 6
        values = scrape(client)
    finally:
        broker.delete(queue, f"{queue}\x06\x166")
    assert values[("envopt_celery_queue_length", (("queue", queue),))] == 4
    assert ("envopt_celery_queue_length", (("queue", "mail"),)) in values
    assert values[("envopt_metrics_part_up", (("part", "queues"),))] == 1


def test_a_broker_that_does_not_answer_leaves_the_queues_out_not_an_error(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    values = scrape(client)
    assert not [key for key in values if key[0] == "envopt_celery_queue_length"]
    assert values[("envopt_metrics_part_up", (("part", "queues"),))] == 0
    assert values[("envopt_metrics_part_up", (("part", "outbox"),))] == 1


# --- Sweep timings ---------------------------------------------------------------------------------


class _Task:
    def __init__(self, name: str):
        self.name = name


def test_a_sweep_s_duration_is_recorded_by_the_task_signals_and_shown(client, settings):
    # The signals as Celery sends them around a task (tests/test_observability.py runs a real worker).
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    task = _Task("core.tasks.outbox_sweep")
    sweep_timing_start(task_id="t-1", task=task)
    sweep_timing_finish(task_id="t-1", task=task, state="SUCCESS")
    sweep_timing_start(task_id="t-2", task=_Task("core.tasks.outbox_send"))  # not a sweep
    sweep_timing_finish(task_id="t-2", task=_Task("core.tasks.outbox_send"), state="SUCCESS")
    values = scrape(client)
    label = (("task", "core.tasks.outbox_sweep"),)
    assert 0 <= values[("envopt_sweep_last_duration_seconds", label)] < 5
    assert values[("envopt_sweep_last_success", label)] == 1
    assert (
        abs(values[("envopt_sweep_last_finished_timestamp_seconds", label)] - timezone.now().timestamp()) < 60
    )
    assert not [key for key in values if dict(key[1]).get("task") == "core.tasks.outbox_send"]


def test_a_failed_sweep_shows_as_not_successful(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    task = _Task("core.tasks.escalation_sweep")
    sweep_timing_start(task_id="t-3", task=task)
    sweep_timing_finish(task_id="t-3", task=task, state="FAILURE")
    assert scrape(client)[("envopt_sweep_last_success", (("task", task.name),))] == 0


def test_no_label_carries_anything_but_statuses_steps_queues_and_tasks(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]
    allowed = {"status", "step", "queue", "task", "part"}
    response = client.get("/metrics", REMOTE_ADDR="127.0.0.1")
    for family in text_string_to_metric_families(response.content.decode()):
        if family.name.startswith("envopt_"):
            for sample in family.samples:
                assert set(sample.labels) <= allowed, (sample.name, sample.labels)

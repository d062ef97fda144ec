"""Redis (the broker and the cache) stopped during intake, for real: a redis-server of the test's
own on a free port in 6390–6399 serves as both, is killed with SIGKILL mid-test and started again.

What must hold (README, "When Redis is down"): the complainant always gets the tracking code (or
a "not filed" 503, never "filed but told it failed"), each complaint is filed once, no 5xx, each
request within the documented bound; rate limits still hold (counted in the database);
/figures/ and the dashboard answer 200 with the last figures stored; once Redis is back the
outbox sweep sends what no publish handed over, each e-mail once."""

import socket
import subprocess
import threading
import time
from collections import Counter

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.test import Client
from django.urls import reverse
from redis.exceptions import ConnectionError as RedisConnectionError

from casework.tests import factories as casework_factories
from complaints.models import Complaint
from complaints.pow import pow_challenge_issue, pow_solve, pow_verify
from complaints.selectors import complaint_by_tracking_code
from complaints.tests import factories
from core.broker import task_publish, task_publish_on_commit
from core.errors import server_error
from core.fallback import fallback_add, fallback_incr, fallback_key
from core.models import FallbackCounter, OutboundEmail
from core.outage import OUTAGE_ERRORS, broker_pause, cache_pause
from core.ratelimit import rate_limit_exceeded
from core.tasks import outbox_sweep as outbox_sweep_task
from core.throttling import UserRateThrottle
from envopt.celery import app as celery_app
from tests.fixtures import wait_for

pytestmark = pytest.mark.services

OWN_PORTS = range(6390, 6400)
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


class OwnRedis:
    """A redis-server of this test's own: started, killed (SIGKILL, by its pid) and restarted."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> "OwnRedis":
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), timeout=10, what=f"redis-server on {self.port}")
        return self

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        assert not _listening(self.port)

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


def _celery_on(url: str) -> None:
    """Point this process's Celery app at ``url``: a new connection pool, new producers."""
    # Celery copies broker_url into broker_write_url (and read) when it is configured: all three.
    celery_app.conf.broker_url = celery_app.conf.broker_write_url = celery_app.conf.broker_read_url = url
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def own_redis(settings):
    free = [port for port in OWN_PORTS if not _listening(port)]
    if not free:
        pytest.fail("no free port in 6390-6399 for the test's own redis-server")
    server = OwnRedis(free[0]).start()
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache_backends.GuardedRedisCache",
            "LOCATION": server.url(1),
            "KEY_PREFIX": "outage-test",
            "OPTIONS": {
                "socket_connect_timeout": settings.CACHE_SOCKET_TIMEOUT,
                "socket_timeout": settings.CACHE_SOCKET_TIMEOUT,
            },
        }
    }
    settings.CELERY_BROKER_URL = server.url(0)
    # Short pauses, so that the test sees a process go back to Redis once it is up again.
    settings.CACHE_OUTAGE_PAUSE_SECONDS = settings.BROKER_OUTAGE_PAUSE_SECONDS = 1
    real_url = celery_app.conf.broker_url
    _celery_on(server.url(0))
    broker_pause.clear()
    cache_pause.clear()
    yield server
    server.kill()
    _celery_on(real_url)
    broker_pause.clear()
    cache_pause.clear()


def _bound(settings) -> float:
    """The documented longest wait of one request while Redis is down (README)."""
    return (
        settings.CELERY_BROKER_CONNECTION_TIMEOUT
        + settings.CELERY_BROKER_SOCKET_TIMEOUT
        + (2 * settings.CACHE_SOCKET_TIMEOUT)
    )


class Intake:
    """Files complaints through the public form, the way a browser does, and keeps the counts."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.elapsed: list[float] = []

    def file(self, client: Client, text: str, *, address: str) -> str | None:
        challenge = pow_challenge_issue()
        data = factories.form_post(
            department=factories.department().pk,
            description=text,
            email="lisi@example.com",
            pow_challenge=challenge,
            pow_nonce=pow_solve(challenge),
        )
        started = time.monotonic()
        response = client.post(reverse("complaints:new"), data, REMOTE_ADDR=address, **EN)
        self.counts["submissions"] += 1
        self.counts[f"status {response.status_code}"] += 1
        if response.status_code >= 500:
            self.counts["5xx"] += 1
        code = None
        if response.status_code == 302:
            page = client.get(response["Location"], REMOTE_ADDR=address, **EN)
            if page.status_code >= 500:
                self.counts["5xx"] += 1
            code = page.context["code"] if page.status_code == 200 and page.context else None
            if code and code in page.content.decode():
                self.counts["tracking codes shown"] += 1
        self.elapsed.append(time.monotonic() - started)
        return code


def test_redis_stopped_during_intake(settings, own_redis, worker_factory, smtp_server, django_user_model):
    settings.INTAKE_POW_ENABLED = True
    settings.INTAKE_POW_DIFFICULTY = 4
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    settings.INTAKE_SUBMIT_RATE = "3/h"
    worker_factory(CELERY_BROKER_URL=own_redis.url(0), CACHE_URL=own_redis.url(1), **smtp_server.env)
    intake, client = Intake(), Client()
    leader = casework_factories.user("leader", username="leader-outage")
    leader_client = Client()
    leader_client.force_login(leader)

    # Redis up: two complaints, the figures live.
    codes = [
        intake.file(client, f"第{n}次:办理营业执照变更时被要求缴纳没有依据的材料费。", address="10.0.0.1")
        for n in (1, 2)
    ]
    figures = Client().get("/figures/", **EN)
    assert figures.status_code == 200
    assert figures.context["report"].current.total["received"] == 2
    assert leader_client.get("/dashboard/", **EN).status_code == 200
    wait_for(
        lambda: len(smtp_server.messages) == 2, timeout=60, what="the acknowledgements sent while Redis is up"
    )

    # Redis killed: three complaints from another address are filed, the fourth is over the rate.
    own_redis.kill()
    elapsed_up = list(intake.elapsed)
    intake.elapsed.clear()
    codes += [
        intake.file(client, f"第{n}次:窗口人员让我们反复补交同样的材料,拖了半年。", address="10.0.0.2")
        for n in (3, 4, 5, 6)
    ]
    assert intake.counts["status 429"] == 1, intake.counts  # the limit held, counted in the database
    assert FallbackCounter.objects.exists()
    figures = Client().get("/figures/", **EN)
    dashboard = leader_client.get("/dashboard/", **EN)
    # The dashboard needs no cache: its figures are read from PostgreSQL, with the complaints
    # filed while Redis is down (two before, three during the outage).
    assert dashboard.status_code == 200
    assert dashboard.context["report"].current.total["received"] == 5
    assert "Live figures" in dashboard.content.decode()
    # The public page serves its last stored copy (PUBLIC_FIGURES_SECONDS) and says as of when.
    assert figures.status_code == 200
    assert figures.context["report"].current.total["received"] == 2
    assert figures.context["report"].generated_at < dashboard.context["report"].generated_at
    assert "Live figures as of" in figures.content.decode()
    intake.counts["5xx"] += sum(page.status_code >= 500 for page in (figures, dashboard))

    filed = [code for code in codes if code]
    duplicates = sum(
        Complaint.objects.filter(description=text).count() - 1
        for text in Complaint.objects.values_list("description", flat=True).distinct()
    )
    counts = {**intake.counts, "filed": Complaint.objects.count(), "duplicates": duplicates}
    print("outage counts:", counts)
    print("seconds per request, Redis up:", [f"{s:.3f}" for s in elapsed_up])
    print("seconds per request, Redis killed:", [f"{s:.3f}" for s in intake.elapsed])
    assert counts["submissions"] == 6 and counts["filed"] == 5 and counts["tracking codes shown"] == 5
    assert counts["duplicates"] == 0 and counts["5xx"] == 0
    assert all(complaint_by_tracking_code(code) is not None for code in filed)
    assert max(intake.elapsed) < _bound(settings), intake.elapsed
    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING)
    assert pending.count() == 3  # the acknowledgements no publish could hand over

    # Redis back: the sweep (what beat runs every minute) sends them, each once.
    own_redis.start()
    time.sleep(1.1)  # the pauses end
    outbox_sweep_task.delay()
    wait_for(lambda: not pending.exists(), timeout=90, what="the sweep to send them (worker log in tmp_path)")
    time.sleep(2)  # a duplicate would have arrived by now
    assert len(smtp_server.messages) == OutboundEmail.objects.filter(status="sent").count() == 5
    assert len({message["Message-ID"] for message in smtp_server.messages}) == 5
    # And the cache is used again.
    assert cache.add("back", 1) and cache.get("back") == 1


class StalledRedis:
    """A server that accepts connections and never answers: Redis hung, or a dropped route."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(50)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_a_stalled_redis_costs_one_request_the_documented_bound_and_no_more(settings, transactional_db):
    stalled = StalledRedis()
    url = f"redis://127.0.0.1:{stalled.port}"
    settings.CACHES = {
        "default": {
            "BACKEND": "core.cache_backends.GuardedRedisCache",
            "LOCATION": f"{url}/1",
            "OPTIONS": {
                "socket_connect_timeout": settings.CACHE_SOCKET_TIMEOUT,
                "socket_timeout": settings.CACHE_SOCKET_TIMEOUT,
            },
        }
    }
    settings.INTAKE_POW_ENABLED = True
    settings.INTAKE_POW_DIFFICULTY = 4
    settings.INTAKE_RATE_LIMITS_ENABLED = True
    real_url = celery_app.conf.broker_url
    _celery_on(f"{url}/0")
    broker_pause.clear()
    cache_pause.clear()
    try:
        intake, client = Intake(), Client()
        for n in range(3):
            intake.file(client, f"第{n}次:执法人员一个月内三次上门检查同一事项。", address="10.0.0.3")
    finally:
        _celery_on(real_url)
        broker_pause.clear()
        cache_pause.clear()
        stalled.close()
    print("stalled Redis, seconds per request:", [f"{s:.3f}" for s in intake.elapsed])
    assert intake.counts["tracking codes shown"] == 3 and Complaint.objects.count() == 3
    assert intake.elapsed[0] < _bound(settings)
    assert max(intake.elapsed[1:]) < 1.0  # paused: the next requests do not wait again


@pytest.mark.django_db
def test_rate_limits_count_in_the_database_while_the_cache_is_down(settings, own_redis):
    own_redis.kill()
    assert [rate_limit_exceeded(group="g", identity="10.0.0.9", rate="2/h") for _ in range(3)] == [
        False,
        False,
        True,
    ]
    assert not rate_limit_exceeded(group="g", identity="10.0.0.8", rate="2/h")  # per client
    assert not FallbackCounter.objects.filter(key__contains="10.0.0").exists()  # digests only


@pytest.mark.django_db
def test_fallback_counters_are_windows_and_marks_single_use():
    key = fallback_key("t", "x")
    assert [fallback_incr(key, window=3600) for _ in range(3)] == [1, 2, 3]
    assert fallback_add(key, timeout=60) is True
    assert fallback_add(key, timeout=60) is False


@pytest.mark.django_db
def test_a_proof_of_work_spent_during_the_outage_stays_spent(settings, own_redis):
    settings.INTAKE_POW_ENABLED = True
    settings.INTAKE_POW_DIFFICULTY = 4
    challenge = pow_challenge_issue()
    nonce = pow_solve(challenge)
    own_redis.kill()
    pow_verify(challenge, nonce)
    with pytest.raises(ValidationError) as refused:
        pow_verify(challenge, nonce)
    assert refused.value.code == "pow_reused"
    own_redis.start()
    time.sleep(1.1)
    with pytest.raises(ValidationError):  # the cache is back, the database's mark still counts
        pow_verify(challenge, nonce)


@pytest.mark.django_db
def test_logins_and_the_api_do_not_fail_while_the_cache_is_down(settings, own_redis, monkeypatch):
    casework_factories.user("handler", username="handler-outage")
    own_redis.kill()
    with pytest.raises(OUTAGE_ERRORS):
        cache.get("anything")  # really down
    client = Client()
    answers = [
        client.post("/accounts/login/", {"username": "handler-outage", "password": "wrong"}, **EN).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT + 1)
    ]
    assert answers[0] == 200 and answers[-1] == 429  # the lockout (django-axes, in the database)
    staff = Client()
    staff.force_login(casework_factories.user("handler"))
    # DRF reads the rates into the class when it is imported.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "2/minute"})
    api = [staff.get("/api/v1/cases/").status_code for _ in range(3)]
    assert api == [200, 200, 429]  # the throttle held, counted in the database


def test_a_remaining_outage_error_answers_the_translated_503_page(rf):
    request = rf.get("/somewhere/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    try:
        raise RedisConnectionError("down")
    except RedisConnectionError:
        response = server_error(request)
    assert response.status_code == 503 and response["Retry-After"]
    api = rf.get("/api/v1/cases/")
    try:
        raise RedisConnectionError("down")
    except RedisConnectionError:
        response = server_error(api)
    assert response.status_code == 503 and b"detail" in response.content


@pytest.mark.django_db(transaction=True)
def test_a_publish_after_commit_with_the_broker_down_is_bounded_logged_and_never_raises(
    settings, own_redis, caplog
):
    own_redis.kill()
    started = time.monotonic()
    with transaction.atomic():
        task_publish_on_commit(outbox_sweep_task, (), what="its work")
        assert not caplog.records  # nothing before the commit
    elapsed = time.monotonic() - started
    assert elapsed < settings.CELERY_BROKER_CONNECTION_TIMEOUT
    warnings = [record.getMessage() for record in caplog.records if record.name == "core.broker"]
    assert warnings == [
        "broker unavailable (OperationalError): core.tasks.outbox_sweep not published "
        "(its work left for the sweep)"
    ]
    assert broker_pause.active()  # the next publish of this process does not wait at all
    started = time.monotonic()
    assert task_publish(outbox_sweep_task, (), what="its work") is False
    assert time.monotonic() - started < 0.05

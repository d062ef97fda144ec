"""A task travels through the configured broker (Redis in CI) to a real worker process."""

import uuid

from django.core.cache import cache

from core.tasks import WORKER_HEARTBEAT_KEY, worker_heartbeat
from tests.fixtures import wait_for


def test_a_real_worker_runs_a_task_sent_through_the_broker(celery_worker_process):
    token = uuid.uuid4().hex
    worker_heartbeat.delay(token)
    beat = wait_for(
        lambda: (cache.get(WORKER_HEARTBEAT_KEY) or {}).get("token") == token,
        timeout=60,
        what="the worker to run the heartbeat task",
    )
    assert beat, celery_worker_process.log_path.read_text()

"""Handing tasks to the workers from a request: after commit, bounded in time, never failing it.

Every place that publishes a task goes through ``task_publish_on_commit`` (or ``task_publish``
where it already runs after commit). What a publish would have done is always also done by a
periodic sweep (the outbox sweep sends every pending row), so a publish that fails loses nothing:
it is logged as a warning (the task's name and how many ids, never what they are about) and the
request goes on. With the broker down, a publish gives up after one connection attempt of at most
``CELERY_BROKER_CONNECTION_TIMEOUT`` seconds (settings: kombu's ``max_retries`` 0 and the socket
timeouts), with ``retry=False`` so that Celery does not retry it either; then, for
``BROKER_OUTAGE_PAUSE_SECONDS``, this process does not try again (``core.outage.broker_pause``).
"""

import logging
from typing import Any, Protocol

from django.db import transaction

from core.outage import OUTAGE_ERRORS, broker_pause

logger = logging.getLogger(__name__)


class Publishable(Protocol):
    name: str

    def apply_async(self, args: tuple, *, retry: bool) -> Any: ...


def task_publish(task: Publishable, args: tuple = (), *, what: str = "") -> bool:
    """Publish now; False (and a warning) if the broker is down or paused. ``what`` says in the
    log what is left for the sweep (e.g. "3 e-mails"): no identity, no content."""
    name = getattr(task, "name", type(task).__name__)
    if broker_pause.active():
        logger.warning("broker paused after a failure: %s not published (%s left for the sweep)", name, what)
        return False
    try:
        task.apply_async(args, retry=False)
    except OUTAGE_ERRORS as error:
        broker_pause.start()
        logger.warning(
            "broker unavailable (%s): %s not published (%s left for the sweep)",
            type(error).__name__,
            name,
            what,
        )
        return False
    return True


def task_publish_on_commit(
    task: Publishable, args: tuple = (), *, what: str = "", using: str | None = None
) -> None:
    """Publish once the current transaction commits (at once outside one); never raises."""
    transaction.on_commit(lambda: task_publish(task, args, what=what), using=using)

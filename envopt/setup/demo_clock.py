"""The demo's clock: the demo's history is written by the real services, each step at the moment
it happened in the story.

Every service stamps its rows with ``django.utils.timezone.now()`` (and the timeline's
``CaseEvent.at`` is append-only, refused by a PostgreSQL trigger once written), so a history of
six quarters cannot be backdated afterwards without breaking the timeline's promise. Instead the
demo runs each step with ``timezone.now`` reading the story's moment: deadlines are counted from
the day the referral was sent, the timeline, the public updates, the ratings and the outbox rows
carry the day they happened. Used only by ``seed_demo`` (which refuses production), in one
thread, and always restored.
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone


@contextmanager
def demo_clock_at(moment: dt.datetime) -> Iterator[dt.datetime]:
    """While inside, ``timezone.now()`` (and so ``localdate()``) answers ``moment``."""
    if timezone.is_naive(moment):
        raise ValueError("the demo clock needs an aware datetime")
    original = timezone.now
    timezone.now = lambda: moment
    try:
        yield moment
    finally:
        timezone.now = original

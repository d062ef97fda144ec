"""What "Redis is down" looks like to the code, and the pause that keeps a process from waiting
on it again and again.

Redis is the Celery broker and the cache. When it is down (refused, unreachable, stalled), a
call to it raises one of ``OUTAGE_ERRORS`` after at most its timeout (settings:
``CELERY_BROKER_CONNECTION_TIMEOUT``, ``CACHE_SOCKET_TIMEOUT``). A ``Pause`` then makes the next
calls of this process fail at once for a few seconds, instead of each request waiting out the
timeout again: intake keeps its pace during an outage, and the first call after the pause tries
Redis again. Hand-written because neither Django's Redis cache nor kombu has such a pause
(django-redis's IGNORE_EXCEPTIONS hides errors, which would silently turn rate limits off).
"""

import threading
import time

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    BrokerOperationalError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,  # OSError's refused/reset/aborted, raised by a socket
    TimeoutError,
)


class RedisPaused(RedisConnectionError):
    """Raised instead of calling Redis while a pause is on (a ConnectionError like the real one)."""


class Pause:
    """After a failure, ``active()`` is true for the seconds the setting says (read on each
    failure, so a test can override it)."""

    def __init__(self, setting: str, default: float) -> None:
        self.setting, self.default = setting, default
        self._until = 0.0
        self._lock = threading.Lock()

    def active(self) -> bool:
        return time.monotonic() < self._until

    def start(self) -> None:
        with self._lock:
            self._until = time.monotonic() + float(getattr(settings, self.setting, self.default))

    def clear(self) -> None:
        with self._lock:
            self._until = 0.0


broker_pause = Pause("BROKER_OUTAGE_PAUSE_SECONDS", 30)
cache_pause = Pause("CACHE_OUTAGE_PAUSE_SECONDS", 10)

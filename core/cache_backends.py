"""Django's Redis cache with short socket timeouts and a pause after a failure (core/outage.py).

CACHE_URL=redis://… selects it (envopt/settings.py). While Redis answers it behaves exactly like
``django.core.cache.backends.redis.RedisCache``. When Redis is down, a call fails within
``CACHE_SOCKET_TIMEOUT`` seconds with a redis ConnectionError or TimeoutError, and for the next
``CACHE_OUTAGE_PAUSE_SECONDS`` every call fails at once with ``RedisPaused`` (a ConnectionError)
instead of waiting again. Callers that have a fallback catch ``core.outage.OUTAGE_ERRORS``; what
is left reaches the 503 page (core.errors.server_error)."""

from functools import wraps

from django.core.cache.backends.redis import RedisCache, RedisCacheClient

from core.outage import OUTAGE_ERRORS, RedisPaused, cache_pause

GUARDED = (
    "add",
    "get",
    "set",
    "touch",
    "delete",
    "get_many",
    "has_key",
    "incr",
    "set_many",
    "delete_many",
    "clear",
)


def _guarded(method):
    @wraps(method)
    def call(*args, **kwargs):
        if cache_pause.active():
            raise RedisPaused("the cache is paused after a failure")
        try:
            return method(*args, **kwargs)
        except OUTAGE_ERRORS:
            cache_pause.start()
            raise

    return call


class GuardedRedisCacheClient(RedisCacheClient):
    pass


for _name in GUARDED:
    setattr(GuardedRedisCacheClient, _name, _guarded(getattr(RedisCacheClient, _name)))


class GuardedRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = GuardedRedisCacheClient

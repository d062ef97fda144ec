"""The API's throttles (Django REST framework's, which count in the cache), counting in the
database while the cache is down (core/fallback.py): the API keeps its limits and never answers
500 because Redis is down. While the cache is up they are DRF's own, unchanged."""

from rest_framework import throttling

from core.fallback import fallback_incr, fallback_key
from core.outage import OUTAGE_ERRORS


class DatabaseFallbackMixin:
    fallback_used = False

    def allow_request(self, request, view):
        try:
            return super().allow_request(request, view)
        except OUTAGE_ERRORS:
            if self.rate is None or getattr(self, "key", None) is None:
                return True
            self.fallback_used = True
            hits = fallback_incr(fallback_key("throttle", self.key), window=self.duration)
            return hits <= self.num_requests

    def wait(self):
        if self.fallback_used:
            return float(self.duration)  # a fixed window: at most this long
        return super().wait()


class AnonRateThrottle(DatabaseFallbackMixin, throttling.AnonRateThrottle):
    pass


class UserRateThrottle(DatabaseFallbackMixin, throttling.UserRateThrottle):
    pass

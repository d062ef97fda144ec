"""Fixed-window rate limits kept in the cache (Redis in production, so every web process
shares the counters). Client addresses are hashed before they become cache keys: an IP
address can identify a complainant, and the cache is no place to keep one. While the cache is
down the counts are kept in the database (core/fallback.py), so the limits still hold."""

import hashlib
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

from core.fallback import fallback_incr, fallback_key
from core.outage import OUTAGE_ERRORS

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600)."""
    count, _slash, period = rate.partition("/")
    if not count.isdigit() or period not in PERIODS:
        raise ValueError(f"A rate looks like '10/h' (s, m, h or d), not {rate!r}")
    return int(count), PERIODS[period]


def client_address(request) -> str:
    """REMOTE_ADDR, or behind N proxies of ours the address N places from the right of
    X-Forwarded-For: each proxy appends what it saw, so the left part is the client's to forge."""
    proxies = settings.RATE_LIMIT_TRUSTED_PROXIES
    if proxies > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "")


def rate_limit_exceeded(*, group: str, identity: str, rate: str) -> bool:
    """Count one hit for (group, identity); True once the rate's count is exceeded."""
    limit, period = rate_parse(rate)
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{identity}".encode()).hexdigest()[:32]
    key = f"ratelimit:{group}:{digest}"
    try:
        cache.add(key, 0, timeout=period)
        try:
            hits = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period)
            hits = 1
    except OUTAGE_ERRORS:
        hits = fallback_incr(fallback_key("ratelimit", group, digest), window=period)
    return hits > limit


def rate_limited(group: str, rate_setting: str, methods: tuple[str, ...] = ("POST",)):
    """View decorator: answer 429 with a translated page once the client exceeds the rate."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (
                settings.INTAKE_RATE_LIMITS_ENABLED
                and request.method in methods
                and rate_limit_exceeded(
                    group=group, identity=client_address(request), rate=getattr(settings, rate_setting)
                )
            ):
                response = render(
                    request,
                    "429.html",
                    {"minutes": rate_parse(getattr(settings, rate_setting))[1] // 60},
                    status=429,
                )
                response["Retry-After"] = str(rate_parse(getattr(settings, rate_setting))[1])
                return response
            return view(request, *args, **kwargs)

        return wrapped

    return decorator

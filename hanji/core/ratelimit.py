"""A small fixed-window rate limiter on Django's cache.

With REDIS_URL the cache is Redis, shared by every web process and worker, and `incr` is
atomic; without it, the file cache is shared by the processes of one machine (its `incr` can
lose a count under a race, which only makes the limit a little softer).

    if not allow("subscribe-ip", client_ip(request), limit=10, period=600): …   # 10 per 10 min
    if once("confirm-mail", email, period=300): send …                           # 1 per 5 min
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache
from django.http import HttpRequest


def _now() -> float:
    """The clock of the windows (tests pin it, so that a window never ends mid-test)."""
    return time.time()


def _key(scope: str, ident: str, window: int) -> str:
    # Hash the identity: addresses are personal data and may hold characters a cache key
    # must not (memcached refuses spaces and control characters).
    digest = hashlib.blake2b(ident.encode(), digest_size=12).hexdigest()
    return f"rl:{scope}:{digest}:{window}"


def hits(scope: str, ident: str, period: int) -> int:
    """How many times `ident` was counted in `scope` in the current window."""
    window = int(_now() // period)
    return int(cache.get(_key(scope, ident, window), 0))


def allow(scope: str, ident: str, *, limit: int, period: int) -> bool:
    """Count one hit for `ident` in `scope`; True while at most `limit` hits fall in the
    current window of `period` seconds."""
    window = int(_now() // period)
    key = _key(scope, ident, window)
    if cache.add(key, 1, period + 1):
        return limit >= 1
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, period + 1)
        count = 1
    return count <= limit


def once(scope: str, ident: str, *, period: int) -> bool:
    """True for the first call for `ident` in `scope` within `period` seconds (a sliding
    period from that call), False for every other until it ends."""
    return cache.add(_key(scope, ident, 0), 1, period)


def reset(scope: str, ident: str, period: int | None = None) -> None:
    keys = [_key(scope, ident, 0)]
    if period:
        keys.append(_key(scope, ident, int(_now() // period)))
    cache.delete_many(keys)


def client_ip(request: HttpRequest) -> str:
    """The client address. Behind a proxy the operator sets HANJI_TRUSTED_PROXY_HEADER
    (e.g. HTTP_X_FORWARDED_FOR); trusting that header otherwise would let anyone pick a new
    identity per request."""
    from django.conf import settings

    header = getattr(settings, "HANJI_TRUSTED_PROXY_HEADER", "")
    if header and request.META.get(header):
        return request.META[header].split(",")[0].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"

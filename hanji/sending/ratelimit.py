"""Rate limits per transport, shared by every worker, and the warm-up ramp of a new domain.

Counters live in Django's cache (Redis with REDIS_URL: one atomic INCRBY per chunk; the file
cache otherwise, shared by the processes of one machine, where a race can let a few extra
messages through). Windows are fixed (this second, this hour, this day): simple, and what
providers themselves count.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime

from django.core.cache import cache
from django.utils import timezone

from hanji.sending import clock

# Messages a day for a new sending domain, day by day; after the last day no ramp applies.
# Mailbox providers judge a new domain by its first weeks: start small, double while the
# complaints and bounces stay low (the complaint pause watches that part).
WARMUP_SCHEDULE = (
    200, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 25_000, 40_000, 60_000,
    90_000, 130_000, 180_000, 250_000, 350_000, 500_000,
)  # fmt: skip


def warmup_limit(started_at: datetime | None, today: date | None = None) -> int | None:
    if started_at is None:
        return None
    today = today or timezone.localdate(clock.now())
    day = (today - timezone.localdate(started_at)).days
    if day < 0:
        return WARMUP_SCHEDULE[0]
    return WARMUP_SCHEDULE[day] if day < len(WARMUP_SCHEDULE) else None


def _key(name: str, period: int, now: float) -> str:
    digest = hashlib.blake2b(name.encode(), digest_size=10).hexdigest()
    return f"send-rate:{digest}:{period}:{int(now // period)}"


def _take(key: str, want: int, limit: int, period: int) -> int:
    """Count up to `want` against `limit` in this window; return how many were granted."""
    if cache.add(key, want, period + 5):
        used = want
    else:
        try:
            used = cache.incr(key, want)
        except ValueError:  # the window expired between add and incr
            cache.add(key, want, period + 5)
            used = want
    over = used - limit
    if over <= 0:
        return want
    give_back = min(over, want)
    try:
        cache.decr(key, give_back)
    except ValueError:
        pass
    return want - give_back


class RateLimiter:
    """`acquire(n)` grants up to n messages now; `wait` says how long until more may go."""

    def __init__(self, transport, warmup_name: str = "", warmup_per_day: int | None = None):
        self.windows: list[tuple[str, int, int]] = []
        if transport.per_second:
            self.windows.append((transport.key, 1, max(1, int(transport.per_second))))
        if transport.per_hour:
            self.windows.append((transport.key, 3600, int(transport.per_hour)))
        if transport.per_day:
            self.windows.append((transport.key, 86400, int(transport.per_day)))
        if warmup_per_day is not None:
            self.windows.append((f"warmup:{warmup_name}", 86400, warmup_per_day))
        self.wait = 0.0

    @property
    def unlimited(self) -> bool:
        return not self.windows

    def acquire(self, want: int) -> int:
        if not self.windows or want <= 0:
            return want
        now = clock.seconds()
        granted = want
        taken: list[tuple[str, int]] = []
        for name, period, limit in self.windows:
            key = _key(name, period, now)
            got = _take(key, granted, limit, period)
            # Give back what earlier windows granted beyond what this one allows.
            for prev_key, prev_got in taken:
                if prev_got > got:
                    try:
                        cache.decr(prev_key, prev_got - got)
                    except ValueError:
                        pass
            taken = [(k, min(g, got)) for k, g in taken] + [(key, got)]
            granted = got
            if granted == 0:
                self.wait = period - (now % period)
                return 0
        self.wait = 0.0
        return granted

"""Rate limits of the engagement endpoints: (how many, per how many seconds).

settings.HANJI_ENGAGEMENT_LIMITS may override any of them (tests and benchmarks raise them).
Comments and likes are counted in the request with hanji.core.ratelimit (the shared cache,
Redis with REDIS_URL). Views are capped when the spool is folded (see counting.py), so the
beacon itself never writes to the cache or the database.
"""

from __future__ import annotations

from django.conf import settings

DEFAULT_LIMITS: dict[str, tuple[int, int]] = {
    # counted views of one post from one client address per minute
    "view-ip": (120, 60),
    "like-ip": (120, 60),
    "like-liker": (30, 60),
    "comment-reader": (5, 600),
    "comment-ip": (20, 600),
}


def limit(name: str) -> tuple[int, int]:
    overrides = getattr(settings, "HANJI_ENGAGEMENT_LIMITS", None) or {}
    return tuple(overrides.get(name, DEFAULT_LIMITS[name]))  # type: ignore[return-value]

"""The sending engine's wall clock: one function, so a test can set the time of day (the
night hold is decided by it both when a chunk is checked and when it leaves)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()

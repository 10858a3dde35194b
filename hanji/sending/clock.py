"""The sending engine's wall clock: every decision of sending that depends on the time (when
a send is due, when a delivery may be claimed or retried, leases, heartbeats, the night hold,
the rate-limit windows) reads it here, so a test that sets the time sets it for all of them.

`now()` is the time of day; `seconds()` is the same instant as a Unix timestamp, for the
rate limiter's fixed windows. Tests replace one or both (tests/conftest.py starts the windows
at the top of a day, so that no test straddles an hour or a day). Elapsed time inside a loop
is measured with time.monotonic(), never with these.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()


def seconds() -> float:
    return now().timestamp()

"""Loaded (through PYTHONPATH) only by tools/suite_at_dates.sh, under libfaketime.

The monotonic clock stays real there (FAKETIME_DONT_FAKE_MONOTONIC: with a faked monotonic
clock, threading's timed waits never return), but libfaketime then breaks time.sleep, which
Python 3.11+ runs as clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME): EINVAL
(wolfcw/libfaketime#426). A relative select() timeout sleeps the same and is left alone."""

import select
import time


def _sleep(seconds: float) -> None:
    if seconds < 0:
        raise ValueError("sleep length must be non-negative")
    select.select([], [], [], seconds)


time.sleep = _sleep

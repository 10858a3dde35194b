"""A pytest plugin (tests/conftest.py loads it): the backstop behind pytest-timeout's SIGALRM.

The signal's exception can be caught by the code under test (a task backend that catches
everything, then a loop that spins on); if a test is still running BACKSTOP_GRACE seconds
(HANJI_TEST_BACKSTOP_GRACE) after its limit, every thread's stack is printed and the process
ends, as pytest-timeout's thread method would have done at once."""

from __future__ import annotations

import faulthandler
import os
import sys
import threading

import pytest

BACKSTOP_GRACE = float(os.environ.get("HANJI_TEST_BACKSTOP_GRACE", "60"))


def _limit(item) -> float:
    marker = item.get_closest_marker("timeout")
    if marker and marker.args:
        return float(marker.args[0])
    return float(item.config.getoption("timeout", None) or item.config.getini("timeout") or 0)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    limit = _limit(item)
    timer = None
    if limit > 0:
        timer = threading.Timer(limit + BACKSTOP_GRACE, _backstop, args=(item,))
        timer.daemon = True
        timer.start()
    try:
        yield
    finally:
        if timer is not None:
            timer.cancel()


def _backstop(item) -> None:
    capture = item.config.pluginmanager.getplugin("capturemanager")
    if capture is not None:  # else what follows would go to the test's captured output
        capture.suspend_global_capture(in_=True)
    sys.stderr.write(f"\n+++ {item.nodeid} ignored its timeout; the stacks of every thread:\n")
    faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
    sys.stderr.flush()
    os._exit(1)

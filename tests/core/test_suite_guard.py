"""The suite's guard against hangs: a test past its limit fails with its traceback and the
tests after it still run; one that swallows the timeout is ended by the backstop, with the
stacks of every thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

HANGS = """
import time

def test_sleeps_past_its_limit():
    time.sleep(30)

def test_after_it():
    pass

def test_swallows_the_timeout():
    while True:
        try:
            time.sleep(30)
        except BaseException:
            pass
"""


def run(tmp_path, *tests: str) -> subprocess.CompletedProcess:
    (tmp_path / "test_hangs.py").write_text(HANGS)
    ids = [f"{tmp_path / 'test_hangs.py'}::{name}" for name in tests]
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "tests.backstop",
         "-p", "no:django", "-o", "timeout=1", "-o", "timeout_method=signal", "--rootdir",
         str(tmp_path), "-c", "/dev/null", *ids],
        cwd=ROOT, env={**_env(), "HANJI_TEST_BACKSTOP_GRACE": "1"},
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}


def test_a_test_past_its_limit_fails_and_the_next_one_runs(tmp_path):
    result = run(tmp_path, "test_sleeps_past_its_limit", "test_after_it")
    assert "1 failed, 1 passed" in result.stdout, result.stdout[-2000:]
    assert "Timeout" in result.stdout and "time.sleep(30)" in result.stdout


def test_a_test_that_swallows_its_timeout_is_ended_with_every_stack(tmp_path):
    result = run(tmp_path, "test_swallows_the_timeout")
    assert result.returncode != 0
    assert "ignored its timeout" in result.stderr, result.stderr[-2000:]
    assert "test_swallows_the_timeout" in result.stderr


def test_the_suite_runs_with_the_backstop(request):
    assert request.config.pluginmanager.has_plugin("tests.backstop")
    assert request.config.getini("timeout_method") == "signal"

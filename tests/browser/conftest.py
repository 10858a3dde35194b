"""Playwright driving Debian's Chromium against a live Hanji server.

Never `playwright install`: the browser is the system's /usr/bin/chromium (apt-get install
chromium fonts-noto-cjk). Without it the browser tests are skipped, and the end of the run
says so; under CI (CI=true) a missing browser fails them instead, so CI cannot pass without
running them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("HANJI_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python package playwright is not installed (make install)"
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        return f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk)"
    return None


_skipped_because: list[str] = []


@pytest.fixture(scope="module")
def browser() -> Iterator:
    reason = _missing_browser()
    if reason:
        if IN_CI:
            pytest.fail(f"CI must run the browser tests, but {reason}")
        _skipped_because.append(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django refuses ORM calls
    # from a thread with a running loop. The test thread only sets up rows while no page is
    # awaiting anything, so the check is lifted for the lifetime of this module's browser.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Say at the very end of `make test` that the browser tests did not run, and why."""
    skipped = [
        report
        for report in terminalreporter.stats.get("skipped", [])
        if "browser" in getattr(report, "keywords", {})
    ]
    if not skipped:
        return
    reason = _skipped_because[0] if _skipped_because else "see the skip reasons (pytest -rs)"
    terminalreporter.write_sep("=", "BROWSER TESTS SKIPPED", yellow=True, bold=True)
    terminalreporter.write_line(
        f"{len(skipped)} browser test(s) did not run: {reason}.", yellow=True, bold=True
    )
    terminalreporter.write_line(
        "Install Chromium to run them: apt-get install chromium fonts-noto-cjk"
    )

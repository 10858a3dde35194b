"""Shared fixtures: publications, personas (owner, editor, author, stranger) and posts."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import hypothesis
import pytest
from django.core.cache import cache
from django.utils import translation

from hanji.publications.models import Author, Publication, Role, TeamMember
from hanji.publications.queries import clear_lookup_cache

# aiosmtpd logs every connection at INFO from its own thread; after a test ends pytest has
# closed the stream that thread would write to, which prints "Logging error" noise.
logging.getLogger("mail.log").setLevel(logging.WARNING)

# The backstop behind pytest-timeout's SIGALRM (see tests/backstop.py).
pytest_plugins = ["tests.backstop"]

# Property tests check what is true, not how fast: Hypothesis's 200 ms deadline per example
# failed them on a busy machine (two suites beside each other in CI).
hypothesis.settings.register_profile("hanji", deadline=None)
hypothesis.settings.load_profile("hanji")


@pytest.fixture(autouse=True)
def _english_outside_requests():
    """Messages made outside a request (actions, tasks, commands) in English, as the tests
    check them; pages still speak their publication's language (the middleware says so)."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _steady_rate_limit_windows(monkeypatch):
    """Rate-limit windows are fixed (a minute, ten minutes): a test that made 125 requests
    across a window's end saw two windows' allowance. Pin the limiter's clock per test."""
    from hanji.core import ratelimit

    pinned = time.time()
    monkeypatch.setattr(ratelimit, "_now", lambda: pinned)


@pytest.fixture(autouse=True)
def _steady_sending_windows(monkeypatch):
    """The sending rate limiter counts in fixed windows (this second, hour and day, UTC): a
    test that straddled the top of an hour or 00:00 saw two windows' allowance. Its clock
    starts each test at the top of a day (tomorrow's 00:00 UTC) and runs at the real pace, so
    every window starts with the test and none ends within it."""
    from hanji.sending import clock

    started = time.monotonic()
    midnight = (time.time() // 86400 + 1) * 86400
    monkeypatch.setattr(clock, "seconds", lambda: midnight + (time.monotonic() - started))


@pytest.fixture(autouse=True)
def _fresh_caches():
    cache.clear()
    clear_lookup_cache()
    yield
    clear_lookup_cache()


@pytest.fixture
def publication(db) -> Publication:
    return Publication.objects.create(
        name="주간 실리콘밸리",
        slug="weekly",
        description="실리콘밸리 소식을 매주 전합니다",
        bio="실리콘밸리에서 일하는 엔지니어가 씁니다.",
    )


@pytest.fixture
def other_publication(db) -> Publication:
    return Publication.objects.create(name="Other Letter", slug="other", language="en")


@pytest.fixture
def author(publication) -> Author:
    return Author.objects.create(
        publication=publication, name="김한지", slug="hanji", bio="글 쓰는 사람"
    )


def _user_with_role(django_user_model, publication, username, role):
    user = django_user_model.objects.create_user(
        username, f"{username}@example.com", "pw-very-secret-1"
    )
    if role:
        TeamMember.objects.create(publication=publication, user=user, role=role)
    return user


@pytest.fixture
def owner(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "owner", Role.OWNER)


@pytest.fixture
def editor(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "editor", Role.EDITOR)


@pytest.fixture
def author_user(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "writer", Role.AUTHOR)


@pytest.fixture
def stranger(django_user_model, publication):
    return _user_with_role(django_user_model, publication, "stranger", None)


@pytest.fixture
def make_post(publication):
    from hanji.posts.actions import publish_post, save_post

    def make(title="첫 번째 글", body="안녕하세요 **세계**", pub=None, publish=True, **kwargs):
        post = save_post(pub or publication, title=title, body_markdown=body, **kwargs)
        return publish_post(post) if publish else post

    return make


# --- the browser: Playwright driving Debian's Chromium (no browser download: the system's own) ---------

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
            # Chromium never runs under libfaketime (tools/suite_at_dates.sh): its timed waits
            # on the monotonic clock fail there, and every page took seconds. Only the server's
            # clock matters to what the tests check; the browser keeps the real one.
            real_clock = {
                k: v
                for k, v in os.environ.items()
                if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
            }
            chromium = playwright.chromium.launch(
                executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=real_clock
            )
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


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

"""1,000 concurrent like toggles and 10,000 concurrent view beacons against one post, through a
live server, on whichever database the suite runs on (CI runs it on SQLite and PostgreSQL).

The counts must come out exact, and no request may fail (no "database is locked").
"""

from __future__ import annotations

import random
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.conf import settings as django_settings
from django.contrib.sessions.backends.db import SessionStore

from hanji.engagement.counting import VISITOR_COOKIE, fold_views
from hanji.engagement.models import PostLike
from hanji.posts.models import Post
from tests.engagement.conftest import BROWSER

pytestmark = pytest.mark.django_db(transaction=True)

HEADERS = {
    "User-Agent": BROWSER,
    "Sec-Fetch-Site": "same-origin",
    "X-Hanji-Request": "1",
}
CLIENT_THREADS = 24


@pytest.fixture
def unlimited(settings):
    # One test machine is one client address; the per-address limits are tested elsewhere.
    settings.HANJI_ENGAGEMENT_LIMITS = {
        "view-ip": (10**9, 60),
        "like-ip": (10**9, 60),
        "like-liker": (10**9, 60),
    }


def _fire(url: str, jobs: list[dict]) -> list[tuple[int, str]]:
    """POST every job's cookies to `url` from CLIENT_THREADS threads with kept-alive
    connections; returns (status, body) of each."""
    local = threading.local()

    def one(cookies: dict) -> tuple[int, str]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
        response = session.post(url, headers={**HEADERS, "Cookie": cookie}, timeout=60)
        return response.status_code, response.text

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return list(pool.map(one, jobs))


def _reader_session(publication, subscriber) -> str:
    store = SessionStore()
    store[f"hanji.reader.{publication.pk}"] = subscriber.pk
    store.create()
    return store.session_key


def _assert_all_ok(results: list[tuple[int, str]]) -> None:
    failures = [(status, body[:200]) for status, body in results if status != 200]
    assert not failures, failures[:5]
    assert not any("locked" in body for _status, body in results)


def test_1000_concurrent_like_toggles_leave_an_exact_count(
    live_server, publication, make_post, make_reader, unlimited
):
    post = make_post(title="동시에 좋아요")
    readers = [make_reader(f"reader{i}@example.com") for i in range(150)]
    jobs: list[dict] = []
    # 100 readers toggle once (liked), 50 toggle twice (back to not liked)...
    for i, reader in enumerate(readers):
        cookies = {django_settings.SESSION_COOKIE_NAME: _reader_session(publication, reader)}
        jobs += [cookies] * (1 if i < 100 else 2)
    # ...and so do browsers that are not signed in: 300 once, 250 twice.
    for i in range(550):
        cookies = {VISITOR_COOKIE: secrets.token_urlsafe(16)}
        jobs += [cookies] * (1 if i < 300 else 2)
    assert len(jobs) == 1000
    random.Random(6).shuffle(jobs)

    results = _fire(f"{live_server.url}/p/{publication.slug}/engagement/{post.pk}/like/", jobs)

    _assert_all_ok(results)
    post.refresh_from_db()
    assert PostLike.objects.filter(post=post).count() == 400
    assert post.like_count == 400


def test_10000_concurrent_view_beacons_count_exactly_once_per_visitor(
    live_server, publication, make_post, unlimited
):
    post = make_post(title="동시에 조회")
    visitors = [secrets.token_urlsafe(16) for _ in range(8000)]
    # 8,000 visitors; 2,000 of them load the page twice within 30 minutes.
    jobs = [{VISITOR_COOKIE: v} for v in visitors] + [{VISITOR_COOKIE: v} for v in visitors[:2000]]
    random.Random(10).shuffle(jobs)
    folded: list[int] = []
    done = threading.Event()

    def fold_meanwhile() -> None:
        # The periodic job keeps folding while the beacons arrive, as in production.
        from django.db import connection

        try:
            while not done.wait(0.2):
                folded.append(fold_views())
        finally:
            connection.close()

    folder = threading.Thread(target=fold_meanwhile)
    folder.start()
    try:
        results = _fire(
            f"{live_server.url}/p/{publication.slug}/engagement/{post.pk}/beacon/", jobs
        )
    finally:
        done.set()
        folder.join()
    folded.append(fold_views())

    _assert_all_ok(results)
    assert len(results) == 10_000
    assert sum(folded) == 8000
    assert Post.objects.get(pk=post.pk).view_count == 8000
    assert len([n for n in folded if n]) > 1  # folds really ran during the load

"""Fixtures for the engagement tests: readers who sign in, a clean view spool, posts."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hanji.engagement import queries
from hanji.engagement.spool import get_spool
from hanji.subscribers.models import Subscriber, SubscriberStatus

BROWSER = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


@pytest.fixture(autouse=True)
def _fresh_engagement():
    queries.clear_caches()
    get_spool().clear()
    yield
    queries.clear_caches()
    get_spool().clear()


@pytest.fixture
def make_reader(publication):
    def make(email="reader@example.com", status=SubscriberStatus.ACTIVE, pub=None, name=""):
        return Subscriber.objects.create(
            publication=pub or publication,
            email=email,
            name=name,
            status=status,
            created_at=timezone.now(),
            confirmed_at=timezone.now() if status == SubscriberStatus.ACTIVE else None,
        )

    return make


@pytest.fixture
def reader(make_reader):
    return make_reader(name="김독자")


@pytest.fixture
def sign_in():
    """Sign a reader in the way readers do: through the magic link of the subscribers app."""
    from hanji.subscribers.actions import sign_in_token

    def do(client, subscriber, **extra):
        token = sign_in_token(subscriber)
        response = client.post(f"/account/sign-in/{token}/", **extra)
        assert response.status_code == 302, response.status_code
        subscriber.refresh_from_db()
        return client

    return do


@pytest.fixture
def browser_headers():
    return {"HTTP_USER_AGENT": BROWSER, "HTTP_SEC_FETCH_SITE": "same-origin"}

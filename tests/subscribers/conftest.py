"""Fixtures for the subscribers tests: newsletters, subscribers in every status."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from hanji.subscribers import counts
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus, Subscription


@pytest.fixture
def weekly(publication) -> Newsletter:
    return Newsletter.objects.create(
        publication=publication, name="주간 레터", slug="weekly", position=0
    )


@pytest.fixture
def digest(publication) -> Newsletter:
    return Newsletter.objects.create(
        publication=publication,
        name="데일리 다이제스트",
        slug="daily",
        position=1,
        subscribe_by_default=False,
    )


@pytest.fixture
def make_subscriber(publication):
    def make(email, status=SubscriberStatus.ACTIVE, newsletters=(), pub=None, **fields):
        subscriber = Subscriber.objects.create(
            publication=pub or publication,
            email=email,
            status=status,
            created_at=fields.pop("created_at", timezone.now()),
            **fields,
        )
        # As the actions do: the publication's counters (once counted) include the row.
        counts.added(subscriber.publication_id, status)
        for newsletter in newsletters:
            Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
        return subscriber

    return make


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only(db):
    if not is_postgres():
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL")


@pytest.fixture
def smtp(settings):
    """A real SMTP server; both mailers point at it for the test."""
    from tests.subscribers.smtp import smtp_server

    with smtp_server() as (inbox, port):
        backend = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
        settings.MAILERS = {"default": backend, "transactional": backend}
        yield inbox

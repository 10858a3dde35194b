from __future__ import annotations

import pytest
from django.utils import timezone

from hanji.subscribers.models import Newsletter, Subscriber, Subscription
from tests.sending.smtpd import SMTPServer


@pytest.fixture
def smtp_server():
    server = SMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def fast_retries(settings):
    settings.HANJI_SEND_RETRY_BASE_SECONDS = 0.05
    settings.HANJI_SEND_RETRY_MAX_SECONDS = 0.2
    settings.HANJI_SEND_IDLE_SECONDS = 5.0
    settings.HANJI_SEND_LEASE_SECONDS = 5.0
    settings.HANJI_SEND_DOWN_SECONDS = 15.0
    return settings


@pytest.fixture
def mail_to(settings, smtp_server, fast_retries):
    settings.EMAIL_URL = smtp_server.url + "?connections=2"
    return smtp_server


@pytest.fixture
def newsletter(publication) -> Newsletter:
    return Newsletter.objects.create(
        publication=publication,
        name="주간 레터",
        slug="weekly",
        sender_name="주간 실리콘밸리",
        sender_email="letter@weekly.example.com",
        reply_to="editor@weekly.example.com",
    )


@pytest.fixture
def make_subscribers(publication, newsletter):
    def make(
        n: int,
        *,
        status: str = "active",
        prefix: str = "reader",
        names=True,
        pub=None,
        nl=None,
        start: int = 0,
    ) -> list[Subscriber]:
        pub = pub or publication
        nl = nl or newsletter
        now = timezone.now()
        rows = Subscriber.objects.bulk_create(
            Subscriber(
                publication=pub,
                email=f"{prefix}{i}@example.org",
                name=f"독자{i}" if names else "",
                status=status,
                created_at=now,
                confirmed_at=now,
            )
            for i in range(start, start + n)
        )
        if not rows or rows[0].pk is None:
            rows = list(
                Subscriber.objects.filter(publication=pub, email__startswith=prefix).order_by("id")
            )
        Subscription.objects.bulk_create(Subscription(subscriber=s, newsletter=nl) for s in rows)
        return rows

    return make


@pytest.fixture
def send_now(django_capture_on_commit_callbacks):
    """Start a send and run it to the end in this process (the immediate task backend runs
    the prepare task and the loops in-line once the transaction commits)."""
    from hanji.sending.actions import start_send_for_post

    def run(post, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            send = start_send_for_post(post, **kwargs)
        send.refresh_from_db()
        return send

    return run

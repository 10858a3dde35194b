"""Fixtures for the memberships tests: tiers, members in each state, readers who sign in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hanji.memberships import actions, states
from hanji.memberships.models import Member, Tier
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus, Subscription
from tests.browser.conftest import artifacts, studio_page  # noqa: F401
from tests.sending.conftest import fast_retries, mail_to, send_now, smtp_server  # noqa: F401


@pytest.fixture
def newsletter(publication) -> Newsletter:
    return Newsletter.objects.create(
        publication=publication,
        name="주간 레터",
        slug="weekly",
        sender_email="letter@weekly.example.com",
    )


@pytest.fixture
def gold(publication) -> Tier:
    return actions.save_tier(
        publication,
        name="골드",
        slug="gold",
        monthly_price=9000,
        yearly_price=90000,
        benefits="커뮤니티 채팅방\n월간 리포트",
    )


@pytest.fixture
def silver(publication) -> Tier:
    return actions.save_tier(publication, name="실버", slug="silver", monthly_price=5000)


@pytest.fixture
def make_reader(publication, newsletter):
    def make(email: str, status: str = SubscriberStatus.ACTIVE) -> Subscriber:
        now = timezone.now()
        subscriber = Subscriber.objects.create(
            publication=publication,
            email=email,
            status=status,
            created_at=now,
            confirmed_at=now if status == SubscriberStatus.ACTIVE else None,
        )
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
        return subscriber

    return make


@pytest.fixture
def make_member(make_reader):
    def make(email: str, tier: Tier, status: str = "active", period_end=None, **fields) -> Member:
        subscriber = make_reader(email)
        member = Member(
            publication_id=tier.publication_id,
            subscriber=subscriber,
            tier=tier,
            amount=tier.monthly_price,
            currency=tier.currency,
            provider="stripe",
            **fields,
        )
        states.apply(member, "start", period_end=period_end or timezone.now() + timedelta(days=30))
        if status != "active":
            member.status = status
            member.save()
        return member

    return make


@pytest.fixture
def sign_in():
    from hanji.subscribers.actions import sign_in_token

    def do(client, subscriber):
        response = client.post(f"/account/sign-in/{sign_in_token(subscriber)}/")
        assert response.status_code == 302, response.status_code
        return client

    return do


@pytest.fixture
def smtp(settings):
    from tests.subscribers import smtp as real_smtp

    with real_smtp.smtp_server() as (inbox, port):
        backend = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
        settings.MAILERS = {"default": backend, "transactional": backend}
        yield inbox


BUSINESS = {
    "company_name": "주식회사 한지",
    "representative": "김한지",
    "address": "서울특별시 중구 세종대로 1",
    "phone": "02-123-4567",
    "contact_email": "help@weekly.example.com",
    "business_number": "123-45-67890",
    "mail_order_number": "제2026-서울중구-0001호",
    "terms": "이용약관",
    "privacy": "개인정보처리방침",
    "recurring_terms": "정기결제 약관",
}


def _fill_business(publication) -> None:
    for field, value in BUSINESS.items():
        setattr(publication, field, value)
    publication.save()


@pytest.fixture
def stripe_fake(settings):
    from tests.memberships.fakes import FakeStripe

    fake = FakeStripe().start()
    settings.HANJI_STRIPE_API_BASE = fake.url
    yield fake
    fake.stop()


@pytest.fixture
def portone_fake(settings):
    from tests.memberships.fakes import FakePortOne

    fake = FakePortOne().start()
    settings.HANJI_PORTONE_API_BASE = fake.url
    yield fake
    fake.stop()


def _settings(publication, **fields):
    from hanji.memberships.models import MembershipSettings

    _fill_business(publication)
    options, _ = MembershipSettings.objects.update_or_create(
        publication=publication,
        defaults={
            "mail_order_office": "서울특별시 중구청",
            "hosting_provider": "한지 클라우드",
            "terms_version": "2026-12",
            **fields,
        },
    )
    actions.turn_on_paid(publication)
    return options


@pytest.fixture
def with_stripe(publication, stripe_fake):
    from tests.memberships.fakes import STRIPE_KEY, STRIPE_WEBHOOK_SECRET

    return _settings(
        publication,
        provider="stripe",
        stripe_secret_key=STRIPE_KEY,
        stripe_webhook_secret=STRIPE_WEBHOOK_SECRET,
    )


@pytest.fixture
def with_portone(publication, portone_fake):
    from tests.memberships.fakes import PORTONE_SECRET, PORTONE_WEBHOOK_SECRET

    return _settings(
        publication,
        provider="portone",
        portone_api_secret=PORTONE_SECRET,
        portone_webhook_secret=PORTONE_WEBHOOK_SECRET,
        portone_store_id="store-test",
        portone_channel_key="channel-key-test",
    )

"""Fixtures for the memberships tests: tiers, members in each state, readers who sign in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hanji.memberships import actions, states
from hanji.memberships.models import Member, Tier
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus, Subscription
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

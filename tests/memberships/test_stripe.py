"""Stripe against the local fake: Checkout, then webhooks signed as Stripe signs them,
duplicated, reordered, replayed a day later, forged, unsigned and in PortOne's scheme."""

from __future__ import annotations

import time

import pytest

from hanji.memberships.actions import open_checkout
from hanji.memberships.models import Member, MemberStatus, Payment, ProviderEvent
from hanji.memberships.providers import get_provider
from tests.memberships.fakes import FakeStripe

WEBHOOK = "/membership/webhooks/stripe/"


def deliver(client, payload: bytes, signature: str | None = None, **headers):
    if signature is None:
        signature = FakeStripe.sign(payload)
    if signature:
        headers["HTTP_STRIPE_SIGNATURE"] = signature
    return client.post(WEBHOOK, payload, content_type="application/json", **headers)


@pytest.fixture
def paid_session(with_stripe, stripe_fake, gold, make_reader):
    reader = make_reader("buyer@example.org")
    checkout = open_checkout(reader, gold, "month", accepted_terms=True, language="ko")
    start = get_provider("stripe", with_stripe).start_checkout(
        checkout, success_url="http://x/ok", cancel_url="http://x/no"
    )
    assert start.redirect_url.startswith(stripe_fake.url)
    session_id = start.redirect_url.rsplit("/", 1)[1]
    return reader, checkout, stripe_fake.pay(session_id)


def test_a_completed_checkout_makes_an_active_member_once(client, paid_session, stripe_fake):
    reader, checkout, session = paid_session
    event = FakeStripe.event("checkout.session.completed", session)
    assert deliver(client, event).status_code == 200
    member = Member.objects.get(subscriber=reader)
    assert member.status == MemberStatus.ACTIVE and member.amount == 9000
    assert member.terms_version == "2026-12" and member.terms_accepted_at is not None
    again = deliver(client, event)
    assert again.status_code == 200 and again.content == b"duplicate"
    assert ProviderEvent.objects.count() == 1 and Member.objects.count() == 1


def test_deleted_before_updated_leaves_the_member_ended(client, paid_session, stripe_fake):
    reader, _checkout, session = paid_session
    deliver(client, FakeStripe.event("checkout.session.completed", session))
    sub = stripe_fake.subscriptions[session["subscription"]]
    stale_update = dict(sub, cancel_at_period_end=True)
    stripe_fake.set_status(sub["id"], "canceled")
    deliver(client, FakeStripe.event("customer.subscription.deleted", dict(sub, status="canceled")))
    assert Member.objects.get(subscriber=reader).status == MemberStatus.ENDED
    deliver(client, FakeStripe.event("customer.subscription.updated", stale_update))
    assert Member.objects.get(subscriber=reader).status == MemberStatus.ENDED


@pytest.mark.parametrize(
    "signature",
    [
        "",  # unsigned
        FakeStripe.sign(b"{}", secret="whsec_somebody_else"),
        "t=1,v1=deadbeef",
        "v1,c2lnbmF0dXJl",  # Standard Webhooks' scheme
    ],
    # Named, not shown: the second is signed with the current time, and pytest-xdist's workers
    # must collect the same test ids.
    ids=["unsigned", "another-secret", "stale", "standard-webhooks-scheme"],
)
def test_a_bad_signature_changes_nothing(client, paid_session, signature):
    _reader, _checkout, session = paid_session
    event = FakeStripe.event("checkout.session.completed", session)
    if signature.startswith("t=") and "deadbeef" not in signature:
        signature = FakeStripe.sign(event, secret="whsec_somebody_else")
    assert deliver(client, event, signature).status_code == 400
    assert not Member.objects.exists() and not ProviderEvent.objects.exists()


def test_portone_headers_on_the_stripe_hook_are_refused(client, paid_session):
    from tests.memberships.fakes import FakePortOne

    event = FakeStripe.event("checkout.session.completed", paid_session[2])
    headers = FakePortOne.sign(event, "msg_1")
    assert deliver(client, event, "", **headers).status_code == 400
    assert not Member.objects.exists()


def test_an_event_replayed_a_day_later_is_refused(client, paid_session):
    event = FakeStripe.event("checkout.session.completed", paid_session[2])
    old = FakeStripe.sign(event, at=int(time.time()) - 86400)
    assert deliver(client, event, old).status_code == 400
    assert not Member.objects.exists()


def test_an_empty_signing_secret_refuses_every_webhook(client, paid_session, with_stripe):
    with_stripe.stripe_webhook_secret = ""
    with_stripe.save()
    event = FakeStripe.event("checkout.session.completed", paid_session[2])
    assert deliver(client, event, FakeStripe.sign(event, secret="")).status_code == 400


def test_a_failed_renewal_starts_the_grace_and_emails_the_member(
    client, paid_session, stripe_fake, smtp
):
    reader, _checkout, session = paid_session
    deliver(client, FakeStripe.event("checkout.session.completed", session))
    sub_id = session["subscription"]
    invoice = {
        "id": "in_1",
        "object": "invoice",
        "amount_due": 9000,
        "amount_paid": 0,
        "currency": "krw",
        "parent": {"subscription_details": {"subscription": sub_id}},
    }
    # Stripe still says "active" here: the failure alone must start the grace (Ghost ignores it).
    deliver(client, FakeStripe.event("invoice.payment_failed", invoice))
    member = Member.objects.get(subscriber=reader)
    assert member.status == MemberStatus.PAST_DUE and member.has_access()
    assert Payment.objects.get(provider_payment_id="in_1").status == "failed"
    smtp.wait_for("buyer@example.org")
    paid = dict(invoice, id="in_2", amount_paid=9000)
    deliver(client, FakeStripe.event("invoice.payment_succeeded", paid))
    assert Member.objects.get(subscriber=reader).status == MemberStatus.ACTIVE


def test_cancelling_at_period_end_keeps_access_until_the_end(client, paid_session, stripe_fake):
    from datetime import timedelta

    reader, _checkout, session = paid_session
    deliver(client, FakeStripe.event("checkout.session.completed", session))
    sub = stripe_fake.set_status(session["subscription"], "active", cancel_at_period_end=True)
    deliver(client, FakeStripe.event("customer.subscription.updated", sub))
    member = Member.objects.get(subscriber=reader)
    assert member.status == MemberStatus.CANCELLING and member.has_access()
    assert not member.has_access(member.current_period_end + timedelta(seconds=1))


def test_a_refund_marks_the_receipt(client, paid_session):
    reader, _checkout, session = paid_session
    deliver(client, FakeStripe.event("checkout.session.completed", session))
    invoice = {
        "id": "in_9",
        "amount_paid": 9000,
        "currency": "krw",
        "parent": {"subscription_details": {"subscription": session["subscription"]}},
    }
    deliver(client, FakeStripe.event("invoice.payment_succeeded", invoice))
    deliver(client, FakeStripe.event("charge.refunded", {"id": "ch_1", "invoice": "in_9"}))
    assert Payment.objects.get(provider_payment_id="in_9").status == "refunded"


def test_no_secret_reaches_the_logs(client, paid_session, caplog, with_stripe):
    import logging

    caplog.set_level(logging.DEBUG)
    _reader, _checkout, session = paid_session
    deliver(client, FakeStripe.event("checkout.session.completed", session))
    deliver(client, FakeStripe.event("checkout.session.completed", session), "t=1,v1=bad")
    for secret in (with_stripe.stripe_secret_key, with_stripe.stripe_webhook_secret):
        assert secret not in caplog.text
    assert secret not in repr(with_stripe)

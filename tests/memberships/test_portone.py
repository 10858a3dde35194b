"""PortOne V2 against the local fake: the first charge by billing key, webhooks signed with
Standard Webhooks, the amount check, and Hanji's renewal job with retries and dunning."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hanji.memberships.actions import open_checkout
from hanji.memberships.models import Member, MemberStatus, Payment, ProviderEvent
from hanji.memberships.providers import get_provider
from hanji.memberships.renewals import run_due_renewals
from tests.memberships.fakes import FakePortOne, FakeStripe, a_day_ago

WEBHOOK = "/membership/webhooks/portone/"


def deliver(client, payload: bytes, headers: dict):
    return client.post(WEBHOOK, payload, content_type="application/json", **headers)


@pytest.fixture
def checkout(with_portone, gold, make_reader):
    reader = make_reader("buyer@example.org")
    return open_checkout(reader, gold, "month", accepted_terms=True, language="en")


@pytest.fixture
def portone(with_portone):
    return get_provider("portone", with_portone)


def test_the_first_charge_is_read_back_before_granting(checkout, portone, portone_fake, smtp):
    member = portone.complete_checkout(checkout, "billing-key-1")
    assert member.status == MemberStatus.ACTIVE and member.billing_key == "billing-key-1"
    assert portone_fake.charged == {checkout.order_id: 1}
    assert Payment.objects.get(provider_payment_id=checkout.order_id).amount == 9000
    receipt = smtp.wait_for("buyer@example.org")
    assert "Receipt" in receipt["Subject"] or "receipt" in receipt["Subject"]
    again = portone.complete_checkout(checkout, "billing-key-1")  # a double click
    assert again.pk == member.pk and portone_fake.charged == {checkout.order_id: 1}


def test_a_paid_amount_that_differs_from_the_order_grants_nothing(
    checkout, portone, portone_fake, caplog
):
    portone_fake.tamper[checkout.order_id] = 100
    assert portone.complete_checkout(checkout, "billing-key-1") is None
    assert not Member.objects.exists()
    assert "differs from the order" in caplog.text


def test_a_webhook_is_verified_then_the_payment_read_from_the_api(
    client, checkout, portone_fake, smtp
):
    # The browser never came back: the webhook alone grants, after reading the payment.
    portone = get_provider("portone", checkout.publication.membership_settings)
    portone.charge(
        payment_id=checkout.order_id,
        billing_key="bk",
        amount=9000,
        currency="KRW",
        order_name="골드",
        customer_id="c",
    )
    event = FakePortOne.event("Transaction.Paid", checkout.order_id)
    response = deliver(client, event, FakePortOne.sign(event, "msg_1"))
    assert response.status_code == 200, response.content
    assert Member.objects.get().status == MemberStatus.ACTIVE
    assert deliver(client, event, FakePortOne.sign(event, "msg_1")).content == b"duplicate"
    assert ProviderEvent.objects.count() == 1 and Payment.objects.count() == 1


def test_a_webhook_for_a_mismatched_amount_grants_nothing_and_is_logged(
    client, checkout, portone_fake, caplog
):
    portone_fake.tamper[checkout.order_id] = 1000
    portone = get_provider("portone", checkout.publication.membership_settings)
    portone.charge(
        payment_id=checkout.order_id,
        billing_key="bk",
        amount=9000,
        currency="KRW",
        order_name="골드",
        customer_id="c",
    )
    event = FakePortOne.event("Transaction.Paid", checkout.order_id)
    assert deliver(client, event, FakePortOne.sign(event, "msg_2")).content == b"amount mismatch"
    assert not Member.objects.exists() and "nothing granted" in caplog.text


@pytest.mark.parametrize("case", ["forged", "unsigned", "a day old", "stripe scheme"])
def test_bad_webhooks_change_nothing(client, checkout, portone_fake, case):
    event = FakePortOne.event("Transaction.Paid", checkout.order_id)
    headers = {
        "forged": FakePortOne.sign(event, "m", secret="whsec_" + "QUJD" * 8),
        "unsigned": {},
        "a day old": FakePortOne.sign(event, "m", at=a_day_ago()),
        "stripe scheme": {"HTTP_STRIPE_SIGNATURE": FakeStripe.sign(event)},
    }[case]
    assert deliver(client, event, headers).status_code == 400
    assert not ProviderEvent.objects.exists() and not Member.objects.exists()
    assert portone_fake.requests == []  # nothing was even looked up


@pytest.fixture
def due_member(checkout, portone, portone_fake):
    member = portone.complete_checkout(checkout, "billing-key-1")
    Member.objects.filter(pk=member.pk).update(
        current_period_end=timezone.now() - timedelta(hours=1)
    )
    member.refresh_from_db()
    return member


def test_a_renewal_charges_once_and_extends_the_period_without_a_gap(due_member, portone_fake):
    old_end = due_member.current_period_end
    assert run_due_renewals()["renewed"] == 1
    assert run_due_renewals().get("renewed", 0) == 0  # not due any more
    due_member.refresh_from_db()
    assert due_member.status == MemberStatus.ACTIVE and due_member.current_period_end > old_end
    assert (due_member.current_period_end - old_end).days in (28, 29, 30, 31)
    assert sum(portone_fake.charged.values()) == 2  # the checkout and one renewal


def test_three_failed_renewals_email_each_time_then_end(due_member, portone_fake, smtp):
    portone_fake.failing_keys.add("billing-key-1")
    smtp.clear()
    now = timezone.now()
    for attempt, expected in enumerate(
        (MemberStatus.PAST_DUE, MemberStatus.PAST_DUE, MemberStatus.ENDED)
    ):
        run_due_renewals(now)
        due_member.refresh_from_db()
        assert due_member.status == expected, attempt
        smtp.wait_for("buyer@example.org", count=attempt + 1)
        if due_member.next_retry_at:
            now = due_member.next_retry_at + timedelta(seconds=1)
    last = smtp.to("buyer@example.org")[-1]
    assert "ended" in last["Subject"]
    assert Payment.objects.filter(status="failed").count() == 3


def test_a_retry_that_succeeds_restores_active_without_a_gap(due_member, portone_fake):
    old_end = due_member.current_period_end
    portone_fake.failing_keys.add("billing-key-1")
    run_due_renewals()
    due_member.refresh_from_db()
    assert due_member.status == MemberStatus.PAST_DUE and due_member.has_access()
    portone_fake.failing_keys.clear()
    run_due_renewals(due_member.next_retry_at + timedelta(seconds=1))
    due_member.refresh_from_db()
    assert due_member.status == MemberStatus.ACTIVE and due_member.retries == 0
    assert (due_member.current_period_end - old_end).days in (28, 29, 30, 31)


@pytest.mark.django_db(transaction=True)
def test_two_workers_renewing_at_once_charge_once(due_member, portone_fake):
    results = []

    def worker():
        try:
            results.append(run_due_renewals())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    renewals = [k for k in portone_fake.charged if k.startswith("renew-")]
    assert len(renewals) == 1 and portone_fake.charged[renewals[0]] == 1
    assert Payment.objects.filter(status="paid").count() == 2

"""A coupon "for N months" ends and the member pays the full price again: at Stripe the
discount leaves the subscription (customer.subscription.updated), and Hanji's record of the
member's price, the account page and MRR follow; for PortOne, where Hanji charges, the
renewal after the coupon's last month charges the full price."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from hanji.memberships import actions, queries, stats
from hanji.memberships.models import Member
from hanji.memberships.providers import get_provider
from hanji.memberships.renewals import run_due_renewals
from tests.memberships.fakes import FakeStripe

WEBHOOK = "/membership/webhooks/stripe/"


def deliver(client, kind: str, obj: dict):
    payload = FakeStripe.event(kind, obj)
    return client.post(
        WEBHOOK,
        payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=FakeStripe.sign(payload),
    )


def _mrr(publication) -> int:
    return sum(r.mrr for r in stats.recurring_revenue(publication) if r.currency == "KRW")


def test_a_stripe_coupon_for_three_months_ends_and_the_full_price_returns(
    client, with_stripe, stripe_fake, gold, make_reader
):
    actions.save_coupon(gold.publication, code="SPRING", kind="percent", value=30, months=3)
    reader = make_reader("spring@example.org")
    order = actions.open_checkout(reader, gold, "month", accepted_terms=True, coupon_code="SPRING")
    start = get_provider("stripe", with_stripe).start_checkout(
        order, success_url="http://x/ok", cancel_url="http://x/no"
    )
    session = stripe_fake.pay(start.redirect_url.rsplit("/", 1)[1])
    sub_id = session["subscription"]
    coupon = stripe_fake.coupons[
        stripe_fake.subscriptions[sub_id]["discounts"][0]["source"]["coupon"]
    ]
    assert coupon["duration"] == "repeating" and coupon["duration_in_months"] == "3"
    assert deliver(client, "checkout.session.completed", session).status_code == 200

    member = Member.objects.get(subscriber=reader)
    assert (member.amount, member.next_amount()) == (9000, 6300)
    assert queries.next_charge(member)[1] == 6300 and _mrr(gold.publication) == 6300
    # Two more discounted months: Stripe, not Hanji, counts them (nothing changes here).
    invoice = {"id": "in_2", "object": "invoice", "subscription": sub_id, "amount_paid": 6300}
    assert deliver(client, "invoice.payment_succeeded", invoice).status_code == 200
    member.refresh_from_db()
    assert member.next_amount() == 6300

    updated = stripe_fake.end_discounts(sub_id)  # the three months are over
    assert deliver(client, "customer.subscription.updated", updated).status_code == 200

    member.refresh_from_db()
    assert (member.amount, member.discounted_amount, member.next_amount()) == (9000, None, 9000)
    assert queries.next_charge(member)[1] == 9000 and _mrr(gold.publication) == 9000
    # An older event delivered late re-reads the subscription: still the full price.
    stale = {**updated, "discounts": ["di_old"], "previous_attributes": {}}
    deliver(client, "customer.subscription.updated", stale)
    member.refresh_from_db()
    assert member.next_amount() == 9000


def test_a_stripe_coupon_forever_stays(client, with_stripe, stripe_fake, gold, make_reader):
    actions.save_coupon(gold.publication, code="ALWAYS", kind="amount", value=1000, currency="KRW")
    reader = make_reader("always@example.org")
    order = actions.open_checkout(reader, gold, "month", accepted_terms=True, coupon_code="ALWAYS")
    start = get_provider("stripe", with_stripe).start_checkout(
        order, success_url="http://x/ok", cancel_url="http://x/no"
    )
    session = stripe_fake.pay(start.redirect_url.rsplit("/", 1)[1])
    deliver(client, "checkout.session.completed", session)
    sub = stripe_fake.subscriptions[session["subscription"]]
    deliver(client, "customer.subscription.updated", {**sub, "discounts": []})
    assert Member.objects.get(subscriber=reader).next_amount() == 8000


def test_a_portone_yearly_member_with_a_coupon_pays_full_price_at_the_first_renewal(
    with_portone, portone_fake, gold, make_reader
):
    actions.save_coupon(gold.publication, code="YEAR1", kind="percent", value=20, months=12)
    reader = make_reader("yearly@example.org")
    order = actions.open_checkout(reader, gold, "year", accepted_terms=True, coupon_code="YEAR1")
    member = get_provider("portone", with_portone).complete_checkout(order, "bk-yearly")
    assert portone_fake.payments[order.order_id]["amount"]["total"] == 72000
    assert member.next_amount() == 90000 and queries.next_charge(member)[1] == 90000

    Member.objects.filter(pk=member.pk).update(
        current_period_end=timezone.now() - timedelta(hours=1)
    )
    run_due_renewals()

    renewal = [k for k in portone_fake.payments if k.startswith("renew-")]
    assert len(renewal) == 1 and portone_fake.payments[renewal[0]]["amount"]["total"] == 90000
    member.refresh_from_db()
    assert member.discounted_amount is None and member.next_amount() == 90000

"""Coupons: percent or amount off, for some months or forever, a redemption limit and an
expiry; past their limit or expiry they are refused with a clear message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from hanji.memberships import actions
from hanji.memberships.models import Checkout, Coupon, Member
from hanji.memberships.providers import get_provider
from hanji.memberships.renewals import run_due_renewals


@pytest.fixture
def buyer(make_reader):
    return make_reader("buyer@example.org")


def test_a_percent_coupon_for_two_months_discounts_two_charges(
    with_portone, portone_fake, gold, buyer
):
    coupon = actions.save_coupon(
        gold.publication, code="WELCOME", kind="percent", value=50, months=2
    )
    order = actions.open_checkout(buyer, gold, "month", accepted_terms=True, coupon_code="welcome")
    assert order.charge_amount == 4500 and order.amount == 9000
    member = get_provider("portone", with_portone).complete_checkout(order, "bk")
    assert portone_fake.payments[order.order_id]["amount"]["total"] == 4500
    assert member.next_amount() == 4500  # the second month
    for hours, expected in ((48, 4500), (24, 9000)):
        ended = timezone.now() - timedelta(hours=hours)
        Member.objects.filter(pk=member.pk).update(current_period_end=ended)
        run_due_renewals()
        renewal = [k for k in portone_fake.payments if k.startswith("renew-")][-1]
        assert portone_fake.payments[renewal]["amount"]["total"] == expected
    coupon.refresh_from_db()
    assert coupon.redeemed == 1


def test_a_coupon_past_its_limit_is_refused_with_a_clear_message(with_portone, gold, buyer):
    actions.save_coupon(
        gold.publication, code="ONCE", kind="amount", value=1000, currency="KRW", max_redemptions=1
    )
    Coupon.objects.filter(code="ONCE").update(redeemed=1)
    with pytest.raises(ValidationError, match="used as many times"):
        actions.open_checkout(buyer, gold, "month", accepted_terms=True, coupon_code="ONCE")


def test_an_expired_coupon_is_refused(with_portone, gold, buyer):
    actions.save_coupon(
        gold.publication,
        code="OLD",
        kind="percent",
        value=10,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    with pytest.raises(ValidationError, match="expired"):
        actions.open_checkout(buyer, gold, "month", accepted_terms=True, coupon_code="OLD")


def test_an_unknown_or_foreign_currency_coupon_is_refused(with_portone, gold, buyer):
    actions.save_coupon(gold.publication, code="USD5", kind="amount", value=500, currency="USD")
    with pytest.raises(ValidationError, match="another currency"):
        actions.open_checkout(buyer, gold, "month", accepted_terms=True, coupon_code="USD5")
    with pytest.raises(ValidationError, match="no coupon"):
        actions.open_checkout(buyer, gold, "month", accepted_terms=True, coupon_code="NOPE")


def test_bad_coupons_cannot_be_made(publication):
    with pytest.raises(ValidationError):
        actions.save_coupon(publication, code="X", kind="percent", value=150)
    with pytest.raises(ValidationError):
        actions.save_coupon(publication, code="Y", kind="amount", value=100)  # no currency


def test_the_checkout_page_says_why_a_coupon_was_refused(with_stripe, gold, buyer, sign_in):
    client = sign_in(Client(), buyer)
    response = client.post(
        "/membership/checkout/",
        {"tier": gold.pk, "period": "month", "accept_terms": "1", "coupon": "NOPE"},
        follow=True,
    )
    assert "쿠폰" in response.content.decode() and not Checkout.objects.exists()


def test_stripe_checkout_carries_the_coupon(with_stripe, stripe_fake, gold, buyer):
    actions.save_coupon(gold.publication, code="HALF", kind="percent", value=50)
    order = actions.open_checkout(buyer, gold, "year", accepted_terms=True, coupon_code="HALF")
    start = get_provider("stripe", with_stripe).start_checkout(
        order, success_url="http://x/", cancel_url="http://x/"
    )
    session = stripe_fake.sessions[start.redirect_url.rsplit("/", 1)[1]]
    coupon_id = session["params"]["discounts"][0]["coupon"]
    assert stripe_fake.coupons[coupon_id]["percent_off"] == "50"
    assert stripe_fake.coupons[coupon_id]["duration"] == "forever"

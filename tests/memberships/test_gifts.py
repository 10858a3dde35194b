"""Gift memberships: the buyer pays once, the recipient redeems through the emailed link,
once; a second redemption is refused with its reason; a wrong amount grants nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from hanji.memberships import gifts
from hanji.memberships.models import Gift, Member, MemberStatus


@pytest.fixture
def buyer_client(make_reader, sign_in):
    buyer = make_reader("buyer@example.org")
    return buyer, sign_in(Client(), buyer)


def _link(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(r"https?://\S+/membership/gift/redeem/\S+/", text).group(0)


def test_a_portone_gift_is_paid_emailed_and_redeemed_once(
    with_portone, portone_fake, gold, buyer_client, smtp, django_capture_on_commit_callbacks
):
    _buyer, client = buyer_client
    page = client.post(
        "/membership/gift/",
        {"tier": gold.pk, "months": 3, "recipient": "Friend@Example.org", "message": "생일 축하해"},
    )
    assert page.status_code == 200 and "requestPayment" in page.content.decode()
    gift = Gift.objects.get()
    assert gift.amount == 27000 and gift.recipient_email == "friend@example.org"
    portone_fake.record_paid(gift.order_id, 27000, "KRW")  # paid in PortOne's window
    with django_capture_on_commit_callbacks(execute=True):
        done = client.get(f"/membership/gift/{gift.order_id}/done/")
    assert done.status_code == 200
    link = _link(smtp.wait_for("friend@example.org"))
    path = link.split("://", 1)[1].split("/", 1)[1]
    recipient = Client()
    assert recipient.get(f"/{path}").status_code == 200  # a button, not a redemption
    assert not Member.objects.exists()
    assert recipient.post(f"/{path}").status_code == 302
    member = Member.objects.get(subscriber__email="friend@example.org")
    assert member.status == MemberStatus.GIFT and member.has_access()
    assert (member.current_period_end - member.started_at).days in range(89, 93)
    again = Client().post(f"/{path}")
    assert again.status_code == 409 and "이미 사용한 선물" in again.content.decode()
    assert Member.objects.count() == 1


def test_a_gift_paid_with_another_amount_is_not_sent(
    with_portone, portone_fake, gold, buyer_client, smtp
):
    _buyer, client = buyer_client
    client.post("/membership/gift/", {"tier": gold.pk, "months": 1, "recipient": "f@example.org"})
    gift = Gift.objects.get()
    portone_fake.record_paid(gift.order_id, 100, "KRW")
    client.get(f"/membership/gift/{gift.order_id}/done/")
    gift.refresh_from_db()
    assert gift.status == "open" and smtp.to("f@example.org") == []


def test_a_stripe_gift_is_a_one_time_payment(with_stripe, stripe_fake, gold, buyer_client):
    _buyer, client = buyer_client
    response = client.post(
        "/membership/gift/", {"tier": gold.pk, "months": 12, "recipient": "f@example.org"}
    )
    assert response.status_code == 302 and response["Location"].startswith(stripe_fake.url)
    gift = Gift.objects.get()
    assert gift.amount == 90000  # twelve months cost the yearly price
    assert stripe_fake.sessions[gift.provider_reference]["mode"] == "payment"
    stripe_fake.pay(gift.provider_reference)
    client.get(f"/membership/gift/{gift.order_id}/done/")
    gift.refresh_from_db()
    assert gift.status == "paid"


def test_an_unpaid_or_forged_gift_link_grants_nothing(with_portone, gold, buyer_client):
    buyer, _client = buyer_client
    gift = gifts.open_gift(buyer, gold, 1, "f@example.org")
    token = gifts.redeem_token(gift)
    assert (
        "아직 결제되지 않은" in Client().post(f"/membership/gift/redeem/{token}/").content.decode()
    )
    assert Client().post(f"/membership/gift/redeem/{token}x/").status_code == 400
    assert not Member.objects.exists()


def test_bad_gift_orders_are_refused(with_portone, gold, buyer_client):
    buyer, _client = buyer_client
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        gifts.open_gift(buyer, gold, 5, "f@example.org")
    with pytest.raises(ValidationError):
        gifts.open_gift(buyer, gold, 1, "not an email")

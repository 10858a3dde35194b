"""Checkout and the account page through the HTTP interface, for both providers."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from hanji.memberships import actions
from hanji.memberships.models import Checkout, Member, MembershipSettings, MemberStatus
from hanji.posts.models import Visibility

PAID_BODY = "무료 도입부\n\n{paywall}\n\n유료 본문 PAID-PART"


@pytest.fixture
def reader_client(make_reader, sign_in):
    reader = make_reader("buyer@example.org")
    return reader, sign_in(Client(), reader)


def test_the_plans_page_shows_prices_renewal_dates_and_the_terms(with_stripe, gold, reader_client):
    _reader, client = reader_client
    html = client.get("/membership/").content.decode()
    assert "₩9,000" in html and "₩90,000" in html and "커뮤니티 채팅방" in html
    assert "/recurring-terms/" in html and 'name="accept_terms"' in html


def test_terms_not_accepted_means_no_order(with_stripe, gold, reader_client):
    _reader, client = reader_client
    response = client.post(
        "/membership/checkout/", {"tier": gold.pk, "period": "month"}, follow=True
    )
    assert "recurring-payment terms" in response.content.decode()
    assert not Checkout.objects.exists()


def test_stripe_checkout_lands_back_on_the_post_with_access(
    with_stripe, stripe_fake, gold, reader_client, make_post
):
    reader, client = reader_client
    post = make_post(title="유료 글", body=PAID_BODY, visibility=Visibility.PAID)
    assert "PAID-PART" not in client.get(f"/posts/{post.slug}/").content.decode()
    response = client.post(
        "/membership/checkout/",
        {
            "tier": gold.pk,
            "period": "year",
            "accept_terms": "1",
            "next": f"/posts/{post.slug}/",
            "post": post.pk,
        },
    )
    assert response.status_code == 302 and response["Location"].startswith(stripe_fake.url)
    order = Checkout.objects.get()
    assert order.amount == 90000 and order.terms_version == "2026-12" and order.terms_accepted_at
    stripe_fake.pay(order.provider_reference)
    back = client.get(f"/membership/checkout/{order.order_id}/done/")
    assert back.status_code == 302 and unquote(back["Location"]) == f"/posts/{post.slug}/"
    assert "PAID-PART" in client.get(back["Location"]).content.decode()
    member = Member.objects.get(subscriber=reader)
    assert member.status == MemberStatus.ACTIVE and member.period == "year"
    assert member.source_post_id == post.pk


def test_portone_checkout_charges_on_the_server_and_grants(
    with_portone, portone_fake, gold, reader_client
):
    reader, client = reader_client
    page = client.post(
        "/membership/checkout/", {"tier": gold.pk, "period": "month", "accept_terms": "1"}
    )
    html = page.content.decode()
    assert page.status_code == 200 and '"storeId": "store-test"' in html
    assert "requestIssueBillingKey" in html
    order = Checkout.objects.get()
    done = client.post(f"/membership/checkout/{order.order_id}/portone/", {"billing_key": "bk-1"})
    assert done.json() == {"ok": True, "next": "/account/membership/"}
    assert Member.objects.get(subscriber=reader).status == MemberStatus.ACTIVE


def test_a_failed_first_charge_grants_nothing_and_says_so(
    with_portone, portone_fake, gold, reader_client
):
    _reader, client = reader_client
    portone_fake.failing_keys.add("bk-bad")
    client.post("/membership/checkout/", {"tier": gold.pk, "period": "month", "accept_terms": "1"})
    order = Checkout.objects.get()
    done = client.post(f"/membership/checkout/{order.order_id}/portone/", {"billing_key": "bk-bad"})
    assert done.status_code == 402 and "No money was taken" in done.json()["message"]
    assert not Member.objects.exists()


def test_another_reader_cannot_complete_my_order(
    with_portone, gold, reader_client, make_reader, sign_in
):
    _reader, client = reader_client
    client.post("/membership/checkout/", {"tier": gold.pk, "period": "month", "accept_terms": "1"})
    order = Checkout.objects.get()
    other = sign_in(Client(), make_reader("other@example.org"))
    assert (
        other.post(
            f"/membership/checkout/{order.order_id}/portone/", {"billing_key": "x"}
        ).status_code
        == 404
    )


def test_the_account_page_cancels_resumes_and_switches(
    with_stripe, stripe_fake, gold, reader_client
):
    reader, client = reader_client
    client.post("/membership/checkout/", {"tier": gold.pk, "period": "month", "accept_terms": "1"})
    order = Checkout.objects.get()
    stripe_fake.pay(order.provider_reference)
    client.get(f"/membership/checkout/{order.order_id}/done/")
    html = client.get("/account/membership/").content.decode()
    assert "골드" in html and "₩9,000" in html and "Next charge" in html
    client.post("/account/membership/", {"do": "cancel"})
    member = Member.objects.get(subscriber=reader)
    assert member.status == MemberStatus.CANCELLING and member.has_access()
    assert stripe_fake.subscriptions[member.provider_subscription]["cancel_at_period_end"] is True
    client.post("/account/membership/", {"do": "resume"})
    assert Member.objects.get(subscriber=reader).status == MemberStatus.ACTIVE
    client.post("/account/membership/", {"do": "switch", "period": "year"})
    member = Member.objects.get(subscriber=reader)
    assert member.period == "year" and member.amount == 90000
    portal = client.post("/account/membership/", {"do": "card"})
    assert portal.status_code == 302 and "/portal/" in portal["Location"]


def test_a_trial_is_given_once_per_email(with_stripe, stripe_fake, publication, reader_client):
    reader, _client = reader_client
    tier = actions.save_tier(
        publication, name="체험", slug="trial", monthly_price=3000, trial_days=14
    )
    first = actions.open_checkout(reader, tier, "month", accepted_terms=True)
    assert first.trial_days == 14
    from hanji.memberships.models import TrialUse

    TrialUse.objects.create(publication=publication, email=reader.email)
    assert actions.open_checkout(reader, tier, "month", accepted_terms=True).trial_days == 0


def test_a_new_price_leaves_members_on_their_old_one(with_portone, gold, make_member):
    member = make_member("old@example.org", gold)
    actions.save_tier(
        gold.publication,
        tier=gold,
        name=gold.name,
        slug=gold.slug,
        monthly_price=12000,
        yearly_price=120000,
    )
    member.refresh_from_db()
    assert member.amount == 9000 and gold.monthly_price == 12000


def test_paid_tiers_stay_off_until_the_business_information_is_complete(publication):
    MembershipSettings.objects.create(
        publication=publication,
        provider="stripe",
        stripe_secret_key="sk",
        stripe_webhook_secret="wh",
    )
    with pytest.raises(ValidationError) as refused:
        actions.turn_on_paid(publication)
    text = " ".join(refused.value.messages)
    for field in (
        "company name",
        "mail-order business report number",
        "hosting provider",
        "office that issued",
        "recurring-payment terms",
        "privacy policy",
    ):
        assert field in text


def test_every_page_footer_carries_the_business_information(client, with_stripe, publication):
    html = client.get("/").content.decode()
    for text in (
        "주식회사 한지",
        "김한지",
        "123-45-67890",
        "제2026-서울중구-0001호",
        "서울특별시 중구청",
        "한지 클라우드",
        "ftc.go.kr/bizCommPop.do?wrkr_no=1234567890",
        "02-123-4567",
        "help@weekly.example.com",
        "/recurring-terms/",
    ):
        assert text in html, text


def test_checkout_needs_a_signed_in_reader(client, with_stripe, gold):
    response = client.post(
        "/membership/checkout/", {"tier": gold.pk, "period": "month", "accept_terms": "1"}
    )
    assert response.status_code == 302 and not Checkout.objects.exists()

"""A PortOne member changes their card from the account page: PortOne's window issues a new
billing key (requestIssueBillingKey), the server asks PortOne about it (GET /billing-keys/{key}:
issued, this store, this member) before it replaces the old one, and the old one is deleted at
PortOne (DELETE /billing-keys/{key}). A key that is unknown, another customer's or deleted
changes nothing. In Chromium too."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from hanji.memberships.models import Member

CARD = "/account/membership/card/"


@pytest.fixture
def portone_member(with_portone, portone_fake, gold, make_member):
    member = make_member("card@example.org", gold)
    customer = f"hanji-{member.subscriber_id}"
    old = portone_fake.issue_billing_key(customer, "checkout-1")
    Member.objects.filter(pk=member.pk).update(
        provider="portone", provider_customer=customer, billing_key=old
    )
    member.refresh_from_db()
    return member


def _deletes(fake) -> list[str]:
    return [path for method, path in fake.requests if method == "DELETE"]


def test_a_new_card_replaces_the_old_one_which_portone_then_forgets(
    client, sign_in, portone_member, portone_fake
):
    old = portone_member.billing_key
    sign_in(client, portone_member.subscriber)
    account = client.get(reverse("memberships:account"))
    assert CARD in account.content.decode()
    page = client.get(CARD)
    assert page.status_code == 200
    assert f'"customerId": "hanji-{portone_member.subscriber_id}"' in page.content.decode()
    new = portone_fake.issue_billing_key(f"hanji-{portone_member.subscriber_id}", "card-1")

    answer = client.post(CARD, {"billing_key": new})

    assert answer.status_code == 200 and answer.json()["ok"], answer.content
    portone_member.refresh_from_db()
    assert portone_member.billing_key == new
    assert ("GET", f"/billing-keys/{new}") in portone_fake.requests
    assert _deletes(portone_fake) == [f"/billing-keys/{old}"]
    assert portone_fake.billing_keys[old]["status"] == "DELETED"
    assert portone_fake.billing_keys[new]["status"] == "ISSUED"
    # The same key sent again (a double click) changes nothing and deletes nothing more.
    assert client.post(CARD, {"billing_key": new}).json()["ok"]
    assert len(_deletes(portone_fake)) == 1


@pytest.mark.parametrize("which", ["unknown", "other customer", "deleted", "empty", "other store"])
def test_a_key_portone_does_not_vouch_for_changes_nothing(
    client, sign_in, portone_member, portone_fake, which
):
    old = portone_member.billing_key
    key = {
        "unknown": "billing-key-made-up",
        "other customer": portone_fake.issue_billing_key("hanji-999999"),
        "deleted": portone_fake.issue_billing_key(f"hanji-{portone_member.subscriber_id}"),
        "empty": "",
        "other store": portone_fake.issue_billing_key(
            f"hanji-{portone_member.subscriber_id}", store_id="store-else"
        ),
    }[which]
    if which == "deleted":
        portone_fake.billing_keys[key]["status"] = "DELETED"
        portone_fake.billing_keys[key]["deletedAt"] = "2026-01-01T00:00:00Z"
    sign_in(client, portone_member.subscriber)

    answer = client.post(CARD, {"billing_key": key})

    with translation.override("ko"):  # the publication's language, which its pages speak
        unchanged = gettext("The new card was not registered. Your card is unchanged.")
    assert answer.status_code == 400 and answer.json()["message"] == unchanged
    portone_member.refresh_from_db()
    assert portone_member.billing_key == old
    assert not _deletes(portone_fake)
    assert portone_fake.billing_keys[old]["status"] == "ISSUED"


def test_only_a_signed_in_portone_member_has_the_card_page(
    client, sign_in, with_stripe, gold, make_member, make_reader
):
    assert client.get(CARD).status_code == 404  # nobody signed in
    sign_in(client, make_member("stripe-card@example.org", gold).subscriber)
    assert client.get(CARD).status_code == 404  # Stripe's portal changes their card
    sign_in(client, make_reader("free-card@example.org"))
    assert client.post(CARD, {"billing_key": "x"}).status_code == 404


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_card_change_in_chromium(
    browser, live_server, settings, portone_member, portone_fake, artifacts
):
    from hanji.subscribers.actions import sign_in_token

    settings.HANJI_PORTONE_BROWSER_SDK = f"{portone_fake.url}/browser-sdk.js"
    old = portone_member.billing_key

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(portone_member.subscriber)}/")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/account/membership/")
    page.click(f"a[href='{CARD}']")
    # Looked at: the card page in both languages at phone and desktop width
    # (test-artifacts/browser/); the site speaks the publication's language (Korean) first.
    for language in ("en", "ko"):
        page.click(f".language-switch a[lang='{language}']")
        page.wait_for_selector("#portone-start")
        page.set_viewport_size({"width": 390, "height": 844})
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        page.screenshot(path=str(artifacts / f"membership-card-{language}-390.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(
            path=str(artifacts / f"membership-card-{language}-1280.png"), full_page=True
        )
    page.click("#portone-start")
    page.wait_for_url("**/account/membership/")
    context.close()
    portone_member.refresh_from_db()
    assert portone_member.billing_key not in ("", old)
    assert portone_fake.billing_keys[portone_member.billing_key]["issueId"].startswith("card-")
    assert portone_fake.billing_keys[old]["status"] == "DELETED"

"""A gift bought in Chromium, end to end, with each provider: the buyer pays on the public
gift page (PortOne's payment window and Stripe's hosted page are the local fakes), the
recipient gets the email with the redeem link (the real SMTP sink), opens it, redeems, and is
a member who reads a paid post."""

from __future__ import annotations

import re

import pytest

from hanji.memberships.models import Gift, GiftStatus, Member, MemberStatus
from hanji.posts.models import Visibility
from hanji.subscribers.actions import sign_in_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
RECIPIENT = "friend@example.org"


def _redeem_path(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/membership/gift/redeem/\S+/", text).group(0)
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


@pytest.mark.parametrize("provider", ["portone", "stripe"])
def test_a_gift_bought_in_the_browser_is_emailed_redeemed_and_read(
    request, browser, live_server, settings, gold, make_reader, make_post, smtp, artifacts, provider
):
    request.getfixturevalue(f"with_{provider}")
    fake = request.getfixturevalue(f"{provider}_fake")
    settings.HANJI_PORTONE_BROWSER_SDK = f"{fake.url}/browser-sdk.js"
    buyer = make_reader("giver@example.org")
    post = make_post(
        title="유료 레터",
        body="도입부\n\n{paywall}\n\n유료 본문 PAID-PART",
        visibility=Visibility.PAID,
    )

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(buyer)}/")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/membership/gift/")
    form = page.locator("form.gift")
    form.locator("select[name=tier]").select_option(str(gold.pk))
    form.locator("select[name=months]").select_option("3")
    form.locator("input[name=recipient]").fill(RECIPIENT)
    form.locator("input[name=message]").fill("생일 축하해")
    form.locator("button[type=submit]").click()
    if provider == "portone":
        page.wait_for_selector("#portone-start")
        page.click("#portone-start")
    else:
        page.wait_for_selector("#stripe-pay")  # Stripe's hosted page (the fake's)
        page.click("#stripe-pay")
    page.wait_for_url("**/membership/gift/*/done/")
    page.screenshot(path=str(artifacts / f"gift-done-{provider}-ko-390.png"), full_page=True)
    context.close()

    gift = Gift.objects.get()
    assert gift.status == GiftStatus.PAID and gift.amount == 27000
    mail = smtp.wait_for(RECIPIENT, timeout=15)
    assert "생일 축하해" in mail.get_body(preferencelist=("plain",)).get_content()

    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(live_server.url + _redeem_path(mail))
    assert not Member.objects.exists()  # opening the link (a mail scanner) redeems nothing
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/account/membership/")
    assert "골드" in page.inner_text("main")
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    assert "PAID-PART" in page.inner_text("main")
    context.close()

    member = Member.objects.get(subscriber__email=RECIPIENT)
    assert member.status == MemberStatus.GIFT and member.has_access()
    gift.refresh_from_db()
    assert gift.status == GiftStatus.REDEEMED

"""The whole checkout loop in Chromium, for each provider: a reader meets the paywall on a
post, signs in, chooses a tier and period, accepts the recurring-payment terms, pays (the
provider's own step stubbed: Stripe's hosted page and PortOne's browser SDK are the local
fakes) and lands back on the post, reading it. Screenshots in test-artifacts/browser/."""

from __future__ import annotations

import pytest

from hanji.posts.models import Visibility
from hanji.subscribers.actions import sign_in_token
from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
BODY = "누구나 읽는 도입부입니다.\n\n{paywall}\n\n{members}\n채팅방 비밀번호: 한지1234\n{/members}\n\n유료 본문 PAID-PART"
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True}


@pytest.fixture
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def _loop(browser, live_server, reader, post, pay, artifacts, name: str) -> None:
    context = browser.new_context(**DESKTOP, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    assert "PAID-PART" not in page.content()
    page.click("#upgrade a.button")
    page.wait_for_url("**/membership/**")
    # The reader asks for a sign-in link; the link from the email is opened here.
    page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(reader)}/")
    page.click("main button[type=submit]")
    page.wait_for_url("**/membership/**")
    page.screenshot(path=str(artifacts / f"membership-plans-{name}-ko-1280.png"), full_page=True)
    tier = page.locator("form.tier").first
    tier.locator("input[value=year]").check()
    tier.locator("input[name=accept_terms]").check()
    tier.locator("button[type=submit]").click()
    pay(page)
    page.wait_for_url("**/posts/**")
    assert "PAID-PART" in page.content() and "한지1234" in page.content()
    page.goto(f"{live_server.url}/account/membership/")
    assert "골드" in page.content()
    page.screenshot(path=str(artifacts / f"membership-account-{name}-ko-1280.png"), full_page=True)
    context.close()


def test_the_stripe_checkout_loop(
    browser, live_server, with_stripe, gold, make_reader, make_post, artifacts
):
    reader = make_reader("stripe-buyer@example.org")
    post = make_post(title="유료 레터", body=BODY, visibility=Visibility.PAID)

    def pay(page):
        page.wait_for_selector("#stripe-pay")  # Stripe's hosted page (the fake's)
        page.click("#stripe-pay")

    _loop(browser, live_server, reader, post, pay, artifacts, "stripe")


def test_the_portone_checkout_loop(
    browser,
    live_server,
    settings,
    with_portone,
    portone_fake,
    gold,
    make_reader,
    make_post,
    artifacts,
):
    settings.HANJI_PORTONE_BROWSER_SDK = f"{portone_fake.url}/browser-sdk.js"
    reader = make_reader("portone-buyer@example.org")
    post = make_post(title="유료 레터", body=BODY, visibility=Visibility.PAID)

    def pay(page):
        page.wait_for_selector("#portone-start")
        page.screenshot(path=str(artifacts / "membership-portone-ko-1280.png"), full_page=True)
        page.click("#portone-start")

    _loop(browser, live_server, reader, post, pay, artifacts, "portone")
    assert any(k.startswith("hanji-") for k in portone_fake.charged)


@pytest.mark.parametrize("language", ["ko", "en"])
@pytest.mark.parametrize("width", [1280, 390])
def test_the_plans_page_at_each_width(
    browser, live_server, with_stripe, gold, silver, make_reader, artifacts, language, width
):
    reader = make_reader(f"look-{language}-{width}@example.org")
    options = DESKTOP if width == 1280 else PHONE
    context = browser.new_context(**options, locale="ko-KR" if language == "ko" else "en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(reader)}/")
    page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/membership/")
    page.screenshot(
        path=str(artifacts / f"membership-plans-{language}-{width}.png"), full_page=True
    )
    assert page.locator("form.tier").count() == 2
    context.close()

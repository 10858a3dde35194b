"""The studio account page in Chromium (issue 12, trap 5): a QR code a phone can scan, turning
on two-factor sign-in and keeping its recovery codes, signing in with one when the phone is
lost, and changing the password (other browsers signed out)."""

from __future__ import annotations

import io

import pyotp
import pytest
from PIL import Image

from hanji.studio.models import TwoFactorDevice
from tests.browser.conftest import PASSWORD, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def decode_qr(png: bytes) -> list[str]:
    import zxingcpp

    image = Image.open(io.BytesIO(png)).convert("L")
    return [found.text for found in zxingcpp.read_barcodes(image)]


def start_two_factor(page, live_server) -> None:
    page.goto(f"{live_server.url}/studio/account/")
    with page.expect_navigation():
        page.get_by_role("button", name="Set up two-factor sign-in").click()


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_the_qr_code_as_shown_decodes_to_the_authenticator_link(
    studio_page, live_server, owner, width, artifacts
):
    page = studio_page("owner@example.com", **(PHONE if width == "phone" else {}))
    start_two_factor(page, live_server)
    qr = page.locator(".qr svg")
    assert qr.get_attribute("viewBox"), "no viewBox: the page's CSS would crop the code"
    png = page.locator(".qr").screenshot(path=str(artifacts / f"account-qr-{width}.png"))
    device = TwoFactorDevice.objects.get(user=owner)
    expected = pyotp.TOTP(device.secret).provisioning_uri(name="owner", issuer_name="Hanji")
    assert decode_qr(png) == [expected]


def test_two_factor_with_recovery_codes_then_a_lost_phone(
    studio_page, browser, live_server, owner, artifacts
):
    page = studio_page("owner@example.com")
    start_two_factor(page, live_server)
    secret = page.locator(".qr + p code").inner_text().strip()
    page.fill("#on_code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on").click()
    codes = [c.strip() for c in page.locator(".code-list code").all_inner_texts()]
    assert len(codes) == 10, page.inner_text("main")
    page.screenshot(path=str(artifacts / "account-recovery-codes.png"), full_page=True)
    page.reload()  # the codes are shown once
    assert page.locator(".code-list").count() == 0
    assert "10 unused recovery codes left" in page.inner_text("main")

    # Another browser, the phone lost: the password, then a recovery code.
    context = browser.new_context(locale="en-US")
    other = context.new_page()
    other.goto(f"{live_server.url}/studio/login/")
    other.fill("#id_username", "owner@example.com")
    other.fill("#id_password", PASSWORD)
    with other.expect_navigation():
        other.click("main button[type=submit]")
    other.get_by_text("Lost your phone? Use a recovery code").click()
    other.fill("#id_recovery_code", codes[0])
    with other.expect_navigation():
        other.get_by_role("button", name="Sign in with a recovery code").click()
    assert "/login" not in other.url, other.inner_text("main")
    assert "9 are left" in other.inner_text("body")
    context.close()


def test_changing_the_password_on_the_account_page(studio_page, live_server, owner, artifacts):
    page = studio_page("owner@example.com")
    elsewhere = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/account/")
    page.fill("#id_old_password", "not my password")
    page.fill("#id_new_password1", "a new long passphrase 7")
    page.fill("#id_new_password2", "a new long passphrase 7")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    assert page.locator("#password-section [role=alert]").is_visible()
    page.screenshot(path=str(artifacts / "account-password-error.png"), full_page=True)
    page.fill("#id_old_password", PASSWORD)
    page.fill("#id_new_password1", "a new long passphrase 7")
    page.fill("#id_new_password2", "a new long passphrase 7")
    with page.expect_navigation():
        page.get_by_role("button", name="Change password").click()
    assert "Your password is changed" in page.inner_text("body")
    elsewhere.goto(f"{live_server.url}/studio/")
    assert "/studio/login/" in elsewhere.url
    owner.refresh_from_db()
    assert owner.check_password("a new long passphrase 7")


@pytest.mark.parametrize("language", ["ko-KR", "en-US"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_it_saves_screenshots_of_the_account_and_code_screens(
    studio_page, browser, live_server, owner, artifacts, language, width
):
    """The account page with its recovery codes and password form, and the code step with
    the recovery code opened (test-artifacts/browser/account-*.png)."""
    page = studio_page("owner@example.com", locale=language, **(PHONE if width == "phone" else {}))
    tag = f"{language[:2]}-{width}"
    page.goto(f"{live_server.url}/studio/account/")
    with page.expect_navigation():
        page.locator("form:has(input[value='2fa-start']) button").click()
    secret = page.locator(".qr + p code").inner_text().strip()
    page.screenshot(path=str(artifacts / f"account-setup-{tag}.png"), full_page=True)
    page.fill("#on_code", pyotp.TOTP(secret).now())
    with page.expect_navigation():
        page.locator("form:has(#on_code) button").click()
    page.screenshot(path=str(artifacts / f"account-codes-{tag}.png"), full_page=True)
    context = browser.new_context(locale=language, **(PHONE if width == "phone" else {}))
    other = context.new_page()
    other.goto(f"{live_server.url}/studio/login/")
    other.fill("#id_username", "owner@example.com")
    other.fill("#id_password", PASSWORD)
    with other.expect_navigation():
        other.click("main button[type=submit]")
    other.locator("details.recovery-sign-in summary").click()
    other.screenshot(path=str(artifacts / f"account-code-step-{tag}.png"), full_page=True)
    # A wrong code: the message under its field, the field marked, the code field kept.
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    other.fill("#id_code", wrong)
    with other.expect_navigation():
        other.locator("form:has(#id_code) button").click()
    assert other.locator("#id_code[aria-invalid=true]").count() == 1
    assert other.locator("#id_code_error").inner_text().strip()
    other.screenshot(path=str(artifacts / f"account-code-error-{tag}.png"), full_page=True)
    context.close()

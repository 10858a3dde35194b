"""Two-factor recovery codes and the password change on the account page (issue 12, trap 5).

Recovery codes: ten, single-use, shown once, kept hashed, good at the second-factor step in
place of a code from the app, under the same limits on wrong codes; new ones from the account
page. The password change: the current password, Django's validators, every other browser
signed out, a notice by email through a real SMTP server.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from hanji.studio import accounts, recovery
from hanji.studio.models import RecoveryCode, StaffSession, TwoFactorDevice
from tests.subscribers.smtp import body_text, smtp_server

pytestmark = pytest.mark.django_db
PASSWORD = "pw-very-secret-1"
CODE = re.compile(r"<code>([a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4})</code>")


def browser(address: str = "198.51.100.7") -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)


def sign_in(client: Client, password: str = PASSWORD):
    return client.post("/studio/login/", {"username": "owner@example.com", "password": password})


def signed_in(client: Client) -> bool:
    return client.get("/studio/").status_code == 200


def totp(user, steps_ahead: int = 0) -> str:
    device = TwoFactorDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(int(time.time()) + 30 * steps_ahead)


def turn_on_two_factor(client: Client, user) -> list[str]:
    """As a person does it on the account page; the codes the page shows once."""
    client.post("/studio/account/", {"action": "2fa-start"})
    page = client.post("/studio/account/", {"action": "2fa-confirm", "code": totp(user)})
    assert page.status_code == 200, page.status_code
    return CODE.findall(page.content.decode())


@pytest.fixture
def mail(settings):
    with smtp_server() as (inbox, port):
        backend = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
        settings.MAILERS = {"default": backend, "transactional": backend}
        yield inbox


# --- recovery codes -----------------------------------------------------------------------------


def test_turning_on_two_factor_shows_ten_codes_once_and_keeps_only_hashes(owner):
    client = browser()
    sign_in(client)
    codes = turn_on_two_factor(client, owner)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(RecoveryCode.objects.filter(user=owner).values_list("digest", flat=True))
    assert len(stored) == 10
    for code in codes:
        assert all(code not in digest and code.replace("-", "") not in digest for digest in stored)
    again = client.get("/studio/account/").content.decode()
    assert CODE.findall(again) == [] and "10 unused recovery codes left" in again
    assert "no-store" in client.get("/studio/account/")["Cache-Control"]


def test_a_recovery_code_signs_in_in_place_of_the_app_once(owner, mail):
    setup = browser()
    sign_in(setup)
    codes = turn_on_two_factor(setup, owner)
    lost_phone = browser("203.0.113.20")
    assert sign_in(lost_phone)["Location"] == "/studio/login/code/"
    typed = codes[3].upper().replace("-", " ")  # as read from paper: any case, spaces
    response = lost_phone.post("/studio/login/code/", {"code": typed}, follow=True)
    assert signed_in(lost_phone)
    assert "9 are left" in response.content.decode()
    notice = mail.wait_for("owner@example.com")  # the owner learns of it at once
    assert "recovery code" in notice["Subject"].lower()
    assert "203.0.113.20" in body_text(notice) and "unused codes left: 9" in body_text(notice)
    again = browser("203.0.113.21")
    sign_in(again)
    used = again.post("/studio/login/code/", {"code": codes[3], "form": "recovery"})
    assert used.status_code == 400
    # The message stands under the recovery field, whose box opens again.
    html = used.content.decode()
    assert (
        'id="id_recovery_code_error"' in html
        and 'aria-describedby="id_recovery_code_error"' in html
    )
    assert '<details class="recovery-sign-in" open>' in html and 'id="id_code_error"' not in html
    wrong_app_code = again.post("/studio/login/code/", {"code": "000000"}).content.decode()
    assert 'aria-describedby="id_code_error"' in wrong_app_code
    assert not signed_in(again)
    assert recovery.remaining(owner) == 9


def test_recovery_codes_share_the_limits_of_wrong_codes(owner):
    setup = browser()
    sign_in(setup)
    codes = turn_on_two_factor(setup, owner)
    guesser = browser("203.0.113.30")
    sign_in(guesser)
    for attempt in range(accounts.CODE_TRIES):
        wrong = f"abcd-efgh-{attempt:0>4}".replace("0", "a").replace("1", "b")
        assert guesser.post("/studio/login/code/", {"code": wrong}).status_code == 400
    refused = guesser.post("/studio/login/code/", {"code": codes[0]})
    assert refused.status_code == 302 and refused["Location"] == "/studio/login/"
    assert not signed_in(guesser)
    assert recovery.remaining(owner) == 10  # the refused right code was not spent


def test_new_codes_replace_the_old_ones_and_need_a_second_factor(owner):
    client = browser()
    sign_in(client)
    old = turn_on_two_factor(client, owner)
    refused = client.post("/studio/account/", {"action": "recovery-codes", "code": "123456"})
    assert refused.status_code == 302 and recovery.remaining(owner) == 10
    page = client.post("/studio/account/", {"action": "recovery-codes", "code": old[0]})
    new = CODE.findall(page.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert not recovery.use_code(owner, old[1])
    assert recovery.use_code(owner, new[1])


def test_turning_two_factor_off_forgets_the_codes(owner):
    client = browser()
    sign_in(client)
    codes = turn_on_two_factor(client, owner)
    client.post("/studio/account/", {"action": "2fa-disable", "code": codes[0]})
    assert not TwoFactorDevice.objects.filter(user=owner).exists()
    assert not RecoveryCode.objects.filter(user=owner).exists()


def test_a_used_code_cannot_pass_twice_at_once(owner):
    TwoFactorDevice.objects.create(
        user=owner, secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )
    code = recovery.make_codes(owner)[0]
    assert recovery.use_code(owner, code) and not recovery.use_code(owner, code)
    assert not recovery.use_code(owner, "not-a-code") and not recovery.looks_like_code("123456")


# --- the password ---------------------------------------------------------------------------


def change(client: Client, current: str, new: str, repeat: str | None = None):
    return client.post(
        "/studio/account/",
        {
            "action": "password",
            "old_password": current,
            "new_password1": new,
            "new_password2": new if repeat is None else repeat,
        },
    )


def test_changing_the_password_signs_out_other_browsers_and_tells_the_owner(owner, mail):
    here, elsewhere = browser(), browser("203.0.113.40")
    sign_in(here)
    sign_in(elsewhere)
    assert signed_in(elsewhere)
    response = change(here, PASSWORD, "a new long passphrase 7")
    assert response.status_code == 302
    assert signed_in(here) and not signed_in(elsewhere)
    owner.refresh_from_db()
    assert owner.check_password("a new long passphrase 7")
    assert StaffSession.objects.filter(user=owner).count() == 1  # this browser, under its new key
    assert StaffSession.objects.get(user=owner).session_key == here.session.session_key
    notice = mail.wait_for("owner@example.com")
    assert "password" in notice["Subject"].lower()
    assert "/studio/login/link/" in body_text(notice)
    assert sign_in(browser("203.0.113.41"), "a new long passphrase 7").status_code == 302


def test_this_browser_keeps_its_second_factor_after_a_password_change(owner, mail):
    client = browser()
    sign_in(client)
    turn_on_two_factor(client, owner)
    assert change(client, PASSWORD, "a new long passphrase 7").status_code == 302
    assert signed_in(client)


@pytest.mark.parametrize(
    ("current", "new", "repeat", "field"),
    [
        ("wrong password", "a new long passphrase 7", None, "old_password"),
        (PASSWORD, "short", None, "new_password2"),  # Django's MinimumLengthValidator
        (PASSWORD, "password123", None, "new_password2"),  # CommonPasswordValidator
        (PASSWORD, "owner@example.com", None, "new_password2"),  # similar to the account
        (PASSWORD, "a new long passphrase 7", "a different one 8", "new_password2"),
    ],
)
def test_a_bad_password_change_says_why_and_changes_nothing(
    owner, mail, current, new, repeat, field
):
    client = browser()
    sign_in(client)
    response = change(client, current, new, repeat)
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and f'id="id_{field}"' in html
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD) and signed_in(client)
    assert mail.to("owner@example.com") == []


def test_the_password_form_cannot_be_used_to_guess_the_current_one(owner, mail):
    client = browser()
    sign_in(client)
    for attempt in range(10):
        assert change(client, f"guess-{attempt}", "a new long passphrase 7").status_code == 400
    refused = change(client, PASSWORD, "a new long passphrase 7", None)
    assert refused.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert "Too many wrong passwords" in client.get("/studio/account/").content.decode()

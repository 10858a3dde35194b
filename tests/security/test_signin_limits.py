"""Sign-in limits that stop guessing without locking the owner out.

Wrong passwords count per (address, account) and per address; a stranger's guesses from
elsewhere never make the owner wait. Two-factor codes count per account and per address
across half sign-ins. A staff sign-in link works once, even while the code is still asked.
"""

from __future__ import annotations

import re
import time

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from hanji.studio import accounts
from hanji.studio.models import TwoFactorDevice

pytestmark = pytest.mark.django_db
PASSWORD = "pw-very-secret-1"
OWNER_HOME = "198.51.100.7"
ATTACKER = "203.0.113.9"


def browser(address: str) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)


def sign_in(client, password=PASSWORD, email="owner@example.com"):
    return client.post("/studio/login/", {"username": email, "password": password})


def signed_in(client) -> bool:
    return client.get("/studio/").status_code == 200


def with_two_factor(user) -> TwoFactorDevice:
    return TwoFactorDevice.objects.create(
        user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )


# --- passwords ------------------------------------------------------------------------------


def test_a_stranger_guessing_elsewhere_does_not_lock_the_owner_out(owner):
    attacker = browser(ATTACKER)
    for attempt in range(25):
        sign_in(attacker, password=f"guess-{attempt}")
    refused = sign_in(attacker)  # even the right password, from the attacker's address
    assert refused.status_code == 400 and "Too many failed sign-ins" in refused.content.decode()
    home = browser(OWNER_HOME)
    assert sign_in(home).status_code == 302
    assert signed_in(home)


def test_one_address_guessing_across_accounts_is_stopped(owner, editor):
    attacker = browser(ATTACKER)
    for i in range(accounts.FAILURES_PER_CLIENT):
        sign_in(attacker, email=f"someone{i}@example.com", password="guess")
    assert "Too many failed sign-ins" in sign_in(attacker).content.decode()
    assert sign_in(browser(OWNER_HOME)).status_code == 302


def test_the_owner_on_their_own_device_gets_in_after_their_own_typos(owner):
    home = browser(OWNER_HOME)
    for attempt in range(accounts.FAILURES_PER_PAIR - 1):
        sign_in(home, password=f"typo-{attempt}")
    assert sign_in(home).status_code == 302
    # The right password cleared this address's count for this account.
    home.post("/studio/logout/")
    for attempt in range(accounts.FAILURES_PER_PAIR - 1):
        sign_in(home, password=f"typo-{attempt}")
    assert sign_in(home).status_code == 302


def _guess_from_many_addresses(count: int) -> None:
    for i in range(count):
        sign_in(browser(f"10.0.{i // 250}.{i % 250 + 1}"), password=f"guess-{i}")


def test_guessing_from_many_addresses_then_asks_for_more_than_the_password(owner, mailoutbox):
    _guess_from_many_addresses(accounts.FAILURES_PER_ACCOUNT)
    home = browser(OWNER_HOME)
    response = sign_in(home)
    assert response.status_code == 400
    assert "Sign in with an email link this time." in response.content.decode()
    assert not signed_in(home)
    # ...and the email link still signs the owner in: no wait.
    home.post("/studio/login/link/", {"email": "owner@example.com"})
    link = re.search(r"http://testserver(/studio/login/link/\S+/)", mailoutbox[-1].body).group(1)
    assert home.post(link).status_code == 302
    assert signed_in(home)


def test_guessing_from_many_addresses_still_lets_a_two_factor_account_in(owner):
    device = with_two_factor(owner)
    _guess_from_many_addresses(accounts.FAILURES_PER_ACCOUNT)
    home = browser(OWNER_HOME)
    assert sign_in(home)["Location"] == "/studio/login/code/"
    home.post("/studio/login/code/", {"code": pyotp.TOTP(device.secret).now()})
    assert signed_in(home)


# --- two-factor codes -------------------------------------------------------------------------


def test_a_right_password_does_not_buy_new_guesses_at_the_code(owner):
    """The report: 52 wrong codes over 12 half sign-ins, never blocked."""
    device = with_two_factor(owner)
    attacker = browser(ATTACKER)
    refused_at = None
    for round_ in range(12):
        assert sign_in(attacker)["Location"] == "/studio/login/code/"
        for guess in range(5):
            response = attacker.post("/studio/login/code/", {"code": f"{round_:03d}{guess:03d}"})
            if response.status_code == 302 and response["Location"] == "/studio/login/":
                refused_at = refused_at or round_ * 5 + guess
                break
    assert refused_at == accounts.CODE_TRIES_PER_ACCOUNT
    # Now even the right code is refused for a while, from any address...
    home = browser(OWNER_HOME)
    sign_in(home)
    response = home.post("/studio/login/code/", {"code": pyotp.TOTP(device.secret).now()})
    assert response.status_code == 302 and response["Location"] == "/studio/login/"
    assert not signed_in(home)


def test_one_address_guessing_codes_across_accounts_is_stopped(owner, editor, author_user):
    for user in (owner, editor, author_user):
        with_two_factor(user)
    attacker = browser(ATTACKER)
    wrong = 0
    for user in (owner, editor, author_user):
        for _round in range(2):
            sign_in(attacker, email=user.email)
            for _guess in range(4):
                attacker.post("/studio/login/code/", {"code": "000000"})
                wrong += 1
    assert wrong > accounts.CODE_TRIES_PER_CLIENT
    device = TwoFactorDevice.objects.get(user=author_user)
    sign_in(attacker, email=author_user.email)
    response = attacker.post("/studio/login/code/", {"code": pyotp.TOTP(device.secret).now()})
    assert response["Location"] == "/studio/login/"


def test_a_sign_in_link_works_once_even_while_the_code_is_asked(owner, mailoutbox):
    device = with_two_factor(owner)
    client = browser(OWNER_HOME)
    client.post("/studio/login/link/", {"email": "owner@example.com"})
    link = re.search(r"http://testserver(/studio/login/link/\S+/)", mailoutbox[-1].body).group(1)
    assert client.get(link).status_code == 200  # mail scanners: a button, not a sign-in
    assert client.post(link)["Location"] == "/studio/login/code/"
    for other in (client, browser(ATTACKER)):
        assert other.post(link).status_code == 400
        assert other.get(link).status_code == 400
    code = pyotp.TOTP(device.secret).at(int(time.time()))
    client.post("/studio/login/code/", {"code": code})
    assert signed_in(client)

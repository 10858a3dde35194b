"""No route to a staff session skips the second factor or the sign-in limits: not the Django
admin's own login form, not a session made by Django's login() anywhere else."""

from __future__ import annotations

import time

import pyotp
import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from hanji.studio.models import TwoFactorDevice

pytestmark = pytest.mark.django_db
PASSWORD = "pw-very-secret-1"


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def boss(db):
    """The instance administrator (superuser, staff), with two-factor on."""
    user = get_user_model().objects.create_superuser("boss@example.com", "boss@example.com",
                                                     PASSWORD)  # fmt: skip
    TwoFactorDevice.objects.create(
        user=user, secret=pyotp.random_base32(), confirmed_at=timezone.now()
    )
    return user


def code(user, steps_ahead: int = 0) -> str:
    device = TwoFactorDevice.objects.get(user=user)
    return pyotp.TOTP(device.secret).at(int(time.time()) + 30 * steps_ahead)


def signed_in(client) -> bool:
    return client.get("/studio/").status_code == 200


def test_the_admin_login_form_is_the_studio_sign_in(client, boss):
    response = client.get("/admin/login/?next=/admin/auth/user/")
    assert response.status_code == 302
    assert response["Location"] == "/studio/login/?next=%2Fadmin%2Fauth%2Fuser%2F"
    # Opening the admin signed out lands on the studio sign-in, coming back afterwards.
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/studio/login/?next=%2Fadmin%2F")


def test_the_password_alone_posted_to_the_admin_signs_nobody_in(client, boss):
    response = client.post(
        "/admin/login/", {"username": "boss@example.com", "password": PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302 and response["Location"].startswith("/studio/login/")
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302


def test_a_session_that_skipped_the_second_factor_is_signed_out(client, boss, publication):
    """Whatever made it: here Django's own login(), as the old admin form did."""
    client.force_login(boss)
    assert client.get("/admin/").status_code == 302
    assert client.get(f"/studio/p/{publication.slug}/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_studio_sign_in_with_both_factors_opens_the_admin(client, boss):
    response = client.post("/studio/login/?next=/admin/",
                           {"username": "boss@example.com", "password": PASSWORD})  # fmt: skip
    assert response["Location"] == "/studio/login/code/"
    assert client.get("/admin/").status_code == 302  # half signed in is not signed in
    response = client.post("/studio/login/code/", {"code": code(boss)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/auth/user/").status_code == 200


def test_a_signed_in_account_that_is_not_staff_is_refused_not_sent_in_circles(client, owner):
    client.post("/studio/login/", {"username": "owner@example.com", "password": PASSWORD})
    assert signed_in(client)
    response = client.get("/admin/", follow=True)
    assert response.status_code == 403
    assert len(response.redirect_chain) == 1


def test_forty_passwords_posted_to_the_admin_are_forty_refusals_and_the_limit_holds(client, boss):
    for attempt in range(40):
        client.post(
            "/admin/login/", {"username": "boss@example.com", "password": f"guess-{attempt}"}
        )
        assert not signed_in(client)
    # The studio's limits count every guess made through its form, wherever it was linked
    # from: after ten wrong passwords from this address the right one is refused too.
    for attempt in range(10):
        client.post("/studio/login/", {"username": "boss@example.com", "password": f"g{attempt}"})
    response = client.post("/studio/login/", {"username": "boss@example.com", "password": PASSWORD})
    assert response.status_code == 400
    assert "Too many failed sign-ins" in response.content.decode()


def test_turning_on_two_factor_signs_out_the_other_browsers_but_not_this_one(client, owner):
    other = Client()
    for browser in (client, other):
        browser.post("/studio/login/", {"username": "owner@example.com", "password": PASSWORD})
        assert signed_in(browser)
    client.post("/studio/account/", {"action": "2fa-start"})
    device = TwoFactorDevice.objects.get(user=owner)
    client.post("/studio/account/",
                {"action": "2fa-confirm", "code": pyotp.TOTP(device.secret).now()})  # fmt: skip
    assert TwoFactorDevice.objects.get(user=owner).confirmed_at is not None
    assert signed_in(client)
    assert not signed_in(other)

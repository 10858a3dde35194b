"""Every cookie Hanji sets is Secure under an https base URL: session, CSRF, language,
messages, like, visitor, and the reader's sign-in (a session)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.test import Client
from django.utils import timezone

from hanji.subscribers.actions import sign_in_token
from hanji.subscribers.models import Subscriber

pytestmark = pytest.mark.django_db
SECURE_FLAGS = [
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
]


def settings_under(base_url: str, tmp_path) -> dict:
    """The cookie flags settings.py derives from HANJI_BASE_URL, read in a fresh process."""
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n) for n in {SECURE_FLAGS!r}}}))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "hanji.settings",
        "HANJI_BASE_URL": base_url,
        "HANJI_DATA_DIR": str(tmp_path),
        "SECRET_KEY": "x" * 50,
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                         text=True, timeout=120, check=True)  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_https_base_url_makes_every_cookie_flag_secure(tmp_path):
    assert set(settings_under("https://letters.example.com", tmp_path).values()) == {True}
    # A laptop on plain http keeps working: the browser would drop Secure cookies there.
    assert set(settings_under("http://127.0.0.1:8000", tmp_path).values()) == {False}


@pytest.fixture
def https(settings):
    for name in SECURE_FLAGS:
        setattr(settings, name, True)
    return settings


def cookies_of(*responses) -> dict:
    found = {}
    for response in responses:
        for name, morsel in response.cookies.items():
            if morsel.value or morsel["max-age"] != 0:
                found[name] = morsel
    return found


def test_every_cookie_of_the_reader_and_staff_flows_is_secure(https, make_post, owner):
    post = make_post(title="쿠키")
    browser = Client(HTTP_HOST="weekly.testserver")
    responses = [
        # A like from a browser with no account: the like hint and the visitor id.
        browser.post(f"/engagement/{post.pk}/like/", {},
                     HTTP_X_HANJI_REQUEST="1", HTTP_SEC_FETCH_SITE="same-origin"),
    ]  # fmt: skip
    reader = Subscriber.objects.create(
        publication=post.publication,
        email="reader@example.com",
        status="active",
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    token = sign_in_token(reader)
    responses.append(browser.post(f"/account/sign-in/{token}/"))  # the reader's session
    staff = Client(enforce_csrf_checks=True)
    page = staff.get("/studio/login/")
    responses.append(page)
    csrf = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""
    responses.append(staff.post("/studio/login/", {
        "username": "owner@example.com", "password": "pw-very-secret-1",
        "csrfmiddlewaretoken": csrf,
    }))  # fmt: skip
    # A message shown on the next page (the messages cookie).
    responses.append(staff.post("/studio/account/", {"action": "2fa-confirm", "code": "1",
                                                     "csrfmiddlewaretoken": csrf}))  # fmt: skip
    found = cookies_of(*responses)
    assert {"hanji_lk", "hanji_v", "sessionid", "csrftoken"} <= set(found), sorted(found)
    for name, morsel in found.items():
        assert morsel["secure"], name
        assert morsel["samesite"].lower() == "lax", name
    for name in ("hanji_lk", "hanji_v", "sessionid"):
        assert found[name]["httponly"], name

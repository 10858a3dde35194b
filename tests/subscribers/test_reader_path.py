"""The reader's path as a Substack reader expects it (issue 12, trap 11), through HTTP and a
real SMTP server: confirming signs in, sign-in comes back to the page, signed-in subscribers
see their status instead of the subscribe box. The browser half is
tests/browser/test_reader_path.py."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import pytest
from django.test import Client
from django.utils.encoding import iri_to_uri

from hanji.core.nextpath import safe_next
from hanji.subscribers.models import SubscriberStatus
from tests.subscribers.smtp import link

# Emails leave after the transaction commits (transaction.on_commit), so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def post(make_post):
    return make_post(title="첫 번째 글", body="본문입니다")


def subscribe_and_confirm(client: Client, smtp, post, email="new@example.com"):
    client.post("/p/weekly/subscribe/", {"email": email, "next": f"/p/weekly/posts/{post.slug}/"})
    confirm = path(link(smtp.wait_for(email), "/confirm/"))
    assert "hanji.reader" not in str(dict(client.session))  # opening it signs nobody in
    assert client.get(confirm).status_code == 200
    assert "hanji.reader" not in str(dict(client.session))
    return client.post(confirm)


def test_confirming_a_subscription_signs_the_reader_in_and_leads_back(client, smtp, post):
    before = client.get("/").cookies  # a session planted before cannot ride along
    page = subscribe_and_confirm(client, smtp, post)
    html = page.content.decode()
    assert page.status_code == 200
    assert f'href="/p/weekly/posts/{post.slug}/"' in html  # "Continue reading"
    assert client.session.session_key not in str(before)
    post_page = client.get(f"/p/weekly/posts/{post.slug}/").content.decode()
    assert 'class="comment-form"' in post_page  # may comment at once: no second email
    assert 'name="email"' not in post_page.split('id="subscribe"', 1)[1].split("</section>")[0]


def test_a_confirmation_link_from_before_leads_to_no_page_but_still_signs_in(
    client, publication, weekly, make_subscriber
):
    """Links mailed before the `next` existed carry five values; they still work."""
    from hanji.subscribers.actions import confirm_token

    reader = make_subscriber("old@example.com", status=SubscriberStatus.PENDING)
    token = confirm_token(reader, [weekly.pk], False, "")
    page = client.post(f"/p/weekly/confirm/{token}/")
    assert page.status_code == 200 and "hanji.reader" in str(dict(client.session))


def test_a_hostile_next_in_the_subscribe_form_leads_nowhere(client, smtp, post):
    client.post("/p/weekly/subscribe/", {"email": "x@example.com", "next": "//evil.example/"})
    confirm = path(link(smtp.wait_for("x@example.com"), "/confirm/"))
    html = client.post(confirm).content.decode()
    assert "evil.example" not in html


def test_signing_in_from_a_post_comes_back_to_the_post(
    client, smtp, post, publication, weekly, make_subscriber
):
    make_subscriber("reader@example.com", newsletters=[weekly])
    post_path = f"/p/weekly/posts/{post.slug}/"
    html = client.get(post_path).content.decode()
    gate = html.split('class="comment-gate"', 1)[1]
    sign_in_href = re.search(r'href="(/p/weekly/account/\?next=[^"]+)"', gate).group(1)
    form = client.get(sign_in_href.replace("&amp;", "&")).content.decode()
    next_value = re.search(r'name="next" value="([^"]+)"', form).group(1)
    assert next_value == post_path + "#comments"
    client.post("/p/weekly/account/", {"email": "reader@example.com", "next": next_value})
    use = path(link(smtp.wait_for("reader@example.com"), "/account/sign-in/"))
    assert client.get(use).status_code == 200  # a button: a scanner signs nobody in
    landed = client.post(use)
    assert landed.status_code == 302
    assert landed["Location"] == iri_to_uri(post_path) + "#comments"
    assert 'class="comment-form"' in client.get(post_path).content.decode()


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "/%5Cevil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nLocation: https://evil.example/",
        "/" + "a" * 600,
    ],
)
def test_a_hostile_next_signs_in_to_the_account_page(
    client, smtp, publication, weekly, make_subscriber, hostile
):
    make_subscriber("reader@example.com", newsletters=[weekly])
    client.post("/p/weekly/account/", {"email": "reader@example.com", "next": hostile})
    use = path(link(smtp.wait_for("reader@example.com"), "/account/sign-in/"))
    landed = client.post(use)
    assert landed.status_code == 302 and landed["Location"] == "/p/weekly/account/"


def test_safe_next_keeps_paths_on_this_host_only():
    assert safe_next("/posts/%ED%95%9C/?page=2#comments") == "/posts/%ED%95%9C/?page=2#comments"
    for bad in ("", None, 5, "posts/x", "//x", "/\\x", "https://x/", "/a\tb", "/a\x7f"):
        assert safe_next(bad) == "", bad


def test_a_signed_in_subscriber_sees_their_status_not_the_subscribe_box(
    client, post, publication, weekly, make_subscriber, settings
):
    from hanji.subscribers.actions import sign_in_token

    settings.HANJI_PAGE_CACHE = True
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    post_path = f"/p/weekly/posts/{post.slug}/"
    anonymous = Client().get(post_path).content.decode()  # and into the anonymous cache
    assert 'type="email"' in anonymous and "reader@example.com" not in anonymous
    client.post(f"/p/weekly/account/sign-in/{sign_in_token(reader)}/")
    page = client.get(post_path)
    html = page.content.decode()
    box = html.split('id="subscribe"', 1)[1].split("</section>", 1)[0]
    assert 'type="email"' not in box and "subscribe-form" not in box
    assert "주간 레터" in box and "reader@example.com" in box
    assert 'href="/p/weekly/account/"' in box
    assert page.get("X-Hanji-Cache") is None  # a reader's page is never stored
    # The header offers the account, not a second subscription.
    assert 'href="#subscribe"' not in html.split("</header>", 1)[0]
    # Still the same page for everyone else.
    assert 'type="email"' in Client().get(post_path).content.decode()


def test_a_signed_in_reader_who_left_is_told_so_in_the_box(
    client, post, publication, weekly, make_subscriber
):
    from hanji.subscribers.actions import sign_in_token

    reader = make_subscriber("gone@example.com", status=SubscriberStatus.UNSUBSCRIBED)
    client.post(f"/p/weekly/account/sign-in/{sign_in_token(reader)}/")
    box = client.get(f"/p/weekly/posts/{post.slug}/").content.decode()
    box = box.split('id="subscribe"', 1)[1].split("</section>", 1)[0]
    assert "gone@example.com" in box and 'type="email"' not in box


def test_the_subscribe_box_promises_only_what_the_unsubscribe_link_does(client, post):
    html = client.get(f"/p/weekly/posts/{post.slug}/", HTTP_ACCEPT_LANGUAGE="en").content
    box = html.decode().split('id="subscribe"', 1)[1].split("</section>", 1)[0]
    # The footer link opens a page with one button (two steps, so mail scanners unsubscribe
    # nobody); "one click" is true only of the mail client's own button (RFC 8058).
    assert "one click" not in box.lower() and "한 번" not in box


def test_signing_out_from_a_post_stays_on_the_post(client, post, make_subscriber, weekly):
    from hanji.subscribers.actions import sign_in_token

    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    client.post(f"/p/weekly/account/sign-in/{sign_in_token(reader)}/")
    back = f"/p/weekly/posts/{quote(post.slug)}/"
    out = client.post("/p/weekly/account/sign-out/", {"next": back})
    assert out.status_code == 302 and out["Location"] == back
    assert "hanji.reader" not in str(dict(client.session))

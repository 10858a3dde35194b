"""Subscribe → confirmation email through a real SMTP server → link → confirm → active."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import pytest
from django.core import signing

from hanji.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus, Subscription
from tests.subscribers.smtp import body_html, body_text, link

# Emails leave after the transaction commits (transaction.on_commit), so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def path_of(url: str) -> str:
    return urlsplit(url).path


def subscribe(client, email="reader@example.com", **data):
    return client.post(
        "/subscribe/",
        {"email": email, **data},
        HTTP_USER_AGENT="pytest-browser",
        REMOTE_ADDR=data.pop("ip", "203.0.113.7"),
    )


def test_a_reader_subscribes_confirms_by_email_and_becomes_active(
    client, publication, weekly, digest, smtp
):
    page = subscribe(client, newsletters=[digest.pk], name="김독자", advertising="1")
    assert page.status_code == 200
    assert "reader@example.com" in page.content.decode()
    subscriber = Subscriber.objects.get(email="reader@example.com")
    assert subscriber.status == SubscriberStatus.PENDING

    message = smtp.wait_for("reader@example.com")
    assert publication.name in message["Subject"]
    assert publication.name in message["From"]
    assert "데일리 다이제스트" in body_text(message)
    assert publication.accent_color in body_html(message)  # branded
    url = link(message, "/confirm/")
    assert url.startswith("http://testserver/p/weekly/confirm/")

    # A mail scanner opening the link changes nothing: GET shows a button.
    page = client.get(path_of(url))
    assert page.status_code == 200
    assert '<form method="post"' in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING

    # Confirmed from another device than the form: the consent log keeps each one's address.
    page = client.post(path_of(url), REMOTE_ADDR="198.51.100.24")
    assert page.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.ACTIVE
    assert subscriber.confirmed_at is not None
    assert subscriber.name == "김독자"
    assert subscriber.advertising_consent_at is not None
    assert list(
        Subscription.objects.filter(subscriber=subscriber).values_list("newsletter", flat=True)
    ) == [digest.pk]
    actions = list(
        ConsentEvent.objects.filter(subscriber=subscriber).values_list("action", flat=True)
    )
    assert actions == ["subscribe", "advertising-requested", "confirm", "advertising"]
    confirm_event = ConsentEvent.objects.get(subscriber=subscriber, action="confirm")
    assert confirm_event.ip == "198.51.100.24"
    assert "데일리 다이제스트" in confirm_event.statement
    subscribe_event = ConsentEvent.objects.get(subscriber=subscriber, action="subscribe")
    assert subscribe_event.ip == "203.0.113.7"
    assert subscribe_event.user_agent == "pytest-browser"

    # Used once: the same link now gives a clear page and changes nothing.
    again = client.post(path_of(url))
    assert again.status_code == 400
    assert "used" in again.content.decode() or "사용" in again.content.decode()
    assert ConsentEvent.objects.filter(subscriber=subscriber, action="confirm").count() == 1


def test_the_form_answers_the_same_for_new_pending_and_active_addresses(
    client, publication, weekly, make_subscriber, smtp
):
    make_subscriber("active@example.com", newsletters=[weekly])
    make_subscriber("pending@example.com", status=SubscriberStatus.PENDING)
    make_subscriber("gone@example.com", status=SubscriberStatus.UNSUBSCRIBED)
    make_subscriber("angry@example.com", status=SubscriberStatus.COMPLAINED)
    pages = {}
    for email in (
        "new@example.com",
        "active@example.com",
        "pending@example.com",
        "gone@example.com",
        "angry@example.com",
    ):
        page = subscribe(client, email)
        pages[email] = (page.status_code, page.content.decode().replace(email, "EMAIL"))
    assert len(set(pages.values())) == 1
    # Everybody but the complainer got a confirmation email.
    for email in (
        "new@example.com",
        "active@example.com",
        "pending@example.com",
        "gone@example.com",
    ):
        smtp.wait_for(email)
    assert smtp.to("angry@example.com") == []
    assert Subscriber.objects.get(email="active@example.com").status == SubscriberStatus.ACTIVE


def test_one_confirmation_email_per_address_per_few_minutes(client, publication, weekly, smtp):
    for i in range(5):
        assert subscribe(client, "Many@Example.COM", ip=f"198.51.100.{i}").status_code == 200
    smtp.wait_for("many@example.com")
    time.sleep(0.2)
    assert len(smtp.to("many@example.com")) == 1


def test_a_client_sending_too_many_requests_is_turned_away(client, publication, weekly, smtp):
    statuses = [subscribe(client, f"r{i}@example.com").status_code for i in range(12)]
    assert statuses[:10] == [200] * 10
    assert statuses[10:] == [429, 429]


def test_the_honeypot_answers_like_success_and_sends_nothing(client, publication, weekly, smtp):
    page = subscribe(client, "robot@example.com", website="http://spam.example")
    assert page.status_code == 200
    assert not Subscriber.objects.filter(email="robot@example.com").exists()
    time.sleep(0.1)
    assert smtp.messages == []


@pytest.mark.parametrize(
    "email",
    [
        "a@b.c\r\nBcc: x@y.z",
        "victim@example.com\nBcc: everyone@example.com",
        "x" * 300 + "@example.com",
        "nobody@",
        "no domain",
        "two words@example.com",
        "user@exаmple.com",  # Cyrillic а
        "user@аррӏе.com",
    ],
)
def test_hostile_addresses_are_refused_with_a_clear_message_and_nothing_is_sent(
    client, publication, weekly, smtp, email
):
    page = subscribe(client, email)
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()
    assert Subscriber.objects.count() == 0
    time.sleep(0.05)
    assert smtp.messages == []


def test_a_name_with_line_breaks_never_reaches_a_header(client, publication, weekly, smtp):
    subscribe(client, "n@example.com", name="Eve\r\nBcc: all@example.com")
    message = smtp.wait_for("n@example.com")
    assert "Bcc" not in message
    assert all("\n" not in str(v) for v in message.values())
    url = link(message, "/confirm/")
    client.post(path_of(url))
    assert Subscriber.objects.get(email="n@example.com").name == "Eve Bcc: all@example.com"


def test_tampered_and_expired_confirmation_links_give_a_clear_page_and_change_nothing(
    client, publication, weekly, smtp, monkeypatch
):
    subscribe(client, "t@example.com")
    url = path_of(link(smtp.wait_for("t@example.com"), "/confirm/"))
    token = url.rstrip("/").rsplit("/", 1)[1]
    tampered = url.replace(token, token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"))
    for method in (client.get, client.post):
        page = method(tampered)
        assert page.status_code == 400
    # Another publication's host cannot use it either.
    from hanji.publications.models import Publication

    Publication.objects.create(name="Other", slug="other")
    assert client.post(url.replace("/p/weekly/", "/p/other/")).status_code == 400

    from hanji.subscribers.actions import confirm_token

    subscriber = Subscriber.objects.get(email="t@example.com")
    real_timestamp = signing.TimestampSigner.timestamp
    monkeypatch.setattr(
        signing.TimestampSigner,
        "timestamp",
        lambda self: signing.b62_encode(int(time.time()) - 4 * 24 * 3600),
    )
    old = confirm_token(subscriber, [weekly.pk], False, "")
    monkeypatch.setattr(signing.TimestampSigner, "timestamp", real_timestamp)
    page = client.post(f"/p/weekly/confirm/{old}/")
    assert page.status_code == 400
    subscriber.refresh_from_db()
    assert subscriber.status == SubscriberStatus.PENDING
    # The genuine link still works after all that.
    assert client.post(url).status_code == 200


def test_a_newsletter_with_a_welcome_message_sends_one_after_confirming(
    client, publication, weekly, smtp
):
    weekly.welcome_message = "반갑습니다! 매주 월요일에 만나요."
    weekly.save()
    subscribe(client, "w@example.com")
    client.post(path_of(link(smtp.wait_for("w@example.com"), "/confirm/")))
    welcome = smtp.wait_for("w@example.com", count=2)
    assert "매주 월요일에 만나요" in body_text(welcome)
    assert "/unsubscribe/" in body_text(welcome)


def test_without_a_welcome_message_no_welcome_email_is_sent(client, publication, weekly, smtp):
    subscribe(client, "quiet@example.com")
    client.post(path_of(link(smtp.wait_for("quiet@example.com"), "/confirm/")))
    time.sleep(0.2)
    assert len(smtp.to("quiet@example.com")) == 1


def test_the_subscribe_box_offers_name_newsletters_and_an_unticked_advertising_choice(
    client, publication, weekly, digest
):
    page = client.get("/").content.decode()
    box = page[page.index('id="subscribe"') :]
    assert 'name="name"' in box and 'name="website"' in box
    assert f'value="{weekly.pk}" checked' in box and f'value="{digest.pk}">' in box
    assert 'name="advertising" value="1">' in box  # not checked
    assert "csrfmiddlewaretoken" not in box

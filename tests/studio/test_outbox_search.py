"""The outbox: found by recipient and subject, filtered by kind; looking at a post's email
there is never a reader's open."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from hanji.core import emails
from hanji.core.models import OutboxMessage
from hanji.sending.actions import send_test, start_send_for_post
from hanji.sending.models import Delivery, SendingSettings

OUTBOX = override_settings(
    MAILERS={
        "default": {"BACKEND": "hanji.core.outbox.OutboxBackend"},
        "transactional": {"BACKEND": "hanji.core.outbox.OutboxBackend"},
    }
)
BOX = "/studio/p/weekly/outbox/"


@pytest.fixture
def mixed_outbox(publication, newsletter, readers, make_post, django_capture_on_commit_callbacks):
    """A post sent to two readers, a test send, a confirmation and a sign-in link."""
    readers(2)
    post = make_post(title="봄 소식")
    with OUTBOX, django_capture_on_commit_callbacks(execute=True):
        send = start_send_for_post(post, newsletter)
        send_test(post, ["me@weekly.example.com"])
        emails.confirm_subscription(
            publication, "new@example.org", {"confirm_url": "https://x.test/c", "name": ""}
        )
        emails.sign_in(publication, "reader0@example.org", {"sign_in_url": "https://x.test/s"})
    return send


def _subjects(client, **params) -> list[str]:
    page = client.get(BOX, params).content.decode()
    return re.findall(r'<td><a href="/studio/p/weekly/outbox/\d+/">([^<]*)</a></td>', page)


def test_the_outbox_finds_a_recipient_or_a_subject(client, owner, mixed_outbox):
    client.force_login(owner)
    assert len(_subjects(client)) == OutboxMessage.objects.count() >= 5
    to_one = client.get(BOX, {"q": "reader1@"}).content.decode()
    assert "reader1@example.org" in to_one and "reader0@example.org" not in to_one
    assert all("봄 소식" in subject for subject in _subjects(client, q="봄 소식"))
    assert "No email matches." in client.get(BOX, {"q": "nobody-at-all"}).content.decode()


def test_the_outbox_keeps_one_kind_of_email(client, owner, mixed_outbox):
    client.force_login(owner)
    posts = client.get(BOX, {"kind": "post"}).content.decode()
    assert posts.count("reader0@example.org") == 1 and "me@weekly.example.com" not in posts
    tests = client.get(BOX, {"kind": "test"}).content.decode()
    assert "me@weekly.example.com" in tests and "reader0@example.org" not in tests
    confirmations = client.get(BOX, {"kind": "subscription"}).content.decode()
    assert "new@example.org" in confirmations and "reader1@example.org" not in confirmations
    sign_in = client.get(BOX, {"kind": "sign-in"}).content.decode()
    assert "reader0@example.org" in sign_in and "new@example.org" not in sign_in
    # an unknown kind filters nothing out; it is not an error
    assert client.get(BOX, {"kind": "nonsense"}).status_code == 200


def test_opening_a_posts_email_in_the_outbox_is_not_an_open(client, owner, mixed_outbox):
    assert SendingSettings.objects.get(publication=mixed_outbox.publication).track_opens
    message = OutboxMessage.objects.filter(to="reader0@example.org", subject="봄 소식").get()
    assert b"/e/o/" in bytes(message.raw)  # the email as sent does track its opening
    client.force_login(owner)
    assert client.get(f"{BOX}{message.pk}/").status_code == 200
    html = client.get(f"{BOX}{message.pk}/html/").content.decode()
    assert "봄 소식" in html and "/e/o/" not in html
    delivery = Delivery.objects.get(send=mixed_outbox, subscriber__email="reader0@example.org")
    assert delivery.opened_at is None


def test_the_instance_outbox_searches_too(client, owner, mixed_outbox):
    owner.is_superuser = True
    owner.save()
    client.force_login(owner)
    page = client.get(reverse("studio:instance_outbox"), {"q": "new@example.org"}).content
    assert b"new@example.org" in page and b"reader1@example.org" not in page

"""The reader's account: magic-link sign-in through a real SMTP server, choices, email
change confirmed at the new address, JSON export, delete."""

from __future__ import annotations

import json
import time
from urllib.parse import urlsplit

import pytest
from django.core import signing

from hanji.subscribers import actions
from hanji.subscribers.models import ConsentEvent, ErasedAddress, Subscriber, SubscriberStatus
from tests.subscribers.smtp import link

# Emails leave after the transaction commits (transaction.on_commit), so these tests commit.
pytestmark = pytest.mark.django_db(transaction=True)


def path(url: str) -> str:
    return urlsplit(url).path


def sign_in(client, smtp, email="reader@example.com"):
    page = client.post("/account/", {"email": email})
    assert page.status_code == 200
    url = link(smtp.wait_for(email), "/account/sign-in/")
    assert client.get(path(url)).status_code == 200  # a button, not a sign-in
    assert "hanji.reader" not in str(dict(client.session))
    response = client.post(path(url))
    assert response.status_code == 302
    return url


def test_a_reader_signs_in_with_a_link_and_out_again(
    client, publication, weekly, make_subscriber, smtp
):
    make_subscriber("reader@example.com", newsletters=[weekly])
    url = sign_in(client, smtp)
    page = client.get("/account/")
    assert "reader@example.com" in page.content.decode()
    # The link is single-use.
    other = type(client)()
    assert other.post(path(url)).status_code == 400
    client.post("/account/sign-out/")
    assert "reader@example.com" not in client.get("/account/").content.decode()


def test_the_sign_in_form_answers_the_same_for_strangers_and_sends_them_nothing(
    client, publication, weekly, make_subscriber, smtp
):
    make_subscriber("reader@example.com", newsletters=[weekly])
    known = client.post("/account/", {"email": "reader@example.com"})
    unknown = client.post("/account/", {"email": "stranger@example.com"})
    assert known.status_code == unknown.status_code == 200
    assert known.content.decode().replace("reader@", "X@") == unknown.content.decode().replace(
        "stranger@", "X@"
    )
    smtp.wait_for("reader@example.com")
    time.sleep(0.1)
    assert smtp.to("stranger@example.com") == []


def test_an_expired_sign_in_link_gives_a_clear_page(
    client, publication, weekly, make_subscriber, monkeypatch
):
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    monkeypatch.setattr(
        signing.TimestampSigner,
        "timestamp",
        lambda self: signing.b62_encode(int(time.time()) - 3600),
    )
    token = actions.sign_in_token(reader)
    monkeypatch.undo()
    page = client.post(f"/p/weekly/account/sign-in/{token}/")
    assert page.status_code == 400
    assert "hanji.reader" not in str(dict(client.session))


def test_a_signed_in_reader_changes_newsletters(
    client, publication, weekly, digest, make_subscriber, smtp
):
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    sign_in(client, smtp)
    client.post("/account/newsletters/", {"newsletters": [weekly.pk, digest.pk]})
    assert set(reader.subscriptions.values_list("newsletter", flat=True)) == {weekly.pk, digest.pk}


def test_a_new_address_is_confirmed_at_the_new_address(
    client, publication, weekly, make_subscriber, smtp
):
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    sign_in(client, smtp)
    page = client.post("/account/email/", {"email": "New@Example.com"})
    assert page.status_code == 200
    reader.refresh_from_db()
    assert reader.email == "reader@example.com"  # not before the new address confirms
    url = link(smtp.wait_for("new@example.com"), "/account/email/")
    assert client.get(path(url)).status_code == 200
    assert client.post(path(url)).status_code == 200
    reader.refresh_from_db()
    assert reader.email == "new@example.com"
    assert ConsentEvent.objects.filter(subscriber=reader, action="email-change").exists()
    assert client.post(path(url)).status_code == 400  # used


def test_a_bad_new_address_is_refused_with_a_message(
    client, publication, weekly, make_subscriber, smtp
):
    make_subscriber("reader@example.com", newsletters=[weekly])
    sign_in(client, smtp)
    page = client.post("/account/email/", {"email": "bad\r\nBcc: x@y.z"})
    assert page.status_code == 400
    assert 'role="alert"' in page.content.decode()


def test_a_reader_downloads_everything_as_json(client, publication, weekly, make_subscriber, smtp):
    make_subscriber(
        "reader@example.com",
        status=SubscriberStatus.PENDING,
        newsletters=[weekly],
        name="김독자",
        tags=["vip"],
    )
    sign_in(client, smtp)  # opening a link from the mailbox also confirms a pending reader
    response = client.get("/account/export/")
    assert response["Content-Type"] == "application/json"
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["email"] == "reader@example.com"
    assert data["name"] == "김독자"
    assert data["newsletters"][0]["name"] == "주간 레터"
    assert data["status"] == "active"
    assert any(e["action"] == "confirm" for e in data["consent_log"])


def test_a_reader_deletes_their_data(client, publication, weekly, make_subscriber, smtp):
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    sign_in(client, smtp)
    assert client.get("/account/delete/").status_code == 200
    client.post("/account/delete/")
    assert not Subscriber.objects.filter(pk=reader.pk).exists()
    assert ErasedAddress.objects.count() == 1
    # The consent log stays, detached, and says what happened.
    assert ConsentEvent.objects.filter(email="reader@example.com", action="delete").exists()
    assert "reader@example.com" not in client.get("/account/").content.decode()


def test_subscribing_again_after_deleting_works(client, publication, weekly, make_subscriber, smtp):
    reader = make_subscriber("reader@example.com", newsletters=[weekly])
    actions.delete_subscriber(reader)
    client.post("/subscribe/", {"email": "reader@example.com"})
    url = link(smtp.wait_for("reader@example.com"), "/confirm/")
    client.post(path(url))
    assert Subscriber.objects.get(email="reader@example.com").status == SubscriberStatus.ACTIVE
    assert ErasedAddress.objects.count() == 0


def test_account_pages_need_a_signed_in_reader(client, publication, weekly):
    for url in ("/account/export/", "/account/delete/"):
        assert client.get(url).status_code == 302
    assert client.post("/account/newsletters/", {}).status_code == 302


def test_the_sign_in_form_is_limited_per_client(client, publication, weekly, smtp):
    statuses = [
        client.post(
            "/account/", {"email": f"x{i}@example.com"}, REMOTE_ADDR="198.51.100.9"
        ).status_code
        for i in range(11)
    ]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429

"""Bounces, complaints, auto-replies and unsubscribe mail: DSN/ARF messages piped to
`hanji bounces process` or read from a mailbox; service webhooks through anymail."""

from __future__ import annotations

import base64
import io
import json
import mailbox

import pytest
from django.core.management import call_command

from hanji.sending import bounces
from hanji.sending.actions import SendError, start_send_for_post
from hanji.sending.models import Delivery, DeliveryEvent, SendingSettings
from hanji.sending.personalize import delivery_reference
from hanji.subscribers.models import Subscriber


def dsn(
    to: str, recipient: str, message_id: str, action: str = "failed", status: str = "5.1.1"
) -> bytes:
    code = "550" if status.startswith("5") else "450"
    return f"""From: MAILER-DAEMON@mx.example.org
To: {to}
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNDARY"

--BOUNDARY
Content-Type: text/plain

This is the mail system at host mx.example.org. Your message could not be delivered.

--BOUNDARY
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; {recipient}
Original-Recipient: rfc822;{recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {code} {status} <{recipient}>: Recipient address rejected

--BOUNDARY
Content-Type: text/rfc822-headers

From: letter@weekly.example.com
To: {recipient}
Message-ID: {message_id}
Subject: test

--BOUNDARY--
""".replace("\n", "\r\n").encode()


def arf(message_id: str) -> bytes:
    return f"""From: feedback@mail.example.net
To: abuse@weekly.example.com
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="B"

--B
Content-Type: text/plain

This is an email abuse report.

--B
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1

--B
Content-Type: message/rfc822

From: letter@weekly.example.com
Message-ID: {message_id}
Subject: test

body
--B--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def delivered(settings, mail_to, make_post, make_subscribers, send_now):
    settings.HANJI_SEND_BOUNCE_DOMAIN = "bounce.weekly.example.com"
    readers = make_subscribers(20)
    send = send_now(make_post())
    by_address = {item.rcpt_tos[0]: item for item in mail_to.received}
    return send, readers, by_address


def test_messages_leave_with_a_verp_return_path(delivered):
    send, readers, by_address = delivered
    item = by_address["reader0@example.org"]
    assert item.mail_from.startswith(f"bounces+{send.pk}-{readers[0].pk}-")
    assert item.mail_from.endswith("@bounce.weekly.example.com")


def test_a_hard_bounce_to_the_verp_address_suppresses_at_once(delivered):
    send, readers, by_address = delivered
    item = by_address["reader3@example.org"]
    result = bounces.process(dsn(item.mail_from, "reader3@example.org", "<unrelated@x>"))
    assert result.kind == "hard"
    readers[3].refresh_from_db()
    assert readers[3].status == "bounced"
    event = DeliveryEvent.objects.get(kind="bounce")
    assert event.send_id == send.pk and "5.1.1" in event.detail


def test_a_bounce_is_matched_by_the_message_id_when_there_is_no_verp(delivered):
    send, readers, by_address = delivered
    item = by_address["reader4@example.org"]
    raw = dsn("letter@weekly.example.com", "reader4@example.org", item.message_id)
    assert bounces.process(raw).kind == "hard"
    assert Subscriber.objects.get(pk=readers[4].pk).status == "bounced"


def test_a_forged_message_id_is_not_recognised(delivered):
    send, readers, by_address = delivered
    forged = f"<hanji.{send.pk}.{readers[5].pk}.0000000000@weekly.example.com>"
    raw = dsn("letter@weekly.example.com", "reader5@example.org", forged)
    assert bounces.process(raw).kind == "unrecognised"
    assert Subscriber.objects.get(pk=readers[5].pk).status == "active"


def test_soft_bounces_suppress_only_after_the_limit_of_messages(
    delivered, mail_to, make_post, send_now
):
    send, readers, by_address = delivered
    item = by_address["reader6@example.org"]
    raw = dsn(
        item.mail_from, "reader6@example.org", item.message_id, action="delayed", status="4.2.2"
    )
    # Delay warnings for one message (MTAs send several) count as one soft bounce.
    for _ in range(3):
        assert bounces.process(raw).kind == "soft"
    assert Subscriber.objects.get(pk=readers[6].pk).status == "active"
    for number in (2, 3):
        mail_to.received.clear()
        send_now(make_post(title=f"소식 {number}"))
        item = next(i for i in mail_to.received if i.rcpt_tos == ["reader6@example.org"])
        raw = dsn(item.mail_from, "reader6@example.org", item.message_id, "delayed", status="4.2.2")
        assert bounces.process(raw).kind == "soft"
    assert Subscriber.objects.get(pk=readers[6].pk).status == "bounced"


def test_auto_replies_are_ignored(delivered):
    send, readers, by_address = delivered
    raw = (
        b"From: reader7@example.org\r\nTo: letter@weekly.example.com\r\n"
        b"Subject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nI am away.\r\n"
    )
    assert bounces.process(raw).kind == "auto-reply"
    assert not DeliveryEvent.objects.exists()
    assert Subscriber.objects.get(pk=readers[7].pk).status == "active"


def test_a_complaint_suppresses_and_pauses_the_publication_alone_past_the_limit(
    settings, delivered, other_publication, make_post, make_subscribers
):
    settings.HANJI_SEND_COMPLAINT_MIN_SENT = 10
    send, readers, by_address = delivered
    assert bounces.process(arf(by_address["reader8@example.org"].message_id)).kind == "complaint"
    assert Subscriber.objects.get(pk=readers[8].pk).status == "complained"
    options = SendingSettings.objects.get(publication=send.publication)
    assert options.paused_at is not None and "20" in options.paused_reason
    with pytest.raises(SendError):
        start_send_for_post(make_post(title="다음 글", slug="next"))
    # Another publication keeps sending.
    assert not SendingSettings.objects.filter(
        publication=other_publication, paused_at__isnull=False
    ).exists()


def test_one_complaint_under_the_rate_does_not_pause(settings, delivered):
    settings.HANJI_SEND_COMPLAINT_MIN_SENT = 1000
    send, readers, by_address = delivered
    bounces.process(arf(by_address["reader9@example.org"].message_id))
    assert Subscriber.objects.get(pk=readers[9].pk).status == "complained"
    assert SendingSettings.objects.get(publication=send.publication).paused_at is None


def test_the_command_reads_stdin_and_keeps_what_it_does_not_recognise(
    settings, delivered, monkeypatch, tmp_path
):
    send, readers, by_address = delivered
    item = by_address["reader10@example.org"]
    monkeypatch.setattr(
        "sys.stdin", io.TextIOWrapper(io.BytesIO(dsn(item.mail_from, "reader10@example.org", "")))
    )
    out = io.StringIO()
    call_command("bounces", "process", stdout=out)
    assert "hard: 1" in out.getvalue()
    unknown = b"From: someone@example.net\r\nSubject: hello\r\n\r\nJust a letter.\r\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(unknown)))
    call_command("bounces", "process", stdout=out)
    kept = list((settings.DATA_DIR / "bounces" / "unrecognised").glob("*.eml"))
    assert any(p.read_bytes() == unknown for p in kept)


def test_a_maildir_loses_only_the_messages_it_acted_on(delivered, tmp_path):
    send, readers, by_address = delivered
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    item = by_address["reader11@example.org"]
    box.add(dsn(item.mail_from, "reader11@example.org", item.message_id))
    unknown_key = box.add(b"From: a@example.net\r\nSubject: hi\r\n\r\nhello\r\n")
    call_command("bounces", "process", "--mailbox", str(tmp_path / "Maildir"), stdout=io.StringIO())
    box = mailbox.Maildir(tmp_path / "Maildir", create=False)
    assert list(box.keys()) == [unknown_key]
    assert Subscriber.objects.get(pk=readers[11].pk).status == "bounced"


def test_mail_to_the_unsubscribe_address_unsubscribes(
    publication, mail_to, make_post, make_subscribers, send_now
):
    SendingSettings.objects.filter(publication=publication).update(
        unsubscribe_mailto="leave@weekly.example.com"
    )
    (reader,) = make_subscribers(1)
    send_now(make_post())
    header = str(mail_to.received[0].message["List-Unsubscribe"])
    subject = header.split("subject=")[1].split(">")[0].replace("%20", " ")
    raw = f"From: reader0@example.org\r\nTo: leave@weekly.example.com\r\nSubject: {subject}\r\n\r\n".encode()
    assert bounces.process(raw).kind == "unsubscribe"
    reader.refresh_from_db()
    assert reader.status == "unsubscribed"
    # Someone else cannot use the token.
    reader2 = Subscriber.objects.create(
        publication=publication,
        email="x@example.org",
        status="active",
        created_at=reader.created_at,
    )
    raw = f"From: x@example.org\r\nTo: leave@weekly.example.com\r\nSubject: {subject}\r\n\r\n".encode()
    assert bounces.process(raw).kind != "unsubscribe"
    reader2.refresh_from_db()
    assert reader2.status == "active"


# --- webhooks -------------------------------------------------------------------------------


@pytest.fixture
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": "hook:s3cret"}
    return "Basic " + base64.b64encode(b"hook:s3cret").decode()


def postmark_bounce(delivery: Delivery, kind: str = "HardBounce") -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": kind,
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": delivery.subscriber.email,
        "From": "letter@weekly.example.com",
        "BouncedAt": "2026-11-28T10:00:00Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "이번 주 소식",
        "Metadata": {"hanji_delivery": delivery_reference(delivery.pk)},
    }


def test_a_signed_service_webhook_suppresses_a_bounced_address(client, webhook_secret, delivered):
    send, readers, by_address = delivered
    delivery = Delivery.objects.get(send=send, subscriber=readers[12])
    response = client.post(
        "/e/hooks/postmark/tracking/",
        json.dumps(postmark_bounce(delivery)),
        content_type="application/json",
        HTTP_AUTHORIZATION=webhook_secret,
    )
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=readers[12].pk).status == "bounced"
    assert DeliveryEvent.objects.filter(kind="bounce", source="webhook:Postmark").count() == 1


def test_a_webhook_without_the_secret_changes_nothing(client, webhook_secret, delivered):
    send, readers, by_address = delivered
    delivery = Delivery.objects.get(send=send, subscriber=readers[13])
    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()
    for headers in ({}, {"HTTP_AUTHORIZATION": wrong}):
        response = client.post(
            "/e/hooks/postmark/tracking/",
            json.dumps(postmark_bounce(delivery)),
            content_type="application/json",
            **headers,
        )
        assert response.status_code in (400, 401, 403)
    assert Subscriber.objects.get(pk=readers[13].pk).status == "active"


def test_a_service_complaint_suppresses(client, webhook_secret, delivered):
    send, readers, by_address = delivered
    delivery = Delivery.objects.get(send=send, subscriber=readers[14])
    payload = {**postmark_bounce(delivery, "SpamComplaint"), "RecordType": "SpamComplaint"}
    response = client.post(
        "/e/hooks/postmark/tracking/", json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=webhook_secret,
    )  # fmt: skip
    assert response.status_code == 200
    assert Subscriber.objects.get(pk=readers[14].pk).status == "complained"

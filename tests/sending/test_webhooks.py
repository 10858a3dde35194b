"""Bounce and complaint webhooks of Mailgun, SendGrid, Amazon SES (through SNS) and Postmark,
with each service's documented payloads, signed the way the service signs them (Mailgun:
HMAC-SHA256 of timestamp + token; SendGrid: ECDSA P-256 over timestamp + body; SNS: RSA over
its canonical string, with a certificate served from 127.0.0.1 in place of SNS's host;
Postmark: the shared basic-auth secret)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from hanji.sending import events, sns
from hanji.sending.models import Delivery, DeliveryEvent
from hanji.sending.personalize import message_id
from hanji.subscribers.models import Subscriber

SECRET = "hook:s3cret"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
MAILGUN_KEY = "key-0123456789abcdef0123456789abcdef"


@pytest.fixture
def sent(settings, make_post, make_subscribers, send_now):
    """A send through the outbox to six readers: (send, readers)."""
    readers = make_subscribers(6)
    send = send_now(make_post())
    assert send.state == "sent"
    return send, readers


def delivery_of(send, reader) -> Delivery:
    return Delivery.objects.select_related("subscriber").get(send=send, subscriber=reader)


def status(reader) -> str:
    return Subscriber.objects.values_list("status", flat=True).get(pk=reader.pk)


# --- the services ---------------------------------------------------------------------------


class Mailgun:
    path = "/e/hooks/mailgun/tracking/"

    def __init__(self, settings):
        settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}

    def _event(self, delivery: Delivery | None, data: dict, recipient: str = "") -> dict:
        recipient = recipient or delivery.subscriber.email
        timestamp, token = str(int(time.time())), hashlib.sha256(repr(data).encode()).hexdigest()
        signature = hmac.new(
            MAILGUN_KEY.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
        ).hexdigest()
        return {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": {
                "id": "G9Bn5sl1TC6nu79C8C0bwg",
                "timestamp": time.time(),
                "log-level": "error",
                "recipient": recipient,
                "recipient-domain": recipient.split("@")[1],
                "message": {
                    "headers": {
                        "to": recipient,
                        "message-id": "20261128100000.1.5C6D7E@mg.weekly.example.com",
                        "from": "주간 실리콘밸리 <letter@weekly.example.com>",
                        "subject": "이번 주 소식",
                    },
                    "attachments": [],
                    "size": 2048,
                },
                "tags": [],
                "campaigns": [],
                "user-variables": (
                    {"hanji_delivery": str(delivery.pk)} if delivery is not None else {}
                ),
                **data,
            },
        }

    def hard(self, delivery, recipient=""):
        return self._event(delivery, {
            "event": "failed", "severity": "permanent", "reason": "bounce",
            "delivery-status": {
                "attempt-no": 1, "code": 550, "session-seconds": 0.4,
                "message": "5.1.1 The email account that you tried to reach does not exist.",
                "description": "",
            },
        }, recipient)  # fmt: skip

    def soft(self, delivery):
        return self._event(delivery, {
            "event": "failed", "severity": "temporary", "reason": "generic",
            "delivery-status": {
                "attempt-no": 2, "code": 452, "retry-seconds": 600,
                "message": "4.2.2 The email account that you tried to reach is over quota.",
                "description": "",
            },
        })  # fmt: skip

    def complaint(self, delivery):
        return self._event(delivery, {"event": "complained"})

    def unknown(self, recipient):
        return self.hard(None, recipient)

    def post(self, client, payload, tamper=False):
        if tamper:
            payload["signature"]["signature"] = "0" * 64
        return client.post(self.path, json.dumps(payload), content_type="application/json")


class SendGrid:
    path = "/e/hooks/sendgrid/tracking/"

    def __init__(self, settings):
        self.key = ec.generate_private_key(ec.SECP256R1())
        public = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        # SendGrid shows the verification key as one line of base64 (DER, no PEM frame).
        settings.ANYMAIL = {
            "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(public).decode()
        }

    def _event(self, delivery, data, recipient=""):
        event = {
            "email": recipient or delivery.subscriber.email,
            "timestamp": int(time.time()),
            "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
            "sg_event_id": "sg_event_id_" + hashlib.md5(repr(data).encode()).hexdigest(),
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
            "anymail_id": "3c2f4df8-c6dd-4cd2-9b91-6582b81a0349",
            **data,
        }
        if delivery is not None:
            event["hanji_delivery"] = str(delivery.pk)  # custom_args come back as keys
        return [event]

    def hard(self, delivery):
        return self._event(delivery, {
            "event": "bounce", "type": "bounce", "status": "5.1.1",
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
            "bounce_classification": "Invalid Address",
        })  # fmt: skip

    def soft(self, delivery):
        return self._event(delivery, {
            "event": "bounce", "type": "blocked", "status": "4.7.1",
            "reason": "421 4.7.1 Try again later", "bounce_classification": "Reputation",
        })  # fmt: skip

    def complaint(self, delivery):
        return self._event(delivery, {"event": "spamreport"})

    def unknown(self, recipient):
        return self._event(None, {
            "event": "bounce", "type": "bounce", "status": "5.1.1",
            "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
        }, recipient)  # fmt: skip

    def post(self, client, payload, tamper=False):
        body = json.dumps(payload).encode()
        timestamp = str(int(time.time()))
        signature = self.key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        if tamper:
            body += b" "  # still valid JSON, no longer what was signed
        return client.post(
            self.path, body, content_type="application/json",
            HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
            HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
        )  # fmt: skip


class CertificateServer:
    """Serves one PEM file on 127.0.0.1, standing in for sns.<region>.amazonaws.com."""

    def __init__(self, pem: bytes):
        self.paths: list[str] = []
        paths = self.paths

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                paths.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-pem-file")
                self.end_headers()
                self.wfile.write(pem)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SES:
    path = "/e/hooks/amazon_ses/tracking/"
    topic = "arn:aws:sns:ap-northeast-2:123456789012:hanji-ses-events"

    def __init__(self, settings, certificates: CertificateServer, key):
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}
        settings.HANJI_SEND_SNS_URL_PATTERN = r"^http://127\.0\.0\.1:\d+/"
        self.cert_url = (
            certificates.url + "SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"
        )
        self.key = key
        self.count = 0

    def _event(self, delivery, data, recipient="", ours=True):
        recipient = recipient or delivery.subscriber.email
        headers = [
            {"name": "From", "value": "주간 실리콘밸리 <letter@weekly.example.com>"},
            {"name": "To", "value": recipient},
        ]
        own_id = "<CAF5x9kqGqz3@mail.example.net>"
        if delivery is not None:
            own_id = message_id(delivery.send_id, delivery.subscriber_id, "weekly.example.com")
            headers.append({"name": "X-Metadata", "value": json.dumps(
                {"hanji_delivery": str(delivery.pk)})})  # fmt: skip
        headers.append({"name": "Message-ID", "value": own_id})
        return {
            **data,
            "mail": {
                "timestamp": "2026-11-28T10:00:00.000Z",
                "source": "letter@weekly.example.com",
                "sourceArn": "arn:aws:ses:ap-northeast-2:123456789012:identity/weekly.example.com",
                "sendingAccountId": "123456789012",
                "messageId": "010c0192d5b5c3a4-6b2fdbb4-1e8a-4a4d-9b0c-4a7e2f1c9d3e-000000",
                "destination": [recipient],
                "headersTruncated": False,
                "headers": headers,
                "commonHeaders": {
                    "from": ["주간 실리콘밸리 <letter@weekly.example.com>"],
                    "to": [recipient],
                    "messageId": own_id,
                    "subject": "이번 주 소식",
                },
            },
        }

    def hard(self, delivery):
        return self._event(delivery, {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{
                    "emailAddress": delivery.subscriber.email, "action": "failed",
                    "status": "5.1.1", "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                }],
                "timestamp": "2026-11-28T10:00:01.000Z",
                "feedbackId": "010c0192d5b5c3a4-feedback-000000",
                "reportingMTA": "dsn; a8-55.smtp-out.amazonses.com",
            },
        })  # fmt: skip

    def soft(self, delivery):
        return self._event(delivery, {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Transient", "bounceSubType": "MailboxFull",
                "bouncedRecipients": [{
                    "emailAddress": delivery.subscriber.email, "action": "failed",
                    "status": "4.2.2", "diagnosticCode": "smtp; 452 4.2.2 mailbox full",
                }],
                "timestamp": "2026-11-28T10:00:01.000Z",
                "feedbackId": "010c0192d5b5c3a4-feedback-000001",
            },
        })  # fmt: skip

    def complaint(self, delivery):
        return self._event(delivery, {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": delivery.subscriber.email}],
                "timestamp": "2026-11-28T10:05:00.000Z",
                "feedbackId": "010c0192d5b5c3a4-feedback-000002",
                "userAgent": "ExampleCorp Feedback Loop (V0.01)",
                "complaintFeedbackType": "abuse",
            },
        })  # fmt: skip

    def unknown(self, recipient):
        event = self._event(None, {
            "notificationType": "Bounce",
            "bounce": {
                "bounceType": "Permanent", "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": recipient, "status": "5.1.1"}],
                "timestamp": "2026-11-28T10:00:01.000Z",
            },
        }, recipient)  # fmt: skip
        return event

    def envelope(self, ses_event: dict) -> dict:
        self.count += 1
        message = {
            "Type": "Notification",
            "MessageId": f"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf3{self.count:02d}",
            "TopicArn": self.topic,
            "Message": json.dumps(ses_event),
            "Timestamp": "2026-11-28T10:00:02.000Z",
            "SignatureVersion": "2",
            "SigningCertURL": self.cert_url,
            "UnsubscribeURL": "https://sns.ap-northeast-2.amazonaws.com/?Action=Unsubscribe",
        }
        signature = self.key.sign(sns.string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
        message["Signature"] = base64.b64encode(signature).decode()
        return message

    def post(self, client, payload, tamper=False, auth=AUTH):
        message = self.envelope(payload)
        if tamper:
            message["Message"] += " "  # still valid JSON, no longer what was signed
        extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
        return client.post(
            self.path, json.dumps(message), content_type="text/plain; charset=UTF-8",
            HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
            HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"],
            HTTP_X_AMZ_SNS_TOPIC_ARN=self.topic, **extra,
        )  # fmt: skip


class Postmark:
    path = "/e/hooks/postmark/tracking/"

    def __init__(self, settings):
        settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}

    def _event(self, delivery, kind, recipient=""):
        record = "SpamComplaint" if kind == "SpamComplaint" else "Bounce"
        return {
            "RecordType": record,
            "ID": 4323372036854775807,
            "Type": kind,
            "TypeCode": {"HardBounce": 1, "SoftBounce": 4096, "SpamComplaint": 512}[kind],
            "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "Description": "The server was unable to deliver your message.",
            "Details": f"smtp;{'550 5.1.1' if kind == 'HardBounce' else '452 4.2.2'} refused",
            "Email": recipient or delivery.subscriber.email,
            "From": "letter@weekly.example.com",
            "BouncedAt": "2026-11-28T10:00:00Z",
            "Inactive": kind != "SoftBounce",
            "CanActivate": True,
            "Subject": "이번 주 소식",
            "Metadata": {"hanji_delivery": str(delivery.pk)} if delivery is not None else {},
        }

    def hard(self, delivery):
        return self._event(delivery, "HardBounce")

    def soft(self, delivery):
        return self._event(delivery, "SoftBounce")

    def complaint(self, delivery):
        return self._event(delivery, "SpamComplaint")

    def unknown(self, recipient):
        return self._event(None, "HardBounce", recipient)

    def post(self, client, payload, tamper=False):
        auth = "Basic " + base64.b64encode(b"hook:guess").decode() if tamper else AUTH
        return client.post(
            self.path, json.dumps(payload), content_type="application/json",
            HTTP_AUTHORIZATION=auth,
        )  # fmt: skip


@pytest.fixture(scope="module")
def sns_signing():
    """An RSA key and a self-signed certificate like SNS's, served over HTTP on 127.0.0.1."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    server = CertificateServer(cert.public_bytes(serialization.Encoding.PEM))
    yield server, key
    server.close()
    sns._public_key.cache_clear()


SERVICES = ["mailgun", "sendgrid", "ses", "postmark"]


@pytest.fixture(params=SERVICES)
def service(request, settings):
    if request.param == "ses":
        server, key = request.getfixturevalue("sns_signing")
        return SES(settings, server, key)
    return {"mailgun": Mailgun, "sendgrid": SendGrid, "postmark": Postmark}[request.param](settings)


def kinds(reader) -> list[str]:
    return list(
        DeliveryEvent.objects.filter(subscriber=reader)
        .order_by("id")
        .values_list("kind", flat=True)
    )


# --- what every service's webhook must do -----------------------------------------------------


def test_a_signed_hard_bounce_suppresses_the_address_at_once(client, service, sent):
    send, readers = sent
    response = service.post(client, service.hard(delivery_of(send, readers[1])))
    assert response.status_code == 200, response.content
    assert status(readers[1]) == "bounced"
    assert kinds(readers[1]) == ["bounce"]
    assert [status(r) for r in readers if r != readers[1]] == ["active"] * 5


def test_a_signed_complaint_suppresses_the_address_at_once(client, service, sent):
    send, readers = sent
    response = service.post(client, service.complaint(delivery_of(send, readers[2])))
    assert response.status_code == 200, response.content
    assert status(readers[2]) == "complained"
    assert kinds(readers[2]) == ["complaint"]


def test_a_soft_bounce_counts_toward_the_soft_bounce_rule(client, settings, service, sent):
    settings.HANJI_SEND_SOFT_BOUNCE_LIMIT = 2
    send, readers = sent
    reader = readers[3]
    payload = service.soft(delivery_of(send, reader))
    assert service.post(client, payload).status_code == 200
    assert status(reader) == "active" and kinds(reader) == ["soft_bounce"]
    # The same message reported again (a retry, or the webhook delivered twice) is still one.
    assert service.post(client, service.soft(delivery_of(send, reader))).status_code == 200
    assert status(reader) == "active"
    # A soft bounce of another message (here a DSN with no delivery) reaches the limit.
    events.bounce(None, subscriber=reader, hard=False, detail="452 4.2.2", source="dsn")
    assert status(reader) == "bounced"


def test_a_bad_signature_is_refused_and_changes_nothing(client, service, sent):
    send, readers = sent
    for payload in (service.hard(delivery_of(send, readers[4])),
                    service.complaint(delivery_of(send, readers[4]))):  # fmt: skip
        response = service.post(client, payload, tamper=True)
        assert response.status_code in (400, 401, 403), response.content
    assert status(readers[4]) == "active"
    assert kinds(readers[4]) == []


def test_an_unrecognised_message_is_left_alone(client, service, sent):
    send, readers = sent
    # A bounce for an address and message Hanji never sent, and one that names a real
    # reader but none of Hanji's messages.
    for recipient in ("someone@elsewhere.example", readers[5].email):
        response = service.post(client, service.unknown(recipient))
        assert response.status_code == 200, response.content
    assert status(readers[5]) == "active"
    assert not DeliveryEvent.objects.exists()


def test_a_delivery_id_for_another_reader_is_not_believed(client, settings, sent):
    """Metadata names a delivery; the event's recipient must be that delivery's reader."""
    mailgun = Mailgun(settings)
    send, readers = sent
    payload = mailgun.hard(delivery_of(send, readers[0]), recipient=readers[1].email)
    assert mailgun.post(client, payload).status_code == 200
    assert [status(readers[0]), status(readers[1])] == ["active", "active"]


def test_ses_without_the_shared_secret_asks_for_it_and_changes_nothing(
    client, settings, sns_signing, sent
):
    ses = SES(settings, *sns_signing)
    send, readers = sent
    response = ses.post(client, ses.hard(delivery_of(send, readers[0])), auth="")
    assert response.status_code == 401 and "WWW-Authenticate" in response
    wrong = "Basic " + base64.b64encode(b"hook:guess").decode()
    response = ses.post(client, ses.hard(delivery_of(send, readers[0])), auth=wrong)
    assert response.status_code == 400
    assert status(readers[0]) == "active"


def test_ses_refuses_a_certificate_from_outside_sns(client, settings, sns_signing, sent):
    ses = SES(settings, *sns_signing)
    settings.HANJI_SEND_SNS_URL_PATTERN = sns.conf.DEFAULTS["SNS_URL_PATTERN"]
    send, readers = sent
    response = ses.post(client, ses.hard(delivery_of(send, readers[0])))
    assert response.status_code == 400
    assert status(readers[0]) == "active"


def test_a_service_that_blocks_the_sender_does_not_suppress_the_reader(client, settings, sent):
    mailgun = Mailgun(settings)
    send, readers = sent
    payload = mailgun.hard(delivery_of(send, readers[0]))
    payload["event-data"]["reason"] = "espblock"
    assert mailgun.post(client, payload).status_code == 200
    assert status(readers[0]) == "active" and kinds(readers[0]) == ["soft_bounce"]
    sendgrid = SendGrid(settings)
    dropped = sendgrid._event(delivery_of(send, readers[1]), {
        "event": "dropped", "reason": "Spam Content (if spam checker app enabled)",
    })  # fmt: skip
    assert sendgrid.post(client, dropped).status_code == 200
    assert status(readers[1]) == "active" and kinds(readers[1]) == ["failed"]


def test_a_sendgrid_drop_for_an_address_that_reported_spam_is_a_complaint(client, settings, sent):
    sendgrid = SendGrid(settings)
    send, readers = sent
    dropped = sendgrid._event(delivery_of(send, readers[2]), {
        "event": "dropped", "reason": "Spam Reporting Address",
    })  # fmt: skip
    assert sendgrid.post(client, dropped).status_code == 200
    assert status(readers[2]) == "complained"


def test_an_sns_subscription_is_confirmed_by_visiting_its_subscribe_url(
    db, client, settings, sns_signing
):
    server, key = sns_signing
    ses = SES(settings, server, key)
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a",
        "TopicArn": ses.topic,
        "Message": f"You have chosen to subscribe to the topic {ses.topic}.",
        "SubscribeURL": server.url + "?Action=ConfirmSubscription&Token=2336412f",
        "Timestamp": "2026-11-28T10:00:00.000Z",
        "SignatureVersion": "2",
        "SigningCertURL": ses.cert_url,
    }
    signature = key.sign(sns.string_to_sign(message), padding.PKCS1v15(), hashes.SHA256())
    message["Signature"] = base64.b64encode(signature).decode()
    response = client.post(
        ses.path, json.dumps(message), content_type="text/plain; charset=UTF-8",
        HTTP_X_AMZ_SNS_MESSAGE_TYPE="SubscriptionConfirmation",
        HTTP_X_AMZ_SNS_MESSAGE_ID=message["MessageId"], HTTP_AUTHORIZATION=AUTH,
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert "/?Action=ConfirmSubscription&Token=2336412f" in server.paths

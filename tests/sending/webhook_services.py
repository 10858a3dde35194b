"""Each email service's documented webhook payloads, signed the way the service signs them
(used by test_webhooks.py and tests/security/test_webhooks_forged.py).

Each service object configures Hanji for it (its key, secret or topic), builds events that
name a delivery the way Hanji's messages do (`delivery_reference`), and posts them signed;
`post(..., tamper=True)` posts them with the proof broken."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding

from hanji.sending import sns
from hanji.sending.models import Delivery
from hanji.sending.personalize import delivery_reference, message_id

SECRET = "hook:s3cret"
AUTH = "Basic " + base64.b64encode(SECRET.encode()).decode()
MAILGUN_KEY = "key-0123456789abcdef0123456789abcdef"


class Mailgun:
    path = "/e/hooks/mailgun/tracking/"

    def __init__(self, settings):
        settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}

    def _event(self, delivery: Delivery | None, data: dict, recipient: str = "") -> dict:
        recipient = recipient or delivery.subscriber.email
        return {
            "signature": self.signature(),
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
                    {"hanji_delivery": delivery_reference(delivery.pk)}
                    if delivery is not None
                    else {}
                ),
                **data,
            },
        }

    @staticmethod
    def signature(timestamp: int | None = None, key: str = MAILGUN_KEY) -> dict:
        """Mailgun's signature block: a fresh 50-character token, HMAC-SHA256 of timestamp
        and token with the webhook signing key."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        token = secrets.token_hex(25)
        signature = hmac.new(key.encode(), f"{stamp}{token}".encode(), hashlib.sha256)
        return {"timestamp": stamp, "token": token, "signature": signature.hexdigest()}

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
        if delivery is not None:  # custom_args come back as keys
            event["hanji_delivery"] = delivery_reference(delivery.pk)
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

    def signed(self, payload, timestamp=None, key=None) -> tuple[bytes, dict]:
        """The body and headers of one signed call: ECDSA P-256 over timestamp + body."""
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        timestamp = str(int(time.time()) if timestamp is None else timestamp)
        key = key or self.key
        signature = key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return body, {
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE": base64.b64encode(signature).decode(),
            "HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP": timestamp,
        }

    def post(self, client, payload, tamper=False, timestamp=None):
        body, headers = self.signed(payload, timestamp)
        if tamper:
            body += b" "  # still valid JSON, no longer what was signed
        return self.post_signed(client, body, headers)

    def post_signed(self, client, body: bytes, headers: dict):
        return client.post(self.path, body, content_type="application/json", **headers)


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
        settings.HANJI_SNS_TOPIC_ARNS = [self.topic]
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
                {"hanji_delivery": delivery_reference(delivery.pk)})})  # fmt: skip
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

    @staticmethod
    def now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def envelope(self, ses_event: dict, timestamp: str = "", topic: str = "") -> dict:
        self.count += 1
        message = {
            "Type": "Notification",
            "MessageId": f"22b80b92-fdea-4c2c-8f9d-{secrets.token_hex(6)}",
            "TopicArn": topic or self.topic,
            "Message": json.dumps(ses_event),
            "Timestamp": timestamp or self.now(),
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
        return self.post_message(client, message, auth)

    def post_message(self, client, message: dict | bytes, auth=AUTH):
        """Post one SNS message (an envelope, or raw bytes) as SNS does."""
        body = message if isinstance(message, bytes) else json.dumps(message)
        kind = message.get("Type", "") if isinstance(message, dict) else "Notification"
        extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
        return client.post(
            self.path, body, content_type="text/plain; charset=UTF-8",
            HTTP_X_AMZ_SNS_MESSAGE_TYPE=kind, HTTP_X_AMZ_SNS_TOPIC_ARN=self.topic, **extra,
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
            "Metadata": (
                {"hanji_delivery": delivery_reference(delivery.pk)} if delivery is not None else {}
            ),
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

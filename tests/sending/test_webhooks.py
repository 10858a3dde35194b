"""Bounce and complaint webhooks of Mailgun, SendGrid, Amazon SES (through SNS) and Postmark,
with each service's documented payloads, signed the way the service signs them (Mailgun:
HMAC-SHA256 of timestamp + token; SendGrid: ECDSA P-256 over timestamp + body; SNS: RSA over
its canonical string, with a certificate served from 127.0.0.1 in place of SNS's host;
Postmark: the shared basic-auth secret)."""

from __future__ import annotations

import base64
import datetime
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from hanji.sending import events, sns
from hanji.sending.models import Delivery, DeliveryEvent
from hanji.subscribers.models import Subscriber
from tests.sending.webhook_services import (
    AUTH,
    SES,
    CertificateServer,
    Mailgun,
    Postmark,
    SendGrid,
)


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
    assert response.status_code == 401
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
        "Timestamp": SES.now(),
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

"""Forged email-service webhooks change nothing, and no webhook call is ever a 500.

For each service (Postmark, Mailgun, SendGrid, Amazon SES through SNS) a corpus of forgeries:
no proof configured, unsigned, the wrong key, a stale timestamp, a replay, another service's
scheme, a bare delivery id, bodies that are not JSON or are huge. Each is answered 400 or 401
and leaves every reader's status and every delivery event as they were.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import json
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

from hanji.sending import sns
from hanji.sending.models import Delivery, DeliveryEvent
from hanji.sending.personalize import delivery_reference, parse_delivery_reference
from hanji.subscribers.models import Subscriber
from tests.sending import conftest as sending_fixtures
from tests.sending.webhook_services import (
    AUTH,
    MAILGUN_KEY,
    SES,
    CertificateServer,
    Mailgun,
    Postmark,
    SendGrid,
)

newsletter, send_now = sending_fixtures.newsletter, sending_fixtures.send_now
make_subscribers = sending_fixtures.make_subscribers
REFUSED = (400, 401)
DAY = 24 * 3600


@pytest.fixture
def sent(make_post, make_subscribers, send_now):
    readers = make_subscribers(3)
    send = send_now(make_post())
    assert send.state == "sent"
    return send, readers


@pytest.fixture(scope="module")
def sns_signing():
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


@pytest.fixture(params=["postmark", "mailgun", "sendgrid", "ses"])
def service(request, settings):
    if request.param == "ses":
        return SES(settings, *request.getfixturevalue("sns_signing"))
    return {"mailgun": Mailgun, "sendgrid": SendGrid, "postmark": Postmark}[request.param](settings)


def delivery_of(send, reader) -> Delivery:
    return Delivery.objects.select_related("subscriber").get(send=send, subscriber=reader)


def unchanged(readers) -> bool:
    statuses = set(Subscriber.objects.filter(pk__in=[r.pk for r in readers]).values_list(
        "status", flat=True))  # fmt: skip
    return statuses == {"active"} and not DeliveryEvent.objects.exists()


# --- nothing is heard until the operator sets the service's proof ------------------------------


def test_the_forged_postmark_bounce_of_the_report_is_refused_with_no_secret_set(
    client, settings, sent
):
    settings.ANYMAIL = {}
    send, readers = sent
    for record in (
        {"RecordType": "Bounce", "Type": "HardBounce",
         "Metadata": {"hanji_delivery": str(delivery_of(send, readers[0]).pk)}},
        {"RecordType": "SpamComplaint", "Type": "SpamComplaint", "Email": readers[0].email},
        {"RecordType": "SubscriptionChange", "SuppressSending": True,
         "Recipient": readers[0].email},
    ):  # fmt: skip
        response = client.post(
            "/e/hooks/postmark/tracking/", json.dumps(record), content_type="application/json"
        )
        assert response.status_code == 401
    assert unchanged(readers)


def test_a_service_without_its_proof_configured_refuses_even_a_well_signed_call(
    client, settings, service, sent
):
    send, readers = sent
    payload = service.hard(delivery_of(send, readers[0]))
    settings.ANYMAIL = {}
    settings.HANJI_SNS_TOPIC_ARNS = []
    response = service.post(client, payload)
    assert response.status_code == 401
    assert unchanged(readers)


def test_services_hanji_does_not_hear_are_not_found(client, settings, sent):
    settings.ANYMAIL = {}
    for path in ("mailjet/tracking/", "brevo/tracking/", "resend/tracking/",
                 "postmark/inbound/", "mailgun/inbound/", "mandrill/", "../admin/"):  # fmt: skip
        response = client.post(f"/e/hooks/{path}", "{}", content_type="application/json")
        assert response.status_code == 404, path
    assert unchanged(sent[1])


# --- the corpus of forgeries, per service --------------------------------------------------------


def test_a_call_without_any_proof_is_refused(client, service, sent):
    send, readers = sent
    payload = service.hard(delivery_of(send, readers[0]))
    body = payload if isinstance(service, Postmark | Mailgun | SendGrid) else service.envelope(
        payload)  # fmt: skip
    if isinstance(service, Mailgun):
        del body["signature"]
    if isinstance(service, SES):
        del body["Signature"]
    response = client.post(service.path, json.dumps(body), content_type="application/json",
                           HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification")  # fmt: skip
    assert response.status_code in REFUSED
    assert unchanged(readers)


def test_a_call_with_the_proof_broken_is_refused(client, service, sent):
    send, readers = sent
    response = service.post(client, service.complaint(delivery_of(send, readers[0])), tamper=True)
    assert response.status_code in REFUSED
    assert unchanged(readers)


def test_a_mailgun_call_signed_with_another_key_or_stale_or_replayed_is_refused(
    client, settings, sent
):
    mailgun = Mailgun(settings)
    send, readers = sent
    other_key = mailgun.hard(delivery_of(send, readers[0]))
    other_key["signature"] = Mailgun.signature(key="key-" + "f" * 32)
    stale = mailgun.hard(delivery_of(send, readers[0]))
    stale["signature"] = Mailgun.signature(timestamp=int(time.time()) - DAY - 60)
    future = mailgun.hard(delivery_of(send, readers[0]))
    future["signature"] = Mailgun.signature(timestamp=int(time.time()) + 3600)
    for payload in (other_key, stale, future):
        assert mailgun.post(client, payload).status_code in REFUSED
    assert unchanged(readers)
    signed = mailgun.soft(delivery_of(send, readers[1]))
    assert mailgun.post(client, signed).status_code == 200
    assert mailgun.post(client, signed).status_code == 400  # the same token again
    assert DeliveryEvent.objects.count() == 1


def test_a_sendgrid_call_signed_with_another_key_or_stale_or_replayed_is_refused(
    client, settings, sent
):
    sendgrid = SendGrid(settings)
    send, readers = sent
    payload = sendgrid.hard(delivery_of(send, readers[0]))
    stranger = ec.generate_private_key(ec.SECP256R1())
    for body, headers in (
        sendgrid.signed(payload, key=stranger),
        sendgrid.signed(payload, timestamp=int(time.time()) - DAY - 60),
        sendgrid.signed(payload, timestamp=int(time.time()) + 3600),
    ):
        assert sendgrid.post_signed(client, body, headers).status_code in REFUSED
    assert unchanged(readers)
    body, headers = sendgrid.signed(sendgrid.soft(delivery_of(send, readers[1])))
    assert sendgrid.post_signed(client, body, headers).status_code == 200
    assert sendgrid.post_signed(client, body, headers).status_code == 400
    assert DeliveryEvent.objects.count() == 1


def test_an_sns_message_from_another_topic_or_stale_or_replayed_is_refused(
    client, settings, sns_signing, sent
):
    ses = SES(settings, *sns_signing)
    send, readers = sent
    event = ses.hard(delivery_of(send, readers[0]))
    stale = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)).isoformat()
    for message in (
        ses.envelope(event, topic="arn:aws:sns:ap-northeast-2:999999999999:someone-elses"),
        ses.envelope(event, timestamp=stale.replace("+00:00", "Z")),
    ):
        assert ses.post_message(client, message).status_code in REFUSED
    # Signed by a key SNS never had (a certificate served from the same host).
    forged = ses.envelope(event)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged["Signature"] = base64.b64encode(stranger.sign(
        sns.string_to_sign(forged), padding.PKCS1v15(), hashes.SHA256())).decode()  # fmt: skip
    assert ses.post_message(client, forged).status_code in REFUSED
    assert unchanged(readers)
    message = ses.envelope(ses.soft(delivery_of(send, readers[1])))
    assert ses.post_message(client, message).status_code == 200
    assert ses.post_message(client, message).status_code == 400
    assert DeliveryEvent.objects.count() == 1


def test_another_services_proof_opens_no_door(client, settings, sent):
    """Each endpoint asks for its own proof: a Mailgun signature means nothing to SendGrid,
    Postmark's secret nothing to Mailgun."""
    send, readers = sent
    settings.ANYMAIL = {
        "WEBHOOK_SECRET": "hook:s3cret",
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    }
    mailgun = Mailgun.__new__(Mailgun)
    signed_for_mailgun = mailgun.hard(delivery_of(send, readers[0]))
    for path in ("/e/hooks/sendgrid/tracking/", "/e/hooks/amazon_ses/tracking/"):
        response = client.post(path, json.dumps(signed_for_mailgun),
                               content_type="application/json", HTTP_AUTHORIZATION=AUTH)  # fmt: skip
        assert response.status_code in REFUSED, path
    postmark = Postmark.__new__(Postmark)
    response = client.post("/e/hooks/mailgun/tracking/",
                           json.dumps(postmark.hard(delivery_of(send, readers[0]))),
                           content_type="application/json", HTTP_AUTHORIZATION=AUTH)  # fmt: skip
    assert response.status_code in REFUSED
    assert unchanged(readers)


def test_a_signed_event_naming_a_bare_delivery_id_is_not_believed(client, settings, sent):
    """Delivery ids count up from 1: an event names a delivery only by the MAC'd reference
    Hanji put in the message."""
    mailgun = Mailgun(settings)
    send, readers = sent
    delivery = delivery_of(send, readers[0])
    payload = mailgun.hard(delivery, recipient="someone@elsewhere.example")
    payload["event-data"]["user-variables"] = {"hanji_delivery": str(delivery.pk)}
    payload["event-data"]["recipient"] = readers[0].email
    assert mailgun.post(client, payload).status_code == 200
    assert unchanged(readers)


def test_a_delivery_reference_is_unforgeable():
    reference = delivery_reference(36)
    assert parse_delivery_reference(reference) == 36
    assert reference != "36" and len(reference) > 20
    number, mac = reference.split(".")
    for forged in ("36", f"37.{mac}", f"36.{'0' * len(mac)}", f"36.{mac[:-1]}", 36, None,
                   ["36"], f" {reference}", reference.upper()):  # fmt: skip
        assert parse_delivery_reference(forged) is None, forged


# --- garbage: always 400 or 401, never 500 ------------------------------------------------------

GARBAGE = [
    b"",
    b"not json",
    b"\xff\xfe\x00garbage",
    b"[]",
    b"[1, 2, 3]",
    b"null",
    b"42",
    b'"a string"',
    b"{}",
    b'{"signature": "x"}',
    b'{"signature": {"timestamp": 1, "token": [], "signature": {}}}',
    b'{"signature": {"timestamp": "abc", "token": "t", "signature": "s"}}',
    b'{"Type": "Notification", "TopicArn": ["x"], "Signature": 5}',
    b'{"RecordType": "Bounce", "Metadata": "36"}',
    b"{" * 10000,
    b'{"a": "' + b"x" * 3_000_000 + b'"}',  # larger than DATA_UPLOAD_MAX_MEMORY_SIZE
]


@pytest.mark.parametrize("garbage", GARBAGE, ids=lambda g: repr(g[:20]))
def test_garbage_is_refused_by_every_service_never_a_server_error(
    client, settings, sns_signing, garbage, sent
):
    SES(settings, *sns_signing)  # the topic and certificate host
    settings.ANYMAIL = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
        "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": base64.b64encode(
            ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        ).decode(),
    }  # fmt: skip
    for path in ("postmark", "mailgun", "sendgrid", "amazon_ses"):
        for content_type in ("application/json", "text/plain", "application/x-www-form-urlencoded"):
            response = client.post(f"/e/hooks/{path}/tracking/", garbage,
                                   content_type=content_type,
                                   HTTP_X_AMZ_SNS_MESSAGE_TYPE="Notification",
                                   HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE="AAAA",
                                   HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP="1")  # fmt: skip
            assert response.status_code in REFUSED, (path, content_type)
    assert unchanged(sent[1])


def test_signed_garbage_is_refused_not_a_server_error(client, settings, sent):
    """A body with a valid signature but nothing readable in it."""
    settings.ANYMAIL = {"MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY}
    for event_data in ("x", [], 5, {"event": ["failed"]}, {"event": "failed", "timestamp": "x"}):
        body = {"signature": Mailgun.signature(), "event-data": event_data}
        response = client.post("/e/hooks/mailgun/tracking/", json.dumps(body),
                               content_type="application/json")  # fmt: skip
        assert response.status_code in (200, *REFUSED), event_data
    sendgrid = SendGrid(settings)
    for events in ([5], ["x"], [{"event": {}}], [{}], [None]):
        assert sendgrid.post(client, events).status_code in (200, *REFUSED), events
    assert unchanged(sent[1])


def test_a_postmark_call_with_the_wrong_secret_or_none_is_refused(client, settings, sent):
    postmark = Postmark(settings)
    send, readers = sent
    body = json.dumps(postmark.hard(delivery_of(send, readers[0])))
    for auth in (None, "Basic " + base64.b64encode(b"hook:guess").decode(), "Basic !!!",
                 "Bearer hook:s3cret", "Basic " + base64.b64encode(b"hook:s3cre").decode(),
                 AUTH + "x"):  # fmt: skip
        extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
        response = client.post(postmark.path, body, content_type="application/json", **extra)
        assert response.status_code == 401, auth
        assert 'Basic realm="Hanji webhooks"' in response["WWW-Authenticate"]
    assert unchanged(readers)


def test_a_get_changes_nothing_and_a_head_probe_is_answered(client, settings, sent):
    Postmark(settings)
    assert client.get("/e/hooks/postmark/tracking/").status_code == 405
    assert client.head("/e/hooks/postmark/tracking/").status_code == 200
    assert unchanged(sent[1])


def test_the_mailgun_signature_is_the_documented_hmac():
    block = Mailgun.signature(timestamp=1770920772)
    expected = hmac.new(MAILGUN_KEY.encode(), f"1770920772{block['token']}".encode(),
                        hashlib.sha256).hexdigest()  # fmt: skip
    assert block["signature"] == expected and len(block["token"]) == 50

"""The email services' webhook endpoints (/e/hooks/<service>/tracking/): which services Hanji
hears, and what each call must prove before anything it says is believed.

1. A service is heard only once the operator configured its proof: Postmark the shared secret
   (basic auth, the only proof Postmark offers), Mailgun its webhook signing key, SendGrid its
   signed-event-webhook verification key, Amazon SES the SNS topics it publishes to. Until then
   every call answers 401 and nothing is read. Services not listed here answer 404.
2. When HANJI_WEBHOOK_SECRET is set, every call must also carry it (anymail's rule): a call
   without credentials is answered 401 with a challenge, which SNS needs before it sends them.
3. The proof is checked the way the service documents it, in constant time; where the service
   signs a time (Mailgun, SendGrid, SNS) a call older than WEBHOOK_MAX_AGE is refused, and a
   signed call seen before is refused (a replay), remembered in the shared cache for as long.
4. Whatever the body (not JSON, the wrong shape, huge), a refused or unreadable call answers
   400 or 401 and changes nothing. Only an error while recording a proven event is a 500, so
   that the service tries again; then the call is forgotten, so that its retry is not a replay.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.crypto import constant_time_compare

from hanji.sending import conf

logger = logging.getLogger(__name__)

FUTURE_SKEW = 15 * 60  # seconds a service's clock may run ahead of ours


class Refused(Exception):
    """A call that proves nothing (answered 400), or that lacks credentials (401)."""

    def __init__(self, reason: str, status: int = 400):
        super().__init__(reason)
        self.status = status


def _anymail(name: str) -> str:
    value = (getattr(settings, "ANYMAIL", None) or {}).get(name) or ""
    return value if isinstance(value, str) else ""


def shared_secrets() -> list[str]:
    """The basic-auth "user:password" strings every webhook call must carry (may be none)."""
    value = (getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET") or []
    return [value] if isinstance(value, str) else [v for v in value if v]


def sns_topics() -> set[str]:
    return {arn for arn in getattr(settings, "HANJI_SNS_TOPIC_ARNS", []) if arn}


def _basic_auth(request: HttpRequest) -> str | None:
    kind, _, data = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if kind.lower() != "basic":
        return None
    try:
        return base64.b64decode(data.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def check_shared_secret(request: HttpRequest) -> None:
    secrets = shared_secrets()
    if not secrets:
        return
    given = _basic_auth(request)
    if given is None:
        raise Refused("no credentials", status=401)
    # Every allowed secret is compared, so the time taken says nothing about which matched.
    if not sum(constant_time_compare(given, secret) for secret in secrets):
        raise Refused("wrong credentials", status=401)


def check_fresh(timestamp: float) -> None:
    age = time.time() - timestamp
    if age > conf.get("WEBHOOK_MAX_AGE") or age < -FUTURE_SKEW:
        raise Refused("stale or future timestamp")


def json_body(request: HttpRequest, kind: type = dict):
    try:
        value = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Refused("the body is not JSON") from None
    if not isinstance(value, kind):
        raise Refused(f"the body is not a JSON {kind.__name__}")
    return value


# --- each service's proof ----------------------------------------------------------------------


def verify_postmark(request: HttpRequest) -> str:
    """Postmark signs nothing: the basic-auth secret in the webhook URL is its whole proof."""
    if not shared_secrets():
        raise Refused("HANJI_WEBHOOK_SECRET is not set", status=401)
    check_shared_secret(request)
    json_body(request)
    return ""


def verify_mailgun(request: HttpRequest) -> str:
    """HMAC-SHA256 of timestamp + token with the webhook signing key; a token works once."""
    key = _anymail("MAILGUN_WEBHOOK_SIGNING_KEY")
    if not key:
        raise Refused("HANJI_MAILGUN_WEBHOOK_SIGNING_KEY is not set", status=401)
    check_shared_secret(request)
    signature = json_body(request).get("signature")
    if not isinstance(signature, dict):
        raise Refused("no signature block")
    token, stamp, given = (signature.get(k) for k in ("token", "timestamp", "signature"))
    if not all(isinstance(v, str) and v for v in (token, stamp, given)) or not stamp.isdigit():
        raise Refused("incomplete signature block")
    expected = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    if not constant_time_compare(given, expected):
        raise Refused("wrong signature")
    check_fresh(int(stamp))
    return f"mailgun:{token}"


@functools.lru_cache(maxsize=4)
def _sendgrid_key(text: str):
    from cryptography.hazmat.primitives import serialization

    # SendGrid shows the key as one line of base64 DER; accept a PEM frame too.
    body = "".join(line for line in text.strip().splitlines() if "-----" not in line)
    return serialization.load_der_public_key(base64.b64decode(body))


def verify_sendgrid(request: HttpRequest) -> str:
    """ECDSA (P-256, SHA-256) over the timestamp header followed by the raw body."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    text = _anymail("SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY")
    if not text:
        raise Refused("HANJI_SENDGRID_WEBHOOK_KEY is not set", status=401)
    check_shared_secret(request)
    given = request.headers.get("X-Twilio-Email-Event-Webhook-Signature", "")
    stamp = request.headers.get("X-Twilio-Email-Event-Webhook-Timestamp", "")
    if not given or not stamp.isdigit():
        raise Refused("no signature headers")
    try:
        _sendgrid_key(text).verify(
            base64.b64decode(given, validate=True),
            stamp.encode() + request.body,
            ec.ECDSA(hashes.SHA256()),
        )
    except (binascii.Error, ValueError, TypeError, InvalidSignature):
        raise Refused("wrong signature") from None
    check_fresh(int(stamp))
    json_body(request, list)
    return "sendgrid:" + hashlib.sha256(stamp.encode() + b"." + given.encode()).hexdigest()


def verify_ses(request: HttpRequest) -> str:
    """SNS's RSA signature with a certificate from SNS itself, from an allowed topic."""
    from anymail.exceptions import AnymailWebhookValidationFailure

    from hanji.sending import sns

    topics = sns_topics()
    if not topics:
        raise Refused("HANJI_SNS_TOPIC_ARNS is not set", status=401)
    check_shared_secret(request)
    message = json_body(request)
    request._sns_message = message  # read once; anymail's view reads it from here
    topic = message.get("TopicArn")
    if not isinstance(topic, str) or topic not in topics:
        raise Refused("a topic that is not allowed")
    kind = message.get("Type")
    if request.META.get("HTTP_X_AMZ_SNS_MESSAGE_TYPE") != kind or kind not in sns.TYPES:
        raise Refused("not an SNS message")
    try:
        sns.verify(message)
        check_fresh(sns.timestamp(message))
    except AnymailWebhookValidationFailure as failure:
        raise Refused(str(failure)) from None
    return f"sns:{message.get('MessageId')}"


# --- the endpoint -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Service:
    verify: object  # (request) -> replay key ("" when the service signs no time)
    view: str  # the anymail view (module path, imported on the first call)


SERVICES = {
    "postmark/tracking/": Service(
        verify_postmark, "anymail.webhooks.postmark.PostmarkTrackingWebhookView"
    ),
    "mailgun/tracking/": Service(
        verify_mailgun, "anymail.webhooks.mailgun.MailgunTrackingWebhookView"
    ),
    "sendgrid/tracking/": Service(
        verify_sendgrid, "anymail.webhooks.sendgrid.SendGridTrackingWebhookView"
    ),
    "amazon_ses/tracking/": Service(verify_ses, "hanji.sending.sns.SESTrackingView"),
}


@functools.cache
def _view(path: str):
    """The anymail view with its checks replaced by ours (they are done by then).
    Imported on the first call: anymail pulls requests and cryptography into the process."""
    from django.utils.module_loading import import_string

    base = import_string(path)
    checked = {"run_validators": lambda self, request: None, "warn_if_no_basic_auth": False}
    return type(base.__name__, (base,), checked)


def _refusal(refused: Refused, service: str) -> HttpResponse:
    logger.warning("webhook %s refused: %s", service, refused)
    response = HttpResponse(status=refused.status)
    if refused.status == 401 and shared_secrets():
        response["WWW-Authenticate"] = 'Basic realm="Hanji webhooks"'
    return response


def receive(request: HttpRequest, rest: str) -> HttpResponse:
    service = SERVICES.get(rest)
    if service is None:
        raise Http404
    if request.method in ("HEAD", "OPTIONS"):  # some services probe the URL when it is saved
        return HttpResponse()
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST, HEAD, OPTIONS"})
    try:
        replay = service.verify(request)
    except Refused as refused:
        return _refusal(refused, rest)
    if replay and not cache.add("hook:" + replay, 1, conf.get("WEBHOOK_MAX_AGE") + FUTURE_SKEW):
        return _refusal(Refused("seen before (a replay)"), rest)
    view = _view(service.view)
    try:
        events = view().parse_events(request)
    except Exception as error:  # a proven call we cannot read: the service's fault, not ours
        logger.warning("webhook %s unreadable: %r", rest, error)
        return HttpResponse(status=400)
    try:
        for event in events:
            view.signal.send(sender=view, event=event, esp_name=view.esp_name)
    except BaseException:
        if replay:
            cache.delete("hook:" + replay)
        raise
    return HttpResponse()

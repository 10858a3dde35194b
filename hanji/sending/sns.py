"""Amazon SES events, which arrive through Amazon SNS, with SNS's signature checked.

anymail's SES tracking view needs boto3 only to confirm an SNS subscription, and does not
check SNS's signature ("Future: Verify SNS message signature"). `hanji.sending.hooks` checks,
before this view runs, that the message comes from a topic the operator allowed
(HANJI_SNS_TOPIC_ARNS: a stranger's topic pointed at this URL is signed by Amazon too) and
carries a valid SNS signature (SignatureVersion 1: SHA1 with RSA, 2: SHA256 with RSA) made
with a certificate served by SNS itself over https. This view confirms a subscription by
visiting its SubscribeURL, as SNS documents, so boto3 is not needed.
"""

from __future__ import annotations

import base64
import functools
import logging
import re
import urllib.request
from datetime import datetime

from anymail.exceptions import AnymailWebhookValidationFailure
from anymail.utils import get_anymail_setting
from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
from anymail.webhooks.base import AnymailCoreWebhookView
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from hanji.sending import conf

logger = logging.getLogger(__name__)

NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = (
    "Message",
    "MessageId",
    "SubscribeURL",
    "Timestamp",
    "Token",
    "TopicArn",
    "Type",
)
HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
TYPES = ("Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation")


def _trusted(url: str) -> bool:
    return bool(re.match(conf.get("SNS_URL_PATTERN"), url or ""))


def string_to_sign(message: dict) -> bytes:
    """SNS's canonical form: name and value lines, in a fixed order, only present fields."""
    fields = NOTIFICATION_FIELDS if message.get("Type") == "Notification" else CONFIRMATION_FIELDS
    lines = []
    for name in fields:
        if message.get(name) is not None:
            lines += [name, str(message[name])]
    return ("\n".join(lines) + "\n").encode()


@functools.lru_cache(maxsize=16)
def _public_key(url: str) -> rsa.RSAPublicKey:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (checked URL)
        pem = response.read(64 * 1024)
    key = x509.load_pem_x509_certificate(pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the SNS certificate does not hold an RSA key")
    return key


def timestamp(message: dict) -> float:
    """When SNS signed the message (its ISO 8601 Timestamp, in UTC)."""
    try:
        return datetime.fromisoformat(str(message.get("Timestamp", ""))).timestamp()
    except ValueError:
        raise AnymailWebhookValidationFailure("SNS message without a timestamp") from None


def verify(message: dict) -> None:
    """Raise AnymailWebhookValidationFailure unless SNS signed this message."""
    algorithm = HASHES.get(str(message.get("SignatureVersion", "")))
    url = str(message.get("SigningCertURL", ""))
    if algorithm is None or not _trusted(url):
        raise AnymailWebhookValidationFailure("SNS message without a usable signature")
    try:
        key = _public_key(url)
        key.verify(
            base64.b64decode(str(message.get("Signature", "")), validate=True),
            string_to_sign(message),
            padding.PKCS1v15(),
            algorithm(),
        )
    except (InvalidSignature, ValueError, OSError) as error:
        raise AnymailWebhookValidationFailure(
            f"SNS message with a bad signature ({type(error).__name__})"
        ) from error


class SESTrackingView(AmazonSESTrackingWebhookView):
    """anymail's view without boto3; `hanji.sending.hooks` has proven the message by now."""

    def __init__(self, **kwargs):
        self.auto_confirm_enabled = get_anymail_setting(
            "auto_confirm_sns_subscriptions", esp_name=self.esp_name, kwargs=kwargs, default=True
        )
        self.session_params, self.client_params = {}, {}
        self.basic_auth = []
        AnymailCoreWebhookView.__init__(self, **kwargs)

    def auto_confirm_sns_subscription(self, sns_message):
        if not self.auto_confirm_enabled:
            return
        url = str(sns_message.get("SubscribeURL", ""))
        if not _trusted(url):
            raise AnymailWebhookValidationFailure("SNS SubscribeURL outside SNS")
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (checked URL)
            response.read(64 * 1024)
        logger.info("confirmed the SNS subscription of %s", sns_message.get("TopicArn"))

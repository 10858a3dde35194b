"""Per-recipient values for a compiled message: the only work done once per recipient.

Everything that costs (URL reversing, domain look-ups, translations) is done once in
`Personalizer.__init__`; `values()` only signs a few short tokens and formats strings.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.utils import translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext

from hanji.core.tokens import make_token
from hanji.publications.links import absolute_url
from hanji.sending import conf
from hanji.sending.compose import sender_domain
from hanji.subscribers.addresses import clean_name
from hanji.subscribers.links import PREFERENCES, unsubscribe_token

# What may stand between the angle brackets of a header address: no spaces, controls,
# brackets, commas or quotes (the address was normalised at subscribe time; this is the
# last guard before a header).
SAFE_ADDRESS = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[A-Za-z0-9.-]{1,253}$")


def track_signer(publication_id: int) -> signing.Signer:
    return signing.Signer(salt=f"hanji.token.track.{publication_id}")


def message_id_signature(send_id: int, subscriber_id: int) -> str:
    return salted_hmac(
        "hanji.sending.message-id", f"{send_id}.{subscriber_id}", algorithm="sha256"
    ).hexdigest()[:10]


def message_id(send_id: int, subscriber_id: int, domain: str) -> str:
    sig = message_id_signature(send_id, subscriber_id)
    return f"<hanji.{send_id}.{subscriber_id}.{sig}@{domain}>"


def verp_address(send_id: int, subscriber_id: int, domain: str) -> str:
    sig = message_id_signature(send_id, subscriber_id)[:8]
    return f"bounces+{send_id}-{subscriber_id}-{sig}@{domain}"


MESSAGE_ID_RE = re.compile(r"<?hanji\.(\d+)\.(\d+)\.([0-9a-f]{10})@[^>\s]+>?")
VERP_RE = re.compile(r"bounces\+(\d+)-(\d+)-([0-9a-f]{8})@", re.I)


def parse_message_id(value: str) -> tuple[int, int] | None:
    """(send id, subscriber id) from a Message-ID Hanji made, if its signature holds."""
    m = MESSAGE_ID_RE.search(value or "")
    if m and constant_time_compare(
        message_id_signature(int(m.group(1)), int(m.group(2))), m.group(3)
    ):
        return int(m.group(1)), int(m.group(2))
    return None


def parse_verp(value: str) -> tuple[int, int] | None:
    m = VERP_RE.search(value or "")
    if m and constant_time_compare(
        message_id_signature(int(m.group(1)), int(m.group(2)))[:8], m.group(3).lower()
    ):
        return int(m.group(1)), int(m.group(2))
    return None


def _delivery_mac(delivery_id: int) -> str:
    return salted_hmac(
        "hanji.sending.delivery-reference", str(delivery_id), algorithm="sha256"
    ).hexdigest()[:24]


def delivery_reference(delivery_id: int) -> str:
    """How a message names its delivery to an email service (metadata, custom args), which
    hands it back in its webhooks: the id with a MAC, so nobody can guess or forge one."""
    return f"{delivery_id}.{_delivery_mac(delivery_id)}"


DELIVERY_REFERENCE_RE = re.compile(r"^(\d{1,18})\.([0-9a-f]{24})$")


def parse_delivery_reference(value: object) -> int | None:
    """The delivery id of a reference Hanji made; None for anything else."""
    m = DELIVERY_REFERENCE_RE.match(value) if isinstance(value, str) else None
    if m and constant_time_compare(_delivery_mac(int(m.group(1))), m.group(2)):
        return int(m.group(1))
    return None


def _split_around(url: str, token: str) -> tuple[str, str]:
    assert url.count(token) == 1, "the token must appear once in its URL"
    prefix, suffix = url.split(token)
    return prefix, suffix


@dataclass(slots=True)
class Envelope:
    sender: str
    recipient: str


class Personalizer:
    def __init__(self, send, unsubscribe_mailto: str = ""):
        publication = send.publication
        self.send_id = send.pk
        self.publication_id = publication.pk
        self.newsletter_id = send.newsletter_id
        self.domain = sender_domain(send)
        self.sender = send.from_email or settings.HANJI_DEFAULT_FROM_EMAIL
        self.bounce_domain = conf.get("BOUNCE_DOMAIN")
        self.mailto = unsubscribe_mailto
        self.signer = track_signer(publication.pk)
        # URLs reversed once; per recipient only the token between prefix and suffix changes.
        # The URL is built around the very token it is split at: a token carries the second
        # it was made, so a second one made a moment later may differ.
        sample = unsubscribe_token(publication.pk, 0, self.newsletter_id, self.send_id)
        url = absolute_url(publication, "subscribers:unsubscribe", token=sample)
        self.unsub = _split_around(url, sample)
        sample = make_token(PREFERENCES, publication.pk, [0])
        url = absolute_url(publication, "subscribers:preferences", token=sample)
        self.prefs = _split_around(url, sample)
        with translation.override(publication.language):
            self.default_name = gettext("reader")

    def envelope(self, subscriber_id: int, email: str) -> Envelope:
        if self.bounce_domain:
            return Envelope(verp_address(self.send_id, subscriber_id, self.bounce_domain), email)
        return Envelope(self.sender, email)

    def values(self, subscriber_id: int, email: str, name: str, date: bytes) -> dict[str, bytes]:
        """The placeholder values for one recipient; ValueError for an address that could
        break a header."""
        if not SAFE_ADDRESS.match(email):
            raise ValueError("unsafe address")
        from email.utils import formataddr

        display = clean_name(name, 80).lstrip(".")
        unsub_token = unsubscribe_token(
            self.publication_id, subscriber_id, self.newsletter_id, self.send_id
        )
        unsub = f"{self.unsub[0]}{unsub_token}{self.unsub[1]}"
        prefs_token = make_token(PREFERENCES, self.publication_id, [subscriber_id])
        list_unsubscribe = f"<{unsub}>"
        if self.mailto:
            list_unsubscribe += f",\r\n <mailto:{self.mailto}?subject=unsubscribe%20{unsub_token}>"
        shown = display or self.default_name
        return {
            "DATE": date,
            "TO": formataddr((display, email), "utf-8").encode(),
            "MID": message_id(self.send_id, subscriber_id, self.domain).encode(),
            "LUNSUB": list_unsubscribe.encode(),
            "UNSUB": unsub.encode(),
            "PREFS": f"{self.prefs[0]}{prefs_token}{self.prefs[1]}".encode(),
            "TRACK": self.signer.sign(f"{self.send_id}.{subscriber_id}").encode(),
            "NAMEH": html.escape(shown[:40]).encode(),
            "NAMET": shown[:40].encode(),
        }

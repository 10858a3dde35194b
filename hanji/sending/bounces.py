"""Inbound mail about sent messages: delivery status notifications (bounces), feedback-loop
complaints (ARF), auto-replies, and unsubscribe requests sent to the List-Unsubscribe mailto.

A message is matched to its delivery by the VERP address it was sent back to
(bounces+<send>-<subscriber>-<signature>@…) or by the signed Message-ID of the original
inside the report. What is not recognised is left alone (never deleted).
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import logging
import re
from dataclasses import dataclass
from email.message import Message

from django.db import transaction
from flufl.bounce import all_failures

from hanji.sending import events
from hanji.sending.models import Delivery
from hanji.sending.personalize import parse_message_id, parse_verp

logger = logging.getLogger(__name__)

HARD, SOFT, COMPLAINT, UNSUBSCRIBE, AUTO_REPLY, UNRECOGNISED = (
    "hard",
    "soft",
    "complaint",
    "unsubscribe",
    "auto-reply",
    "unrecognised",
)
RECOGNISED = {HARD, SOFT, COMPLAINT, UNSUBSCRIBE, AUTO_REPLY}
_AUTO_SUBJECT = re.compile(
    r"^(out of (the )?office|auto(matic)?[ -]?(reply|response)|자동\s*응답|부재중)", re.I
)
_UNSUBSCRIBE_SUBJECT = re.compile(r"^\s*unsubscribe\s+(\S+)\s*$", re.I)


@dataclass
class Result:
    kind: str
    deliveries: list[int]
    detail: str = ""

    @property
    def recognised(self) -> bool:
        return self.kind in RECOGNISED


def _parts(msg: Message):
    yield msg
    if msg.is_multipart():
        for part in msg.get_payload():
            if isinstance(part, Message):
                yield from _parts(part)


def _embedded_message_ids(msg: Message) -> list[str]:
    """Message-IDs of the original message quoted inside a report (headers or full copy)."""
    found = []
    for part in _parts(msg):
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/rfc822-headers"):
            payload = part.get_payload()
            inner = payload[0] if isinstance(payload, list) and payload else payload
            if isinstance(inner, Message) and inner.get("Message-ID"):
                found.append(str(inner["Message-ID"]))
            elif isinstance(inner, str):
                found += re.findall(r"(?im)^message-id:\s*(\S+)", inner)
        elif ctype == "text/rfc822-headers":
            found += re.findall(
                r"(?im)^message-id:\s*(\S+)",
                part.get_payload(decode=True).decode("utf-8", "replace"),
            )
    return found


def _verp_target(msg: Message, envelope_to: str = "") -> tuple[int, int] | None:
    for value in [
        envelope_to,
        *(str(msg.get(h, "")) for h in ("Delivered-To", "X-Original-To", "Envelope-To", "To")),
    ]:
        if value and (found := parse_verp(value)):
            return found
    return None


def _is_auto_reply(msg: Message) -> bool:
    if msg.get_content_type() == "multipart/report":
        return False
    auto = str(msg.get("Auto-Submitted", "")).lower()
    return (
        auto.startswith("auto-replied")
        or msg.get("X-Autoreply") is not None
        or msg.get("X-Autorespond") is not None
        or str(msg.get("Precedence", "")).lower() == "auto_reply"
        or bool(_AUTO_SUBJECT.match(str(msg.get("Subject", ""))))
    )


def _deliveries_for(pairs: set[tuple[int, int]]) -> list[Delivery]:
    rows = []
    for send_id, subscriber_id in pairs:
        delivery = events.find_delivery(send_id=send_id, subscriber_id=subscriber_id)
        if delivery is not None:
            rows.append(delivery)
    return rows


def _unsubscribe_request(msg: Message) -> Result | None:
    m = _UNSUBSCRIBE_SUBJECT.match(str(msg.get("Subject", "")))
    if not m:
        return None
    from hanji.core.tokens import BadToken
    from hanji.subscribers.actions import RequestInfo, unsubscribe
    from hanji.subscribers.links import read_unsubscribe_token
    from hanji.subscribers.models import Newsletter, Subscriber

    token = m.group(1)
    for subscriber in Subscriber.objects.filter(
        email__iexact=email.utils.parseaddr(str(msg.get("From", "")))[1]
    ):
        try:
            subscriber_id, newsletter_id, send_id = read_unsubscribe_token(
                subscriber.publication_id, token
            )
        except BadToken:
            continue
        if subscriber_id != subscriber.pk:
            continue
        newsletter = Newsletter.objects.filter(
            pk=newsletter_id, publication_id=subscriber.publication_id
        ).first()
        with transaction.atomic():
            if unsubscribe(subscriber, newsletter, RequestInfo(channel="mailto")):
                events.unsubscribed(send_id, subscriber.pk, "mailto")
        return Result(UNSUBSCRIBE, [], subscriber.email)
    return None


def process(raw: bytes, envelope_to: str = "") -> Result:
    """Recognise one inbound message and act on it."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    if (unsub := _unsubscribe_request(msg)) is not None:
        return unsub
    if _is_auto_reply(msg):
        return Result(AUTO_REPLY, [])
    pairs: set[tuple[int, int]] = set()
    if verp := _verp_target(msg, envelope_to):
        pairs.add(verp)
    for message_id in _embedded_message_ids(msg):
        if found := parse_message_id(message_id):
            pairs.add(found)
    deliveries = _deliveries_for(pairs)
    report = str(msg.get("Content-Type", "")).lower()
    if "feedback-report" in report:
        for delivery in deliveries:
            events.complaint(delivery, detail="feedback report", source="arf")
        return Result(COMPLAINT if deliveries else UNRECOGNISED, [d.pk for d in deliveries])
    temporary, permanent = all_failures(msg)
    permanent = {a.decode("utf-8", "replace").lower() for a in permanent}
    temporary = {a.decode("utf-8", "replace").lower() for a in temporary}
    if not deliveries or not (temporary or permanent or "report-type=delivery-status" in report):
        return Result(UNRECOGNISED, [])
    kind = SOFT
    for delivery in deliveries:
        address = delivery.subscriber.email.lower()
        # A DSN the library cannot read is taken as soft: suppressing on a guess would
        # drop a reader; three soft bounces suppress anyway.
        hard = address in permanent or (not temporary and bool(permanent))
        events.bounce(delivery, hard=hard, detail=_status_line(msg), source="dsn")
        kind = HARD if hard else kind
    return Result(kind, [d.pk for d in deliveries])


def _status_line(msg: Message) -> str:
    for part in _parts(msg):
        if part.get_content_type() == "message/delivery-status":
            text = part.as_string()
            m = re.search(r"(?im)^diagnostic-code:\s*(.+)$", text) or re.search(
                r"(?im)^status:\s*(.+)$", text
            )
            if m:
                return m.group(1).strip()[:300]
    return str(msg.get("Subject", ""))[:300]

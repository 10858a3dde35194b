"""Events from email services (anymail tracking webhooks at /e/hooks/<esp>/tracking/).

`hanji.sending.hooks` proves each call the way its service documents (basic auth, Mailgun's
HMAC, SendGrid's ECDSA, SNS's signature and topic); only then does `on_tracking` run. Even
then an event names a delivery only through what Hanji put in the message: a delivery
reference with a MAC, or a signed Message-ID, never a bare row id.

anymail's normalised event types are too coarse for suppression: it reports a Postmark
SoftBounce, an SES Transient bounce and a SendGrid "blocked" as "bounced", so `classify`
reads the service's own event to tell a hard bounce (the address is bad) from a soft one.
"""

from __future__ import annotations

import logging

from anymail.signals import AnymailTrackingEvent
from django.db import transaction
from django.utils import timezone

from hanji.analytics.machine import is_machine_open
from hanji.sending import events
from hanji.sending.models import Delivery, DeliveryEvent, EventKind
from hanji.sending.personalize import parse_delivery_reference, parse_message_id
from hanji.subscribers.actions import RequestInfo, unsubscribe

logger = logging.getLogger(__name__)

HARD, SOFT, COMPLAINT, UNSUBSCRIBE, REFUSED, OPEN, CLICK = (
    "hard",
    "soft",
    "complaint",
    "unsubscribe",
    "refused",
    "open",
    "click",
)
# Postmark bounce types that say nothing bad about the address.
POSTMARK_SOFT = {"SoftBounce", "Transient", "DnsError", "VirusNotification"}
# Mailgun permanent failures that are not the address's fault: blocked by the receiving
# service, or given up after hours of temporary failures.
MAILGUN_SOFT = {"espblock", "old"}


def _transient_bounce(esp_name: str, raw: dict) -> bool:
    if esp_name == "Amazon SES":
        return (raw.get("bounce") or {}).get("bounceType") != "Permanent"
    if esp_name == "SendGrid":
        return str(raw.get("type", "")).lower() == "blocked"
    if esp_name == "Postmark":
        return raw.get("Type") in POSTMARK_SOFT
    if esp_name == "Mailgun":
        return str((raw.get("event-data") or raw).get("reason", "")) in MAILGUN_SOFT
    return False


def classify(event: AnymailTrackingEvent, esp_name: str) -> str | None:
    """What a service's event means for the reader's address (None: nothing to do)."""
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    kind = event.event_type
    if kind == "bounced":
        if esp_name == "Mailgun":
            reason = str((raw.get("event-data") or {}).get("reason", ""))
            if reason == "suppress-complaint":
                return COMPLAINT
            if reason == "suppress-unsubscribe":
                return UNSUBSCRIBE
        return SOFT if _transient_bounce(esp_name, raw) else HARD
    if kind == "deferred":
        return SOFT
    if kind == "rejected":
        # The service would not send: a known-bad address is hard; a block or a policy
        # refusal says something about the sender or the content, not about the reader.
        reason = event.reject_reason
        if reason in ("invalid", "bounced"):
            return HARD
        if reason == "unsubscribed":
            return UNSUBSCRIBE
        if str(raw.get("reason", "")).lower() == "spam reporting address":  # SendGrid
            return COMPLAINT
        return REFUSED
    return {
        "complained": COMPLAINT,
        "unsubscribed": UNSUBSCRIBE,
        "opened": OPEN,
        "clicked": CLICK,
    }.get(kind)


def _same_reader(delivery: Delivery | None, event: AnymailTrackingEvent) -> Delivery | None:
    """The delivery, when the event's recipient (if it names one) is its subscriber."""
    if delivery is None or not event.recipient:
        return delivery
    if delivery.subscriber.email.lower() != str(event.recipient).strip().lower():
        return None
    return delivery


def find(event: AnymailTrackingEvent) -> Delivery | None:
    """The delivery an event is about: by the delivery reference we put in the metadata, by
    our signed Message-ID, or by the service's message id together with the recipient (a
    batch call gives many recipients one service id)."""
    metadata = event.metadata if isinstance(event.metadata, dict) else {}
    delivery_id = parse_delivery_reference(metadata.get("hanji_delivery"))
    if delivery_id is not None:
        return _same_reader(events.find_delivery(delivery_id=delivery_id), event)
    raw = event.esp_event if isinstance(event.esp_event, dict) else {}
    mail = raw.get("mail") if isinstance(raw.get("mail"), dict) else {}
    headers = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    ours = headers.get("messageId")
    for message_id in (event.message_id, ours):
        if message_id and (found := parse_message_id(str(message_id))):
            delivery = events.find_delivery(send_id=found[0], subscriber_id=found[1])
            return _same_reader(delivery, event)
    if event.message_id and event.recipient:
        return (
            Delivery.objects.select_related("send", "subscriber")
            .filter(
                provider_message_id=str(event.message_id),
                subscriber__email__iexact=str(event.recipient).strip(),
            )
            .first()
        )
    return None


def _refused(delivery: Delivery, detail: str, source: str) -> None:
    DeliveryEvent.objects.create(
        publication_id=delivery.send.publication_id,
        send_id=delivery.send_id,
        delivery=delivery,
        subscriber_id=delivery.subscriber_id,
        kind=EventKind.FAILED,
        detail=detail[:300],
        source=source[:40],
    )


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    action = classify(event, esp_name)
    if action is None:  # queued, sent, delivered, autoresponded, unknown
        return
    delivery = find(event)
    if delivery is None:
        logger.info(
            "%s %s event for an unknown message %s", esp_name, event.event_type, event.message_id
        )
        return
    source = f"webhook:{esp_name}"[:40]
    detail = str(
        event.mta_response or event.description or event.reject_reason or event.event_type
    )[:300]
    if action in (HARD, SOFT):
        events.bounce(delivery, hard=action == HARD, detail=detail, source=source)
    elif action == REFUSED:
        _refused(delivery, detail, source)
    elif action == COMPLAINT:
        events.complaint(delivery, detail=detail, source=source)
    elif action == UNSUBSCRIBE:
        with transaction.atomic():
            if unsubscribe(delivery.subscriber, None, RequestInfo(channel=source)):
                events.unsubscribed(delivery.send_id, delivery.subscriber_id, source)
    elif action == OPEN:
        send = delivery.send
        # Services report no client address; the bare agent soon after sending still tells.
        machine = is_machine_open(
            event.user_agent or "", "", delivery.sent_at, event.timestamp or timezone.now()
        )
        events.opened(send.pk, delivery.subscriber_id, send.publication_id, machine=machine)
    elif action == CLICK:
        send = delivery.send
        position = None
        if event.click_url:
            link = send.links.filter(url=event.click_url).first()
            position = link.position if link else None
        events.clicked(send.pk, delivery.subscriber_id, send.publication_id, position)

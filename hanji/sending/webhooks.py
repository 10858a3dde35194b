"""Events from email services (anymail tracking webhooks at /e/hooks/<esp>/tracking/).

anymail checks each call's shared secret (basic auth, ANYMAIL["WEBHOOK_SECRET"]) and the
service's own signature where it signs (Mailgun, SendGrid, Postmark …) before this runs.
"""

from __future__ import annotations

import logging

from anymail.signals import AnymailTrackingEvent

from hanji.sending import events
from hanji.sending.models import Delivery
from hanji.sending.personalize import parse_message_id
from hanji.subscribers.actions import RequestInfo, unsubscribe

logger = logging.getLogger(__name__)


def find(event: AnymailTrackingEvent) -> Delivery | None:
    metadata = event.metadata or {}
    delivery_id = str(metadata.get("hanji_delivery", ""))
    if delivery_id.isdigit():
        return events.find_delivery(delivery_id=int(delivery_id))
    if event.message_id:
        if found := parse_message_id(str(event.message_id)):
            return events.find_delivery(send_id=found[0], subscriber_id=found[1])
        return events.find_delivery(provider_message_id=str(event.message_id))
    return None


def on_tracking(sender, event: AnymailTrackingEvent, esp_name: str, **kwargs) -> None:
    delivery = find(event)
    if delivery is None:
        logger.info(
            "%s %s event for an unknown message %s", esp_name, event.event_type, event.message_id
        )
        return
    source = f"webhook:{esp_name}"[:40]
    detail = str(event.mta_response or event.description or event.reject_reason or "")[:300]
    kind = event.event_type
    if kind == "bounced":
        events.bounce(delivery, hard=True, detail=detail, source=source)
    elif kind == "rejected":
        # The service refused to send (a suppressed or invalid address): treated as hard.
        events.bounce(delivery, hard=True, detail=detail or "rejected", source=source)
    elif kind == "deferred":
        events.bounce(delivery, hard=False, detail=detail, source=source)
    elif kind == "complained":
        events.complaint(delivery, detail=detail, source=source)
    elif kind == "unsubscribed":
        unsubscribe(delivery.subscriber, None, RequestInfo(channel=source))
    elif kind == "opened":
        send = delivery.send
        events.opened(send.pk, delivery.subscriber_id, send.publication_id)
    elif kind == "clicked":
        send = delivery.send
        position = None
        if event.click_url:
            link = send.links.filter(url=event.click_url).first()
            position = link.position if link else None
        events.clicked(send.pk, delivery.subscriber_id, send.publication_id, position)
    # queued, sent, delivered, autoresponded, unknown: nothing to do.

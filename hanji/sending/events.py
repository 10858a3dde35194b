"""What happens after a message leaves: refusals, bounces, complaints, opens and clicks.

Every path (SMTP replies, DSN messages, service webhooks, tracking links) ends here, so a
hard bounce suppresses the address the same way whoever reported it.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from hanji.analytics import actions as figures
from hanji.sending import conf, transitions
from hanji.sending.models import Delivery, DeliveryEvent, DeliveryState, EventKind, Send
from hanji.subscribers.actions import suppress
from hanji.subscribers.models import Subscriber, SubscriberStatus

logger = logging.getLogger(__name__)


def refused(send: Send, delivery_id: int, subscriber_id: int, outcome) -> None:
    """A permanent refusal while sending (5xx): recorded; a bad address is suppressed."""
    if outcome.suppress:
        figures.email_event(send.pk, delivery_id, figures.BOUNCE)
    DeliveryEvent.objects.create(
        publication_id=send.publication_id,
        send_id=send.pk,
        delivery_id=delivery_id,
        subscriber_id=subscriber_id,
        kind=EventKind.BOUNCE if outcome.suppress else EventKind.FAILED,
        detail=outcome.detail[:300],
        source="smtp" if outcome.code else "transport",
    )
    if outcome.suppress:
        suppress(subscriber_id, SubscriberStatus.BOUNCED, outcome.detail[:300], channel="smtp")


def _delivery(send_id: int | None, subscriber_id: int | None) -> Delivery | None:
    if not send_id or not subscriber_id:
        return None
    return (
        Delivery.objects.select_related("send")
        .filter(send_id=send_id, subscriber_id=subscriber_id)
        .first()
    )


@transaction.atomic
def bounce(
    delivery: Delivery | None,
    *,
    subscriber: Subscriber | None = None,
    hard: bool,
    detail: str = "",
    source: str = "",
) -> None:
    """A bounce report. Hard: suppress now. Soft: suppress once SOFT_BOUNCE_LIMIT messages
    to the same address bounced softly within SOFT_BOUNCE_DAYS."""
    subscriber_id = delivery.subscriber_id if delivery else subscriber.pk if subscriber else None
    publication_id = (
        delivery.send.publication_id
        if delivery
        else subscriber.publication_id
        if subscriber
        else None
    )
    if subscriber_id is None:
        return
    if hard and delivery is not None:
        late = delivery.state == DeliveryState.SENT
        figures.email_event(
            delivery.send_id, delivery.pk, figures.LATE_BOUNCE if late else figures.BOUNCE
        )
    DeliveryEvent.objects.create(
        publication_id=publication_id,
        send_id=delivery.send_id if delivery else None,
        delivery=delivery,
        subscriber_id=subscriber_id,
        kind=EventKind.BOUNCE if hard else EventKind.SOFT_BOUNCE,
        detail=detail[:300],
        source=source[:40],
    )
    if hard:
        suppress(subscriber_id, SubscriberStatus.BOUNCED, detail[:300], channel=source)
        return
    # Counted per message, not per report: services report every retry of one message
    # (Mailgun's temporary failures, SendGrid's deferrals) and may deliver a webhook twice.
    since = timezone.now() - timedelta(days=conf.get("SOFT_BOUNCE_DAYS"))
    reports = DeliveryEvent.objects.filter(
        subscriber_id=subscriber_id, kind=EventKind.SOFT_BOUNCE, created_at__gte=since
    )
    soft = (
        reports.filter(delivery__isnull=False).values("delivery_id").distinct().count()
        + reports.filter(delivery__isnull=True).count()
    )
    if soft >= conf.get("SOFT_BOUNCE_LIMIT"):
        reason = f"{soft} soft bounces in {conf.get('SOFT_BOUNCE_DAYS')} days: {detail}"
        suppress(subscriber_id, SubscriberStatus.BOUNCED, reason[:300], channel=source)


def complaint(
    delivery: Delivery | None,
    *,
    subscriber: Subscriber | None = None,
    detail: str = "",
    source: str = "",
) -> None:
    """A reader marked the message as spam: suppress at once; pause the publication when its
    complaint rate passes the limit."""
    subscriber_id = delivery.subscriber_id if delivery else subscriber.pk if subscriber else None
    if subscriber_id is None:
        return
    publication_id = (
        delivery.send.publication_id if delivery else subscriber.publication_id  # type: ignore[union-attr]
    )
    with transaction.atomic():
        if delivery is not None:
            figures.email_event(delivery.send_id, delivery.pk, figures.COMPLAINT)
        DeliveryEvent.objects.create(
            publication_id=publication_id,
            send_id=delivery.send_id if delivery else None,
            delivery=delivery,
            subscriber_id=subscriber_id,
            kind=EventKind.COMPLAINT,
            detail=detail[:300],
            source=source[:40],
        )
        suppress(subscriber_id, SubscriberStatus.COMPLAINED, detail[:300], channel=source)
    check_complaint_rate(publication_id)


def complaint_rate(publication_id: int) -> tuple[int, int]:
    """(complaints, messages sent) of a publication over the complaint window."""
    since = timezone.now() - timedelta(days=conf.get("COMPLAINT_DAYS"))
    complaints = DeliveryEvent.objects.filter(
        publication_id=publication_id, kind=EventKind.COMPLAINT, created_at__gte=since
    ).count()
    sent = Delivery.objects.filter(
        send__publication_id=publication_id, state=DeliveryState.SENT, sent_at__gte=since
    ).count()
    return complaints, sent


def check_complaint_rate(publication_id: int) -> bool:
    """Pause every send of this publication (and only this one) when complaints pass the
    limit; True when it paused."""
    complaints, sent = complaint_rate(publication_id)
    if sent < conf.get("COMPLAINT_MIN_SENT") or complaints / max(sent, 1) <= conf.get(
        "COMPLAINT_RATE"
    ):
        return False
    reason = gettext(
        "Sending is paused: %(complaints)s of %(sent)s recent emails were marked as spam "
        "(over %(limit)s%%). Check the list and the content, then resume."
    ) % {
        "complaints": complaints,
        "sent": sent,
        "limit": f"{conf.get('COMPLAINT_RATE') * 100:g}",
    }
    transitions.pause_publication(publication_id, reason)
    return True


def _tracked(send_id: int, subscriber_id: int, publication_id: int) -> Delivery | None:
    """The delivery a tracking request names, only within the publication it came to."""
    return Delivery.objects.filter(
        send_id=send_id, subscriber_id=subscriber_id, send__publication_id=publication_id
    ).first()


@transaction.atomic
def opened(send_id: int, subscriber_id: int, publication_id: int, *, machine: bool = False) -> None:
    """An open of the message (`machine`: Apple's Mail Privacy Protection fetched the pixel,
    see hanji.analytics.machine); a repeat is recorded but not counted as unique again."""
    delivery = _tracked(send_id, subscriber_id, publication_id)
    if delivery is None:
        return
    figures.email_event(send_id, delivery.pk, figures.MACHINE_OPEN if machine else figures.OPEN)
    DeliveryEvent.objects.create(
        publication_id=publication_id,
        send_id=send_id,
        delivery=delivery,
        subscriber_id=subscriber_id,
        kind=EventKind.OPEN,
        detail=figures.MACHINE_DETAIL if machine else "",
        source="tracking",
    )


@transaction.atomic
def clicked(send_id: int, subscriber_id: int, publication_id: int, position: int | None) -> None:
    """A click on the link at `position` of the send (None: a service reported a click on a
    link it could not name); a click is also proof of an open (images may be blocked)."""
    delivery = _tracked(send_id, subscriber_id, publication_id)
    if delivery is None:
        return
    figures.email_event(send_id, delivery.pk, figures.CLICK, position=position)
    DeliveryEvent.objects.create(
        publication_id=publication_id,
        send_id=send_id,
        delivery=delivery,
        subscriber_id=subscriber_id,
        kind=EventKind.CLICK,
        link=position,
        source="tracking",
    )


@transaction.atomic
def unsubscribed(send_id: int | None, subscriber_id: int, source: str = "") -> None:
    """The reader left through this send's message (its unsubscribe link, List-Unsubscribe,
    the mailto address or the service's own button): the send caused it, counted once."""
    if not send_id:
        return
    delivery = (
        Delivery.objects.select_related("send")
        .filter(send_id=send_id, subscriber_id=subscriber_id)
        .first()
    )
    if delivery is None or not figures.email_event(send_id, delivery.pk, figures.UNSUBSCRIBE):
        return
    DeliveryEvent.objects.create(
        publication_id=delivery.send.publication_id,
        send_id=send_id,
        delivery=delivery,
        subscriber_id=subscriber_id,
        kind=EventKind.UNSUBSCRIBE,
        source=source[:40],
    )


def find_delivery(
    *,
    send_id: int | None = None,
    subscriber_id: int | None = None,
    delivery_id: int | None = None,
    provider_message_id: str = "",
) -> Delivery | None:
    rows = Delivery.objects.select_related("send")
    if delivery_id:
        return rows.filter(pk=delivery_id).first()
    if send_id and subscriber_id:
        return _delivery(send_id, subscriber_id)
    if provider_message_id:
        return rows.filter(provider_message_id=provider_message_id).first()
    return None

"""Every change to subscribers goes through these functions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hanji.subscribers.models import ConsentEvent, Subscriber, SubscriberStatus


@transaction.atomic
def suppress(subscriber_id: int, status: str, reason: str = "", channel: str = "") -> bool:
    """Mark an address bounced, complained or unsubscribed; it is never mailed again until the
    person subscribes and confirms again. Returns False when it was already in that state."""
    status = SubscriberStatus(status)
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status == status:
        return False
    subscriber.status = status
    if status == SubscriberStatus.UNSUBSCRIBED:
        subscriber.unsubscribed_at = timezone.now()
    subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    ConsentEvent.objects.create(
        publication_id=subscriber.publication_id,
        subscriber=subscriber,
        email=subscriber.email,
        action=str(status),
        statement=reason,
        channel=channel,
    )
    return True

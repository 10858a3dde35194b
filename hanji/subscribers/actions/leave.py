"""Leaving: unsubscribe from one newsletter or everything, suppression after a bounce or a
complaint, and withdrawing advertising consent."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from hanji.analytics.signups import count_gained, count_lost
from hanji.subscribers import counts, figures
from hanji.subscribers.actions.common import RequestInfo, leave_newsletters, log_consent
from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    Newsletter,
    Subscriber,
    SubscriberStatus,
    Subscription,
)


@transaction.atomic
def suppress(subscriber_id: int, status: str, reason: str = "", channel: str = "") -> bool:
    """Mark an address bounced, complained or unsubscribed; it is never mailed again until the
    person subscribes and confirms again. Returns False when it was already in that state."""
    status = SubscriberStatus(status)
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status == status:
        return False
    # A complaint outranks a later bounce or unsubscribe: it is the one that forbids mail.
    if subscriber.status == SubscriberStatus.COMPLAINED and status != SubscriberStatus.ACTIVE:
        return False
    was_active = subscriber.status == SubscriberStatus.ACTIVE
    counts.moved(subscriber.publication_id, subscriber.status, status)
    subscriber.status = status
    if status == SubscriberStatus.UNSUBSCRIBED:
        subscriber.unsubscribed_at = timezone.now()
    subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    log_consent(subscriber, str(status), reason, RequestInfo(channel=channel))
    figures.forget(subscriber.publication_id)
    if was_active and status != SubscriberStatus.ACTIVE:
        count_lost(subscriber)
    elif not was_active and status == SubscriberStatus.ACTIVE:
        count_gained(subscriber)
    return True


@transaction.atomic
def unsubscribe(
    subscriber: Subscriber, newsletter: Newsletter | None = None, info: RequestInfo | None = None
) -> bool:
    """Leave one newsletter, or everything. Takes effect at once: the sending engine checks the
    status and subscription of each recipient as it sends. True when something changed."""
    info = info or RequestInfo()
    if newsletter is not None:
        removed = leave_newsletters(subscriber, [newsletter.pk])
        if removed:
            log_consent(subscriber, "unsubscribe-newsletter", newsletter.name, info)
        if Subscription.objects.filter(subscriber=subscriber).exists():
            return bool(removed)
    left = list(
        Subscription.objects.filter(subscriber=subscriber).values_list("newsletter_id", flat=True)
    )
    leave_newsletters(subscriber, left)
    if subscriber.status in SUPPRESSED_STATUSES:
        return False
    changed = suppress(subscriber.pk, SubscriberStatus.UNSUBSCRIBED, "", info.channel)
    subscriber.refresh_from_db()
    return changed


@transaction.atomic
def withdraw_advertising(subscriber: Subscriber, info: RequestInfo | None = None) -> bool:
    if subscriber.advertising_consent_at is None:
        return False
    Subscriber.objects.filter(pk=subscriber.pk).update(
        advertising_consent_at=None, advertising_reminded_at=None, updated_at=timezone.now()
    )
    subscriber.advertising_consent_at = None
    log_consent(subscriber, "advertising-withdrawn", "", info)
    figures.forget(subscriber.publication_id)
    return True

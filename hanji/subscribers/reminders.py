"""The two-yearly advertising-consent notice.

Korean law (정보통신망법 시행령 제62조의3) asks whoever sends advertising to tell each
recipient, every two years from their consent, that they consented: who the sender is, when
they agreed, and how to withdraw. `send_advertising_consent_reminders` runs daily
(HANJI_PERIODIC_JOBS) and sends the notice a month before each two-year mark, once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import formats, timezone, translation

from hanji.core import emails
from hanji.subscribers.actions.common import RequestInfo, log_consent
from hanji.subscribers.links import preferences_url, unsubscribe_url
from hanji.subscribers.models import Subscriber, SubscriberStatus

logger = logging.getLogger(__name__)

PERIOD = timedelta(days=730)
AHEAD = timedelta(days=30)
BATCH = 500


def due_for_reminder(now: datetime):
    """Active subscribers whose last consent or notice is nearly two years old."""
    return (
        Subscriber.objects.filter(
            status=SubscriberStatus.ACTIVE, advertising_consent_at__isnull=False
        )
        .annotate(last_notice=Coalesce("advertising_reminded_at", "advertising_consent_at"))
        .filter(last_notice__lte=now - PERIOD + AHEAD)
        .order_by("id")
    )


def _remind(subscriber: Subscriber, now: datetime) -> bool:
    # Claim the reminder with one conditional UPDATE: a second worker running the same job
    # matches no row and sends nothing (healthchecks' sendalerts does the same).
    claimed = Subscriber.objects.filter(
        Q(advertising_reminded_at=subscriber.advertising_reminded_at)
        if subscriber.advertising_reminded_at
        else Q(advertising_reminded_at__isnull=True),
        pk=subscriber.pk,
        advertising_consent_at__isnull=False,
    ).update(advertising_reminded_at=now)
    if claimed != 1:
        return False
    publication = subscriber.publication
    with translation.override(publication.language):
        local = timezone.localtime(subscriber.advertising_consent_at, timezone=None)
        consent_date = formats.date_format(local, "DATE_FORMAT")
    sender_name = publication.company_name or publication.name
    context = {
        "sender_name": sender_name,
        "sender_contact": publication.contact_email or publication.phone,
        "consent_date": consent_date,
        "preferences_url": preferences_url(publication, subscriber.pk),
        "unsubscribe_url": unsubscribe_url(publication, subscriber.pk),
    }
    try:
        emails.advertising_consent_reminder(publication, subscriber.email, context)
    except Exception:
        # Give the claim back so tomorrow's run tries again.
        Subscriber.objects.filter(pk=subscriber.pk, advertising_reminded_at=now).update(
            advertising_reminded_at=subscriber.advertising_reminded_at
        )
        logger.exception("advertising reminder to subscriber %s failed", subscriber.pk)
        return False
    log_consent(
        subscriber,
        "advertising-reminder",
        f"{sender_name}; {consent_date}",
        RequestInfo(channel="email"),
    )
    return True


def send_advertising_consent_reminders(now: datetime | None = None, limit: int = 10_000) -> int:
    """Send every notice that is due (at most `limit` per run); returns how many were sent."""
    now = now or timezone.now()
    sent = 0
    last_id = 0
    while sent < limit:
        batch = list(
            due_for_reminder(now).filter(pk__gt=last_id).select_related("publication")[:BATCH]
        )
        if not batch:
            break
        for subscriber in batch:
            last_id = subscriber.pk
            if _remind(subscriber, now):
                sent += 1
    if sent:
        logger.info("sent %d advertising-consent reminders", sent)
    return sent

"""Reads over sends: progress, per-recipient records, permission-checked getters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from hanji.publications.models import Publication
from hanji.sending import claims, clock
from hanji.sending.models import Delivery, Send
from hanji.subscribers.models import Subscriber


@dataclass
class Progress:
    state: str
    reason: str
    total: int
    sent: int
    failed: int
    skipped: int
    remaining: int
    held: int  # pending, not due yet (retries, the night hold, a daily limit)
    rate: float  # messages a second since the first one left
    eta: datetime | None
    transport_error: str

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped


def progress(send: Send) -> Progress:
    c = claims.counts(send.pk)
    left = claims.left(send.pk)
    now = clock.now()
    held = 0
    if left.pending and left.next_due and left.next_due > now:
        held = Delivery.objects.filter(send=send, state="pending", next_attempt_at__gt=now).count()
    remaining = c["pending"] + c["claimed"]
    rate = 0.0
    eta = None
    if send.first_sent_at and c["sent"]:
        end = send.finished_at or now
        elapsed = max((end - send.first_sent_at).total_seconds(), 0.001)
        rate = c["sent"] / elapsed
        if remaining and send.state == "sending":
            eta = now + timedelta(seconds=remaining / rate)
    return Progress(
        state=send.state,
        reason=send.state_reason,
        total=send.total or sum(c.values()),
        sent=c["sent"],
        failed=c["failed"],
        skipped=c["skipped"],
        remaining=remaining,
        held=held,
        rate=rate,
        eta=eta,
        transport_error=send.transport_error,
    )


def sends_of(publication: Publication) -> QuerySet[Send]:
    return Send.objects.filter(publication=publication).select_related("post", "newsletter")


def get_send_for_publication(publication: Publication, send_id: int) -> Send:
    """The send `send_id` only if it belongs to `publication` (else DoesNotExist)."""
    return sends_of(publication).get(pk=send_id)


def recipients_of(send: Send) -> QuerySet[Delivery]:
    """Who got this send (and who did not, and why)."""
    return Delivery.objects.filter(send=send).select_related("subscriber").order_by("id")


def received_by(subscriber: Subscriber) -> QuerySet[Delivery]:
    """What this subscriber received (every send, newest first)."""
    return (
        Delivery.objects.filter(subscriber=subscriber)
        .select_related("send", "send__post")
        .order_by("-send__created_at")
    )

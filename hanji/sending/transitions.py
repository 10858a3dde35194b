"""Every change of a send's state, and nothing else writes `Send.state`.

    scheduled ──take_preparation──▶ preparing ──start_sending──▶ sending ──finish──▶ sent
        │                               │  └──fail──▶ failed                │
        └────────────── pause ◀─────────┴──────────────────────────────────┘
                          │ resume: back to scheduled (not prepared) or sending
    any active state ──cancel──▶ cancelled

Each transition is one conditional UPDATE (state in the states it leaves), so racing callers
(two workers, a click in the studio and a complaint webhook) change a send once. The CLI, the
studio, the loop, the webhooks and the tests all come through here, by way of `actions`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from hanji.analytics import actions as figures
from hanji.sending import claims, clock, queue
from hanji.sending.models import ACTIVE_STATES, Send, SendingSettings, SendState

logger = logging.getLogger(__name__)
PREPARE_LEASE = timedelta(minutes=5)
PAUSABLE = (SendState.SCHEDULED, SendState.PREPARING, SendState.SENDING)


class SendError(Exception):
    """A send cannot start or change; the message is for the person who asked."""


def publication_paused(publication_id: int) -> str:
    """Why sending is paused for this publication, or "" when it is not."""
    row = (
        SendingSettings.objects.filter(publication_id=publication_id, paused_at__isnull=False)
        .values_list("paused_reason", flat=True)
        .first()
    )
    if row is None:
        return ""
    return row or gettext("Sending is paused for this publication.")


def refuse_if_paused(publication_id: int) -> None:
    reason = publication_paused(publication_id)
    if reason:
        raise SendError(reason)


def final_counts(send_id: int) -> dict[str, int]:
    """The counters a send keeps once it ends (live figures come from the deliveries)."""
    c = claims.counts(send_id)
    return {
        "sent_count": c[claims.SENT],
        "failed_count": c[claims.FAILED],
        "skipped_count": c[claims.SKIPPED],
    }


def take_preparation(send_id: int) -> bool:
    """Claim the preparation of a due send (one conditional UPDATE): True for the one caller
    that gets it, whatever the number of workers and periodic jobs racing for it."""
    now = clock.now()
    return bool(
        Send.objects.filter(pk=send_id)
        .filter(
            Q(state=SendState.SCHEDULED, scheduled_at__lte=now)
            | Q(state=SendState.PREPARING, prepare_lease_until__lt=now)
        )
        .update(state=SendState.PREPARING, prepare_lease_until=now + PREPARE_LEASE)
    )


def start_sending(send_id: int, total: int) -> bool:
    """A prepared send starts sending; False when it was paused or cancelled meanwhile."""
    return bool(
        Send.objects.filter(pk=send_id, state=SendState.PREPARING).update(
            state=SendState.SENDING, state_reason="", total=total, prepared_at=clock.now()
        )
    )


def fail(send_id: int, reason: str) -> bool:
    """A send that cannot be prepared (its message is too large, say) fails for good."""
    done = Send.objects.filter(pk=send_id, state=SendState.PREPARING).update(
        state=SendState.FAILED, state_reason=reason, finished_at=clock.now()
    )
    if done:
        logger.warning("send %s failed: %s", send_id, reason)
    return bool(done)


def pause(send_id: int, reason: str = "") -> bool:
    done = Send.objects.filter(pk=send_id, state__in=PAUSABLE).update(
        state=SendState.PAUSED, state_reason=reason
    )
    if done:
        logger.info("send %s paused: %s", send_id, reason or "by request")
    return bool(done)


def resume(send_id: int) -> bool:
    """Continue with what is not yet sent (prepare first if it never was)."""
    send = Send.objects.filter(pk=send_id).only("state", "publication_id", "prepared_at").get()
    if send.state != SendState.PAUSED:
        return False
    refuse_if_paused(send.publication_id)
    prepared = send.prepared_at is not None
    state = SendState.SENDING if prepared else SendState.SCHEDULED
    if not Send.objects.filter(pk=send_id, state=SendState.PAUSED).update(
        state=state, state_reason="", heartbeat_at=None, loops_enqueued_at=None
    ):
        return False
    if prepared:
        queue.keep_going(send_id)
    else:
        queue.prepare_later(send_id)
    return True


def finish(send_id: int) -> bool:
    """Mark the send sent once nothing is pending or claimed; True for the loop that did."""
    c = claims.counts(send_id)
    if c[claims.PENDING] or c[claims.CLAIMED]:
        return False
    counts = final_counts(send_id)
    with transaction.atomic():
        done = Send.objects.filter(pk=send_id, state=SendState.SENDING).update(
            state=SendState.SENT, finished_at=clock.now(), transport_error="", **counts
        )
        if done:
            figures.send_ended(send_id, counts["sent_count"])
    return bool(done)


def cancel(send_id: int) -> bool:
    counts = final_counts(send_id)
    with transaction.atomic():
        done = Send.objects.filter(pk=send_id, state__in=ACTIVE_STATES).update(
            state=SendState.CANCELLED, finished_at=clock.now(), **counts
        )
        if done:
            figures.send_ended(send_id, counts["sent_count"])
    return bool(done)


def pause_publication(publication_id: int, reason: str) -> int:
    """Stop every send of this publication (and only this one) until someone resumes it;
    returns the sends paused."""
    if SendingSettings.objects.filter(publication_id=publication_id, paused_at__isnull=True).update(
        paused_at=timezone.now(), paused_reason=reason
    ):
        logger.warning("publication %s paused: %s", publication_id, reason)
    return Send.objects.filter(publication_id=publication_id, state__in=PAUSABLE).update(
        state=SendState.PAUSED, state_reason=reason
    )


def resume_publication(publication_id: int) -> int:
    """Lift a publication's pause; resume the sends it paused (not those paused by hand)."""
    options = SendingSettings.objects.filter(publication_id=publication_id).first()
    if options is None or options.paused_at is None:
        return 0
    reason = options.paused_reason
    options.paused_at = None
    options.paused_reason = ""
    options.save(update_fields=["paused_at", "paused_reason"])
    resumed = 0
    for send_id in Send.objects.filter(
        publication_id=publication_id, state=SendState.PAUSED, state_reason=reason
    ).values_list("pk", flat=True):
        resumed += resume(send_id)
    return resumed

"""Claiming and recording deliveries: the SQL the sending loop runs.

A claim is one conditional UPDATE (… WHERE id IN (next pending ids) AND state = 'pending'),
so two workers can never hold the same row: on SQLite writers take turns; on PostgreSQL the
inner SELECT skips rows another transaction has locked and the outer condition is checked
again under the row lock. Each claim carries a tag (loop id + number) and a lease; results
are written only while the tag still holds the row.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, F, Min, Q

from hanji.analytics import actions as figures
from hanji.sending import clock, conf
from hanji.sending.models import Delivery, DeliveryState

PENDING, CLAIMED, SENT, FAILED, SKIPPED = (
    DeliveryState.PENDING,
    DeliveryState.CLAIMED,
    DeliveryState.SENT,
    DeliveryState.FAILED,
    DeliveryState.SKIPPED,
)


class Claimed(NamedTuple):
    id: int
    subscriber_id: int
    paid: bool
    attempts: int
    tag: str


def claim(
    send_id: int, tag: str, limit: int, lease: float, expired: bool = False, after: int = 0
) -> list[Claimed]:
    """Claim up to `limit` due deliveries with an id above `after` (or, with `expired`, rows
    whose claim lapsed).

    `after` is the caller's keyset cursor: rows below it were claimed already, and on
    PostgreSQL their old index entries (pending, now dead) would otherwise be walked again by
    every claim, making a send quadratic in its length."""
    table = connection.ops.quote_name(Delivery._meta.db_table)
    now = clock.now()
    adapt = connection.ops.adapt_datetimefield_value
    if expired:
        condition, cond_params = "state = 'claimed' AND lease_until < %s", [adapt(now)]
    else:
        condition = "state = 'pending' AND next_attempt_at <= %s AND id > %s"
        cond_params = [adapt(now), after]
    skip = " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""
    sql = (
        f"UPDATE {table} SET state = 'claimed', claimed_by = %s, lease_until = %s"
        f" WHERE id IN (SELECT id FROM {table} WHERE send_id = %s AND {condition}"
        f" ORDER BY id LIMIT %s{skip}) AND {condition}"
        " RETURNING id, subscriber_id, paid, attempts"
    )
    params = [tag, adapt(now + timedelta(seconds=lease)), send_id, *cond_params, limit]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params + cond_params)
        rows = cursor.fetchall()
    rows.sort()
    return [Claimed(r[0], r[1], bool(r[2]), r[3], tag) for r in rows]


def renew(send_id: int, loop_id: str, lease: float) -> int:
    return Delivery.objects.filter(
        send_id=send_id, state=CLAIMED, claimed_by__startswith=f"{loop_id}:"
    ).update(lease_until=clock.now() + timedelta(seconds=lease))


def release(send_id: int, loop_id: str, ids: Iterable[int] | None = None) -> int:
    """Give claimed rows back (unsent), e.g. when a loop stops."""
    rows = Delivery.objects.filter(
        send_id=send_id, state=CLAIMED, claimed_by__startswith=f"{loop_id}:"
    )
    if ids is not None:
        rows = rows.filter(pk__in=list(ids))
    return rows.update(state=PENDING, claimed_by="", lease_until=None)


def backoff(attempt: int) -> float:
    """Exponential backoff with jitter (half to full of base·2^(n-1), capped)."""
    base = conf.get("RETRY_BASE_SECONDS")
    cap = conf.get("RETRY_MAX_SECONDS")
    delay = min(cap, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)


class Recorder:
    """Writes outcomes: sent rows in one UPDATE per claim tag, the rare others one by one,
    all in one transaction per flush."""

    def __init__(self, send_id: int):
        self.send_id = send_id
        self.lost = 0  # rows whose claim another worker took over meanwhile

    def sent(self, rows: list[tuple[Claimed, str]], now: datetime) -> None:
        lost = self.lost
        by_tag: dict[str, list[int]] = {}
        with_ids = []
        for row, provider_id in rows:
            if provider_id:
                with_ids.append((row, provider_id))
            else:
                by_tag.setdefault(row.tag, []).append(row.id)
        for tag, ids in by_tag.items():
            done = Delivery.objects.filter(pk__in=ids, state=CLAIMED, claimed_by=tag).update(
                state=SENT,
                sent_at=now,
                claimed_by="",
                lease_until=None,
                attempts=F("attempts") + 1,
                code=250,
                error="",
            )
            self.lost += len(ids) - done
        for row, provider_id in with_ids:
            self.lost += 1 - Delivery.objects.filter(
                pk=row.id, state=CLAIMED, claimed_by=row.tag
            ).update(
                state=SENT,
                sent_at=now,
                claimed_by="",
                lease_until=None,
                attempts=F("attempts") + 1,
                code=250,
                error="",
                provider_message_id=provider_id[:200],
            )
        # The send's running figure, in the caller's transaction with the rows it counts.
        figures.messages_sent(self.send_id, len(rows) - (self.lost - lost))

    def retry(self, row: Claimed, code: int, detail: str, now: datetime) -> bool:
        """A temporary refusal: back to pending with backoff, or failed after the last
        attempt. True when the row failed for good."""
        attempts = row.attempts + 1
        rows = Delivery.objects.filter(pk=row.id, state=CLAIMED, claimed_by=row.tag)
        if attempts >= conf.get("MAX_ATTEMPTS"):
            rows.update(
                state=FAILED, attempts=attempts, code=code, error=detail[:300], claimed_by="",
                lease_until=None,
            )  # fmt: skip
            return True
        rows.update(
            state=PENDING,
            attempts=attempts,
            code=code,
            error=detail[:300],
            claimed_by="",
            lease_until=None,
            next_attempt_at=now + timedelta(seconds=backoff(attempts)),
        )
        return False

    def failed(self, row: Claimed, code: int, detail: str) -> bool:
        return bool(
            Delivery.objects.filter(pk=row.id, state=CLAIMED, claimed_by=row.tag).update(
                state=FAILED,
                attempts=F("attempts") + 1,
                code=code or None,
                error=detail[:300],
                claimed_by="",
                lease_until=None,
            )
        )

    def requeue(self, rows: list[Claimed], detail: str, at: datetime) -> None:
        """The transport did not take these: pending again, no attempt counted."""
        by_tag: dict[str, list[int]] = {}
        for row in rows:
            by_tag.setdefault(row.tag, []).append(row.id)
        for tag, ids in by_tag.items():
            Delivery.objects.filter(pk__in=ids, state=CLAIMED, claimed_by=tag).update(
                state=PENDING, claimed_by="", lease_until=None, next_attempt_at=at,
                error=detail[:300],
            )  # fmt: skip

    def skipped(self, rows: list[Claimed], reason: str) -> None:
        by_tag: dict[str, list[int]] = {}
        for row in rows:
            by_tag.setdefault(row.tag, []).append(row.id)
        for tag, ids in by_tag.items():
            Delivery.objects.filter(pk__in=ids, state=CLAIMED, claimed_by=tag).update(
                state=SKIPPED, claimed_by="", lease_until=None, error=reason[:300]
            )

    def hold(self, rows: list[Claimed], until: datetime, reason: str) -> None:
        self.requeue(rows, reason, until)


class Left(NamedTuple):
    pending: int
    next_due: datetime | None
    claimed: int
    lease_end: datetime | None


def left(send_id: int) -> Left:
    row = Delivery.objects.filter(send_id=send_id, state__in=(PENDING, CLAIMED)).aggregate(
        pending=Count("id", filter=Q(state=PENDING)),
        next_due=Min("next_attempt_at", filter=Q(state=PENDING)),
        claimed=Count("id", filter=Q(state=CLAIMED)),
        lease_end=Min("lease_until", filter=Q(state=CLAIMED)),
    )
    return Left(row["pending"], row["next_due"], row["claimed"], row["lease_end"])


def counts(send_id: int) -> dict[str, int]:
    """Deliveries of a send by state (one grouped query)."""
    result = {state: 0 for state in DeliveryState.values}
    for row in (
        Delivery.objects.filter(send_id=send_id).values("state").annotate(n=Count("id")).order_by()
    ):
        result[row["state"]] = row["n"]
    return result

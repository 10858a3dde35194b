"""Exact per-status subscriber counts of each publication, kept in a small table.

Counting a million rows per status took 456-618 ms of the studio's first loads on a busy
machine (bench/README.md), so the subscriber actions keep `SubscriberCount` up to date inside
their own transactions instead: every change of a subscriber's status moves one unit from the
old status to the new one, a new subscriber adds one, a deletion takes one away, an import
batch adds what it inserted. Reading the figures is then one query of five rows.

Exact, not an estimate, because each change happens with the subscriber's row locked (or by a
conditional UPDATE that saw the old status) in the same transaction as the counter's UPDATE,
and `recount` locks the counter rows before it counts: an action still in flight either
finished before the lock (and is counted) or adds its unit after the recount.

A publication without rows has not been counted yet (made before this table, or its
subscribers were written straight to the database, like the benchmark's): the first read
counts once. `recount_all` runs daily in the worker (settings.HANJI_PERIODIC_JOBS), and
`hanji subscribers recount` on demand, after writing subscribers by hand in SQL.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, F

from hanji.subscribers.models import Subscriber, SubscriberCount, SubscriberStatus

STATUSES: tuple[str, ...] = tuple(SubscriberStatus.values)


def by_status(publication_id: int) -> dict[str, int]:
    """{status: subscribers} of the publication, every status present."""
    rows = dict(
        SubscriberCount.objects.filter(publication_id=publication_id).values_list("status", "n")
    )
    if not rows:
        return recount(publication_id)
    return {status: rows.get(status, 0) for status in STATUSES}


@transaction.atomic
def recount(publication_id: int) -> dict[str, int]:
    """Count the publication's subscribers per status again and store the counts; returns
    them. Corrects any drift (rows written outside the actions)."""
    SubscriberCount.objects.bulk_create(
        [SubscriberCount(publication_id=publication_id, status=s, n=0) for s in STATUSES],
        ignore_conflicts=True,
    )
    # Lock the counters first: a change in flight waits for this transaction or was counted.
    list(
        SubscriberCount.objects.select_for_update()
        .filter(publication_id=publication_id)
        .order_by("status")
        .values_list("pk", flat=True)
    )
    counted = dict.fromkeys(STATUSES, 0)
    for status, n in (
        Subscriber.objects.filter(publication_id=publication_id)
        .values_list("status")
        .annotate(n=Count("*"))
        .order_by()
    ):
        counted[status] = n
    for status, n in counted.items():
        SubscriberCount.objects.filter(publication_id=publication_id, status=status).update(n=n)
    return counted


def recount_all() -> int:
    """The periodic reconcile: recount every publication; returns how many counts it had to
    correct (0 when the actions kept them exact)."""
    from hanji.publications.models import Publication

    corrected = 0
    for publication_id in Publication.objects.order_by("pk").values_list("pk", flat=True):
        before = dict(
            SubscriberCount.objects.filter(publication_id=publication_id).values_list("status", "n")
        )
        after = recount(publication_id)
        corrected += sum(1 for s in STATUSES if before and before.get(s, 0) != after[s])
    return corrected


def change(publication_id: int, deltas: dict[str, int]) -> None:
    """Add each delta to its status's count, in the caller's transaction. Counters not made
    yet stay unmade (the first read counts). Rows are updated in one order (by status), so two
    changes in opposite directions cannot deadlock."""
    for status in sorted(deltas):
        if deltas[status]:
            SubscriberCount.objects.filter(publication_id=publication_id, status=status).update(
                n=F("n") + deltas[status]
            )


def added(publication_id: int, status: str, n: int = 1) -> None:
    change(publication_id, {status: n})


def removed(publication_id: int, status: str) -> None:
    change(publication_id, {status: -1})


def moved(publication_id: int, old: str, new: str) -> None:
    """One subscriber went from status `old` to `new`."""
    if old != new:
        change(publication_id, {old: -1, new: 1})

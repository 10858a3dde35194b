"""Keeping the aggregates. Web views: called by the view fold (hanji.engagement.counting) inside
its transaction, with the views it has just counted. Email: called by hanji.sending (events,
the claim recorder, the send's end) inside their transactions, one event at a time."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q

from hanji.analytics.models import (
    DayVisitor,
    LinkClicker,
    LinkFigures,
    PostDay,
    SendFigures,
)
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import Delivery, DeliveryEvent, DeliveryState, EventKind, Send


def _days(views: list[tuple[int, str, float]]) -> list[tuple[int, str, date]]:
    """Each view's day in its publication's time zone."""
    post_ids = {post_id for post_id, _v, _at in views}
    zones = {
        pk: zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
        for pk, name in Post.objects.filter(pk__in=post_ids).values_list(
            "pk", "publication__time_zone"
        )
    }
    return [
        (post_id, visitor, datetime.fromtimestamp(at, tz=UTC).astimezone(zones[post_id]).date())
        for post_id, visitor, at in views
        if post_id in zones
    ]


def add_views(views: list[tuple[int, str, float]]) -> None:
    """Add counted views (post id, visitor, time) to the posts' days: a view each, and a
    visitor the first time they are seen on a post that day."""
    dated = _days(views)
    if not dated:
        return
    per_day = Counter((post_id, day) for post_id, _visitor, day in dated)
    wanted = {(post_id, visitor, day) for post_id, visitor, day in dated}
    seen = set()
    for post_id, day in per_day:
        names = [v for p, v, d in wanted if p == post_id and d == day]
        seen |= {
            (post_id, v, day)
            for v in DayVisitor.objects.filter(
                post_id=post_id, day=day, visitor__in=names
            ).values_list("visitor", flat=True)
        }
    new = wanted - seen
    DayVisitor.objects.bulk_create(
        [DayVisitor(post_id=p, visitor=v, day=d) for p, v, d in sorted(new)], batch_size=500
    )
    new_per_day = Counter((p, d) for p, _v, d in new)
    for (post_id, day), count in sorted(per_day.items()):
        PostDay.objects.get_or_create(post_id=post_id, day=day)
        PostDay.objects.filter(post_id=post_id, day=day).update(
            views=F("views") + count, visitors=F("visitors") + new_per_day[(post_id, day)]
        )


def purge_raw(today: date | None = None) -> int:
    """Delete the per-visitor rows older than HANJI_ANALYTICS_RAW_DAYS (the day totals stay)."""
    keep = settings.HANJI_ANALYTICS_RAW_DAYS
    today = today or datetime.now(UTC).date()
    deleted, _detail = DayVisitor.objects.filter(day__lt=today - timedelta(days=keep)).delete()
    return deleted + purge_raw_email_events(today)


# Email figures ---------------------------------------------------------------------------

OPEN, MACHINE_OPEN, CLICK = "open", "machine_open", "click"
BOUNCE, LATE_BOUNCE, COMPLAINT, UNSUBSCRIBE = "bounce", "late_bounce", "complaint", "unsubscribe"
MACHINE_DETAIL = "machine"  # the detail of a machine open's raw event (hanji.sending.events)
KINDS = (OPEN, MACHINE_OPEN, CLICK, BOUNCE, LATE_BOUNCE, COMPLAINT, UNSUBSCRIBE)


def _figures(send_id: int) -> None:
    """Make the send's row when it has none (a send made before the figures were kept)."""
    if not SendFigures.objects.filter(send_id=send_id).exists():
        send = Send.objects.filter(pk=send_id).values("publication_id", "post_id").first()
        if send is not None:
            SendFigures.objects.get_or_create(send_id=send_id, defaults=send)


def _add(send_id: int, **amounts: int) -> None:
    changes = {name: F(name) + n for name, n in amounts.items() if n}
    if not changes or SendFigures.objects.filter(send_id=send_id).update(**changes):
        return
    _figures(send_id)  # the send's first figure: make its row, then add
    SendFigures.objects.filter(send_id=send_id).update(**changes)


def _first(delivery_id: int, field: str, now) -> bool:
    """Set the delivery's guard field if it is still empty: one conditional UPDATE, so of
    two requests at once (or a replay) exactly one sees True."""
    return bool(
        Delivery.objects.filter(pk=delivery_id, **{f"{field}__isnull": True}).update(**{field: now})
    )


def _first_link_click(delivery_id: int, position: int) -> bool:
    try:
        with transaction.atomic():  # a savepoint: the duplicate leaves the caller's work alone
            LinkClicker.objects.create(delivery_id=delivery_id, position=position)
    except IntegrityError:
        return False
    return True


def _first_report(delivery_id: int, kind: str) -> bool:
    """Bounces, complaints and unsubscribes are guarded by their own event rows (kept for
    good, unlike opens and clicks): the delivery row is locked first, so two reports of the
    same thing at once count once. Call it before the event row is written."""
    Delivery.objects.select_for_update().filter(pk=delivery_id).values_list("pk").first()
    return not DeliveryEvent.objects.filter(delivery_id=delivery_id, kind=kind).exists()


@transaction.atomic
def email_event(send_id: int, delivery_id: int, kind: str, *, position: int | None = None) -> bool:
    """Count one thing a message's reader (or their mail system) did, inside the caller's
    transaction; True when it was the first of its kind for that delivery.

    - open: a person opened it (a repeat adds to `opens` only);
    - machine_open: Apple's Mail Privacy Protection fetched the pixel (not a person);
    - click: a click on the link at `position` (also proves an open);
    - bounce / late_bounce: refused for good while sending / bounced after it was accepted;
    - complaint, unsubscribe: once per delivery.
    """
    now = datetime.now(UTC)
    if kind == OPEN:
        first = _first(delivery_id, "opened_at", now)
        _add(send_id, opens=1, unique_opens=int(first))
        return first
    if kind == MACHINE_OPEN:
        first = _first(delivery_id, "machine_opened_at", now)
        _add(send_id, machine_opens=int(first))
        return first
    if kind == CLICK:
        first = _first(delivery_id, "clicked_at", now)
        opened = _first(delivery_id, "opened_at", now)  # images may be blocked
        _add(
            send_id,
            clicks=1,
            unique_clicks=int(first),
            unique_opens=int(opened),
            opens=int(opened),  # never fewer opens than readers who opened
        )
        if position is not None:
            link_first = _first_link_click(delivery_id, position)
            LinkFigures.objects.get_or_create(send_id=send_id, position=position)
            LinkFigures.objects.filter(send_id=send_id, position=position).update(
                clicks=F("clicks") + 1, unique_clicks=F("unique_clicks") + int(link_first)
            )
        return first
    event_kind = {
        BOUNCE: EventKind.BOUNCE,
        LATE_BOUNCE: EventKind.BOUNCE,
        COMPLAINT: EventKind.COMPLAINT,
        UNSUBSCRIBE: EventKind.UNSUBSCRIBE,
    }.get(kind)
    if event_kind is None:
        raise ValueError(f"not an email event: {kind!r}")
    if not _first_report(delivery_id, event_kind):
        return False
    if kind in (BOUNCE, LATE_BOUNCE):
        _add(send_id, bounced=1, bounced_late=int(kind == LATE_BOUNCE))
    else:
        _add(send_id, **{"complaints" if kind == COMPLAINT else "unsubscribes": 1})
    return True


def messages_sent(send_id: int, count: int) -> None:
    """Deliveries just marked sent (the claim recorder, in its transaction)."""
    if count:
        _add(send_id, sent=count)


def send_ended(send_id: int, sent_count: int) -> None:
    """The send's final count of accepted messages (hanji.sending.transitions' own count)
    replaces the running one, so the figure is the send's own whatever happened meanwhile."""
    _figures(send_id)
    SendFigures.objects.filter(send_id=send_id).update(sent=sent_count)


def rebuild_send_figures(send_ids: list[int] | None = None) -> int:
    """Fill the email figures again from the deliveries and the events still kept (sends
    made before the figures existed, or after a repair); returns the sends rebuilt.

    Opens and clicks are read from the deliveries' first-open and first-click times, so
    they survive the deletion of raw events; total clicks and per-link figures come from the
    raw click events, so only those still kept are counted."""
    sends = Send.objects.all() if send_ids is None else Send.objects.filter(pk__in=send_ids)
    done = 0
    for send in sends.only("pk", "publication_id", "post_id").iterator():
        with transaction.atomic():
            _rebuild_one(send)
        done += 1
    return done


def _rebuild_one(send: Send) -> None:
    d = Delivery.objects.filter(send_id=send.pk).aggregate(
        sent=Count("pk", filter=Q(state=DeliveryState.SENT)),
        unique_opens=Count("pk", filter=Q(opened_at__isnull=False)),
        machine_opens=Count("pk", filter=Q(machine_opened_at__isnull=False)),
        unique_clicks=Count("pk", filter=Q(clicked_at__isnull=False)),
    )
    events = DeliveryEvent.objects.filter(send_id=send.pk)
    e = events.aggregate(
        opens=Count("pk", filter=Q(kind=EventKind.OPEN) & ~Q(detail=MACHINE_DETAIL)),
        clicks=Count("pk", filter=Q(kind=EventKind.CLICK)),
        bounced=Count("delivery_id", filter=Q(kind=EventKind.BOUNCE), distinct=True),
        bounced_late=Count(
            "delivery_id",
            filter=Q(kind=EventKind.BOUNCE, delivery__state=DeliveryState.SENT),
            distinct=True,
        ),
        complaints=Count("delivery_id", filter=Q(kind=EventKind.COMPLAINT), distinct=True),
        unsubscribes=Count("delivery_id", filter=Q(kind=EventKind.UNSUBSCRIBE), distinct=True),
    )
    SendFigures.objects.update_or_create(
        send_id=send.pk,
        defaults={
            "publication_id": send.publication_id,
            "post_id": send.post_id,
            **d,
            "opens": max(e.pop("opens"), d["unique_opens"]),
            "clicks": max(e.pop("clicks"), d["unique_clicks"]),
            **e,
        },
    )
    clicks = events.filter(kind=EventKind.CLICK, link__isnull=False)
    LinkFigures.objects.filter(send_id=send.pk).delete()
    LinkClicker.objects.filter(
        delivery_id__in=Delivery.objects.filter(send_id=send.pk).values("pk")
    ).delete()
    per_link = clicks.values("link").annotate(n=Count("pk"), u=Count("delivery_id", distinct=True))
    LinkFigures.objects.bulk_create(
        LinkFigures(send_id=send.pk, position=row["link"], clicks=row["n"], unique_clicks=row["u"])
        for row in per_link.order_by()
    )
    LinkClicker.objects.bulk_create(
        (
            LinkClicker(delivery_id=delivery_id, position=link)
            for delivery_id, link in clicks.exclude(delivery_id=None)
            .values_list("delivery_id", "link")
            .distinct()
            .order_by()
        ),
        batch_size=1000,
        ignore_conflicts=True,
    )


def purge_raw_email_events(today: date | None = None) -> int:
    """Delete opens and clicks older than HANJI_ANALYTICS_RAW_DAYS: they were counted as they
    came (SendFigures, LinkFigures, the deliveries' first-open and first-click times), and
    nothing else reads them. Bounces, complaints and unsubscribes stay (the soft-bounce rule,
    the complaint rate and the figures' guards read them)."""
    keep = settings.HANJI_ANALYTICS_RAW_DAYS
    today = today or datetime.now(UTC).date()
    before = datetime.combine(today - timedelta(days=keep), datetime.min.time(), tzinfo=UTC)
    deleted = 0
    # One publication at a time, so each delete walks the (publication, kind, created_at)
    # index instead of the whole table.
    for publication_id in Publication.objects.values_list("pk", flat=True).iterator():
        gone, _detail = DeliveryEvent.objects.filter(
            publication_id=publication_id,
            kind__in=(EventKind.OPEN, EventKind.CLICK),
            created_at__lt=before,
        ).delete()
        deleted += gone
    return deleted

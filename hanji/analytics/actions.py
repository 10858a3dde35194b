"""Keeping the aggregates. Web views: called by the view fold (hanji.engagement.counting) inside
its transaction, with the views it has just counted, and the purge of the raw rows. Email:
called by hanji.sending (events, the claim recorder, the send's end) inside their transactions,
one event at a time. Sign-ups and departures are kept apart, in hanji.analytics.signups.
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q

from hanji.analytics import sources
from hanji.analytics.models import (
    DayVisitor,
    LinkClicker,
    LinkFigures,
    PostDay,
    PostSourceDay,
    SendFigures,
    SourceDay,
)
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import Delivery, DeliveryEvent, DeliveryState, EventKind, Send

# Distinct referrer hosts (or utm_source values) kept per channel per day: for one post, and
# for the whole publication. The rest are added up as OTHER, so a flood of forged referrers
# adds at most this many rows a day, whatever it sends.
POST_NAMES_PER_DAY = 20
PUBLICATION_NAMES_PER_DAY = 50
OTHER = "(other)"

View = tuple  # (post id, visitor, unix time[, source token])


def upsert_add(table: str, keys: Sequence[str], values: Sequence[str], rows: Iterable) -> None:
    """Add `values` to the row of `keys`, creating it at zero first: INSERT … ON CONFLICT DO
    UPDATE (SQLite 3.24+ and PostgreSQL), 500 rows a statement, so concurrent folds and a
    missing row need no get-or-create round trip. The rows' keys must be distinct."""
    rows = list(rows)
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = [*keys, *values]
    placeholder = f"({', '.join(['%s'] * len(columns))})"
    update = ", ".join(
        f"{quote(v)} = {quote(table)}.{quote(v)} + EXCLUDED.{quote(v)}" for v in values
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 500):
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) VALUES "
                + ", ".join([placeholder] * len(chunk))
                + f" ON CONFLICT ({', '.join(quote(k) for k in keys)}) DO UPDATE SET {update}",
                [value for row in chunk for value in row],
            )


def _posts(post_ids: set[int]) -> dict[int, tuple[int, zoneinfo.ZoneInfo]]:
    """Each post's (publication id, time zone)."""
    return {
        pk: (publication_id, zoneinfo.ZoneInfo(name or settings.TIME_ZONE))
        for pk, publication_id, name in Post.objects.filter(pk__in=post_ids).values_list(
            "pk", "publication_id", "publication__time_zone"
        )
    }


def _dated(views: list[View]) -> list[tuple[int, int, str, date, str]]:
    """(post, publication, visitor, day in its publication's time zone, source token)."""
    posts = _posts({view[0] for view in views})
    dated = []
    for view in views:
        post_id, visitor, at = view[0], view[1], view[2]
        if post_id not in posts:
            continue
        publication_id, zone = posts[post_id]
        day = datetime.fromtimestamp(at, tz=UTC).astimezone(zone).date()
        dated.append((post_id, publication_id, visitor, day, view[3] if len(view) > 3 else ""))
    return dated


def _new_visitors(dated: list[tuple]) -> set[tuple[int, str, date]]:
    """The (post, visitor, day) triples not seen before, recorded in DayVisitor by
    INSERT … ON CONFLICT DO NOTHING RETURNING (SQLite 3.35+, PostgreSQL): the rows it
    returns are the new ones, with no read first. PostgreSQL takes the whole batch as three
    arrays in one statement; SQLite 1,000 rows a statement."""
    wanted = sorted({(day, post_id, visitor) for post_id, _pub, visitor, day, _s in dated})
    if not wanted:
        return set()
    table = connection.ops.quote_name(DayVisitor._meta.db_table)
    returning = " ON CONFLICT (day, post_id, visitor) DO NOTHING RETURNING day, post_id, visitor"
    if connection.vendor == "postgresql":
        days, posts, visitors = (list(column) for column in zip(*wanted, strict=True))
        statements = [
            (
                f"INSERT INTO {table} (day, post_id, visitor) SELECT * FROM "
                "unnest(%s::date[], %s::bigint[], %s::varchar[])" + returning,
                [days, posts, visitors],
            )
        ]
    else:
        statements = [
            (
                f"INSERT INTO {table} (day, post_id, visitor) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + returning,
                [value for row in chunk for value in row],
            )
            for chunk in (wanted[i : i + 1000] for i in range(0, len(wanted), 1000))
        ]
    new = set()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            for day, post_id, visitor in cursor.fetchall():
                if isinstance(day, str):  # SQLite returns the text it stored
                    day = date.fromisoformat(day)
                new.add((post_id, visitor, day))
    return new


def _source_counts(dated: list[tuple]) -> tuple[Counter, Counter]:
    """Views per (post, day, channel, name) and per (publication, day, channel, name); a
    view with a utm_source counts once more under the channel "utm"."""
    per_post: Counter = Counter()
    per_publication: Counter = Counter()
    for post_id, publication_id, _visitor, day, token in dated:
        source = sources.from_token(token)
        keys = [(source.channel, source.host)]
        if source.utm_source:
            keys.append(("utm", source.utm_source))
        for channel, name in keys:
            per_post[(post_id, day, channel, name)] += 1
            per_publication[(publication_id, day, channel, name)] += 1
    return per_post, per_publication


def _capped(counts: Counter, known: set[tuple], cap: int) -> Counter:
    """Names beyond `cap` a (owner, day, channel) become OTHER: names already kept stay,
    new ones are admitted most-viewed first while there is room."""
    kept: dict[tuple, int] = Counter((o, d, c) for o, d, c, n in known if n != OTHER)
    capped: Counter = Counter()
    for (owner, day, channel, name), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        group = (owner, day, channel)
        if name in ("", OTHER) or (owner, day, channel, name) in known:
            capped[(owner, day, channel, name)] += n
        elif kept[group] < cap:
            kept[group] += 1
            known.add((owner, day, channel, name))
            capped[(owner, day, channel, name)] += n
        else:
            capped[(owner, day, channel, OTHER)] += n
    return capped


def _add_sources(dated: list[tuple]) -> None:
    per_post, per_publication = _source_counts(dated)
    days = {day for _p, _pub, _v, day, _s in dated}
    post_ids = {key[0] for key in per_post}
    publication_ids = {key[0] for key in per_publication}
    known_posts = set(
        PostSourceDay.objects.filter(post_id__in=post_ids, day__in=days).values_list(
            "post_id", "day", "channel", "name"
        )
    )
    known_publications = set(
        SourceDay.objects.filter(publication_id__in=publication_ids, day__in=days).values_list(
            "publication_id", "day", "channel", "name"
        )
    )
    per_post = _capped(per_post, known_posts, POST_NAMES_PER_DAY)
    per_publication = _capped(per_publication, known_publications, PUBLICATION_NAMES_PER_DAY)
    upsert_add(
        PostSourceDay._meta.db_table,
        ["post_id", "day", "channel", "name"],
        ["views"],
        [(*key, n) for key, n in sorted(per_post.items())],
    )
    upsert_add(
        SourceDay._meta.db_table,
        ["publication_id", "day", "channel", "name"],
        ["views"],
        [(*key, n) for key, n in sorted(per_publication.items())],
    )


def add_views(views: list[View]) -> None:
    """Add counted views (post id, visitor, time[, source token]) to the posts' days: a view
    each, a visitor the first time they are seen on a post that day, and where it came from."""
    dated = _dated(views)
    if not dated:
        return
    per_day = Counter((post_id, day) for post_id, _pub, _visitor, day, _s in dated)
    new_per_day = Counter((p, d) for p, _v, d in _new_visitors(dated))
    upsert_add(
        PostDay._meta.db_table,
        ["post_id", "day"],
        ["views", "visitors", "signups", "paid_signups"],
        [
            (post_id, day, count, new_per_day[(post_id, day)], 0, 0)
            for (post_id, day), count in sorted(per_day.items())
        ],
    )
    _add_sources(dated)


def raw_days() -> int:
    """HANJI_ANALYTICS_RAW_DAYS, at least 1: a visitor must be known for the whole day."""
    return max(1, int(settings.HANJI_ANALYTICS_RAW_DAYS))


def purge_raw(today: date | None = None) -> int:
    """Delete the per-visitor rows older than HANJI_ANALYTICS_RAW_DAYS (the day totals stay).
    Run by every view fold (hanji.engagement.counting.fold_views, the periodic job)."""
    today = today or datetime.now(UTC).date()
    deleted, _detail = DayVisitor.objects.filter(
        day__lt=today - timedelta(days=raw_days())
    ).delete()
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
    keep = raw_days()
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

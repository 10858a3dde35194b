"""Keeping the daily aggregates: called by the view fold (hanji.engagement.counting) inside its
transaction, with the views it has just counted; and the purge of the raw rows.

Below them, sign-ups and departures (called by the subscribers' and memberships' actions).
"""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from hanji.analytics import sources
from hanji.analytics.models import (
    DayVisitor,
    PostDay,
    PostSourceDay,
    SignupKind,
    SignupSource,
    SourceDay,
    SubscriberDay,
)
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber

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
    returns are the new ones, one statement per 1,000 rows and no read first."""
    wanted = sorted({(post_id, visitor, day) for post_id, _pub, visitor, day, _s in dated})
    table = connection.ops.quote_name(DayVisitor._meta.db_table)
    new = set()
    with connection.cursor() as cursor:
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            cursor.execute(
                f"INSERT INTO {table} (post_id, visitor, day) VALUES "
                + ", ".join(["(%s, %s, %s)"] * len(chunk))
                + " ON CONFLICT (post_id, day, visitor) DO NOTHING"
                " RETURNING post_id, visitor, day",
                [value for row in chunk for value in row],
            )
            for post_id, visitor, day in cursor.fetchall():
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
    return deleted


# --- sign-ups and departures ---------------------------------------------------------------
# Called by the subscribers' actions (subscribe, confirm, unsubscribe, suppress, delete, import)
# and the memberships' grant, inside their transactions: SubscriberDay and PostDay.signups are
# kept as they happen, never recounted by scanning subscribers (rebuild_signups can, once).

KIND_OF_SOURCE = {"form": "other", "import": "import", "api": "api", "admin": "studio"}


def local_day(publication: Publication, when: datetime | None = None) -> date:
    zone = zoneinfo.ZoneInfo(publication.time_zone or settings.TIME_ZONE)
    return (when or timezone.now()).astimezone(zone).date()


def record_signup(
    subscriber: Subscriber,
    kind: str,
    *,
    post: Post | None = None,
    source: sources.Source | None = None,
) -> SignupSource:
    """Where a new subscriber came from (first touch: a later sign-up form changes nothing).
    `post` must be a post of the subscriber's publication (anything else is dropped)."""
    found = SignupSource.objects.filter(subscriber=subscriber).first()
    if found is not None:
        return found
    if kind not in SignupKind.values:
        kind = SignupKind.OTHER
    if post is not None and post.publication_id != subscriber.publication_id:
        post = None
    source = source or sources.Source()
    return SignupSource.objects.create(
        subscriber=subscriber,
        publication_id=subscriber.publication_id,
        kind=kind,
        post=post,
        channel=source.channel,
        referrer_host=source.host,
        utm_source=source.utm_source,
        utm_medium=source.utm_medium,
        utm_campaign=source.utm_campaign,
        created_at=timezone.now(),
    )


def _kind_and_post(subscriber: Subscriber) -> tuple[str, int | None]:
    row = SignupSource.objects.filter(subscriber=subscriber).values_list("kind", "post_id")
    found = row.first()
    if found is not None:
        return found
    return KIND_OF_SOURCE.get(subscriber.source, SignupKind.OTHER), None


def count_gained(subscriber: Subscriber) -> None:
    """The subscriber has just become active (confirmed, signed in, came back): one more
    gained today for their kind of form, and a sign-up for the post they subscribed on."""
    publication = subscriber.publication
    day = local_day(publication)
    kind, post_id = _kind_and_post(subscriber)
    upsert_add(
        SubscriberDay._meta.db_table,
        ["publication_id", "day", "kind"],
        ["gained", "lost"],
        [(publication.pk, day, kind, 1, 0)],
    )
    first_time = SignupSource.objects.filter(subscriber=subscriber, gained_on__isnull=True)
    if post_id is not None and first_time.update(gained_on=day):
        # Only the first confirmation is the post's sign-up; coming back later is not.
        upsert_add(
            PostDay._meta.db_table,
            ["post_id", "day"],
            ["views", "visitors", "signups", "paid_signups"],
            [(post_id, day, 0, 0, 1, 0)],
        )
    else:
        first_time.update(gained_on=day)


def count_lost(subscriber: Subscriber) -> None:
    """The subscriber was active and has just left (unsubscribed, bounced, complained,
    deleted): one more lost today for their kind of form."""
    kind, _post = _kind_and_post(subscriber)
    upsert_add(
        SubscriberDay._meta.db_table,
        ["publication_id", "day", "kind"],
        ["gained", "lost"],
        [(subscriber.publication_id, local_day(subscriber.publication), kind, 0, 1)],
    )


def count_imported(publication: Publication, created: int) -> None:
    """An import added `created` active subscribers (no SignupSource row each: an import
    of a million rows must stay one COPY; their kind is read from Subscriber.source)."""
    if created > 0:
        upsert_add(
            SubscriberDay._meta.db_table,
            ["publication_id", "day", "kind"],
            ["gained", "lost"],
            [(publication.pk, local_day(publication), SignupKind.IMPORT, created, 0)],
        )


def count_paid_signup(member) -> None:
    """A membership has just started: a paid sign-up for the post it was bought from (the
    checkout's post, else the post the reader first subscribed on)."""
    post_id = member.source_post_id
    if post_id is None:
        post_id = _kind_and_post(member.subscriber)[1]
    if post_id is None:
        return
    upsert_add(
        PostDay._meta.db_table,
        ["post_id", "day"],
        ["views", "visitors", "signups", "paid_signups"],
        [(post_id, local_day(member.subscriber.publication), 0, 0, 0, 1)],
    )


def rebuild_signups(publication: Publication) -> int:
    """Recount SubscriberDay and PostDay.signups of one publication from its subscribers
    (once, for data made before these aggregates existed). Returns the days written."""
    from django.db import transaction

    from hanji.subscribers.models import SubscriberStatus

    gained: Counter = Counter()
    lost: Counter = Counter()
    post_signups: Counter = Counter()
    kinds = dict(
        SignupSource.objects.filter(publication=publication).values_list("subscriber_id", "kind")
    )
    posts = dict(
        SignupSource.objects.filter(publication=publication, post__isnull=False).values_list(
            "subscriber_id", "post_id"
        )
    )
    rows = Subscriber.objects.filter(publication=publication, confirmed_at__isnull=False)
    for pk, source, status, confirmed_at, left_at in rows.values_list(
        "pk", "source", "status", "confirmed_at", "unsubscribed_at"
    ).iterator(chunk_size=5000):
        kind = kinds.get(pk) or KIND_OF_SOURCE.get(source, SignupKind.OTHER)
        day = local_day(publication, confirmed_at)
        gained[(day, kind)] += 1
        if pk in posts:
            post_signups[(posts[pk], day)] += 1
        if status != SubscriberStatus.ACTIVE and left_at is not None:
            lost[(local_day(publication, left_at), kind)] += 1
    with transaction.atomic():
        SubscriberDay.objects.filter(publication=publication).delete()
        SubscriberDay.objects.bulk_create(
            [
                SubscriberDay(
                    publication=publication, day=d, kind=k, gained=gained[(d, k)], lost=lost[(d, k)]
                )
                for d, k in sorted(set(gained) | set(lost))
            ],
            batch_size=1000,
        )
        PostDay.objects.filter(post__publication=publication).update(signups=0)
        upsert_add(
            PostDay._meta.db_table,
            ["post_id", "day"],
            ["views", "visitors", "signups", "paid_signups"],
            [(p, d, 0, 0, n, 0) for (p, d), n in sorted(post_signups.items())],
        )
    return len(set(gained) | set(lost))

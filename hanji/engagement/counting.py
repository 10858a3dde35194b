"""View counting: what counts as a view, and folding the spool into Post.view_count.

A view is a page view by a real browser: the post page's script sends a beacon (a POST no
email client, link previewer or pixel can make), from a user agent that is not a known bot,
for a published post the reader may read. Repeats by one visitor (a first-party cookie)
within 30 minutes count once, and one client address counts at most `view-ip` views of one
post per minute. Both rules are applied when folding, in order of time, so a burst of
simultaneous beacons is judged exactly like the same beacons one after another.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from hanji.analytics.actions import add_views, purge_raw
from hanji.core import cookies
from hanji.engagement import limits
from hanji.engagement.models import RecentView, ViewBatch
from hanji.engagement.spool import Record, encode, get_spool
from hanji.posts.models import Post

logger = logging.getLogger(__name__)

REPEAT_WINDOW = 30 * 60
FOLD_LOCK = 0x68616E6A69  # "hanji"
VISITOR_COOKIE = "hanji_v"
VISITOR_RE = re.compile(r"^[A-Za-z0-9_-]{16,32}$")

# Crawlers, link previewers, monitors, HTTP libraries and headless browsers. In-app browsers
# of KakaoTalk, Naver, Daum and Line are readers and must not match (their scrapers do).
BOT_RE = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|scrap|mediapartners|adsense|facebookexternalhit|"
    r"facebookcatalog|meta-externalagent|embedly|preview|yeti|daumoa|petalbot|bingpreview|"
    r"headless|lighthouse|pagespeed|phantomjs|selenium|puppeteer|playwright|"
    r"python|curl|wget|httpclient|okhttp|go-http|java/|axios|node-fetch|libwww|scrapy|"
    r"monitor|uptime|pingdom|check|validator|feedfetcher|archive",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def is_bot(user_agent: str) -> bool:
    """Every browser says "Mozilla/"; what doesn't, or names a bot, is not a reader.
    (Kept per agent string: a few hundred distinct agents make most of the traffic.)"""
    return not user_agent.startswith("Mozilla/") or bool(BOT_RE.search(user_agent))


def is_prefetch(request: HttpRequest) -> bool:
    purpose = request.META.get("HTTP_SEC_PURPOSE", "") or request.META.get("HTTP_PURPOSE", "")
    return "prefetch" in purpose or "prerender" in purpose


def visitor_id(request: HttpRequest) -> tuple[str, bool]:
    """(the browser's visitor id, whether it is new and must be set as a cookie)."""
    value = request.COOKIES.get(VISITOR_COOKIE, "")
    if VISITOR_RE.match(value):
        return value, False
    return secrets.token_urlsafe(16), True


def set_visitor_cookie(response, visitor: str) -> None:
    cookies.set_cookie(response, VISITOR_COOKIE, visitor, max_age=365 * 24 * 3600)


@lru_cache(maxsize=4096)
def client_tag(ip: str) -> str:
    """A short keyed hash of the client address: enough to cap it, useless to anyone else."""
    key = settings.SECRET_KEY.encode()[:64]
    return hashlib.blake2b(ip.encode(), key=key, digest_size=6).hexdigest()


def record_view(
    post_id: int, visitor: str, client: str, at: float | None = None, source: str = ""
) -> None:
    """Put one view in the spool (the folding job decides whether it counts). `source` is
    where it came from (a hanji.analytics.sources token, no whitespace)."""
    # The client tag rides with the visitor: "<post> <visitor>.<client> <unix time> [source]".
    source = "".join(source.split())
    get_spool().append(encode(post_id, f"{visitor}.{client}", at or time.time(), source))


def pending_views() -> int:
    return get_spool().pending_count()


# --- folding ------------------------------------------------------------------------------


def _split(record: Record) -> tuple[str, str]:
    visitor, _dot, client = record.visitor.partition(".")
    return visitor, client


def _last_counted(records: list[Record]) -> dict[tuple[int, str], float]:
    """When each (post, visitor) of the batch last counted, within the repeat window."""
    # From the oldest record's point of view: after a worker outage a batch may hold hours
    # of views, each judged against what counted in the 30 minutes before it.
    oldest = min(record.at for record in records)
    since = datetime.fromtimestamp(oldest - REPEAT_WINDOW, tz=UTC)
    pairs: dict[int, set[str]] = {}
    for record in records:
        pairs.setdefault(record.post_id, set()).add(_split(record)[0])
    seen: dict[tuple[int, str], float] = {}
    for post_id, visitors in pairs.items():
        names = sorted(visitors)
        for start in range(0, len(names), 500):
            rows = RecentView.objects.filter(
                post_id=post_id, visitor__in=names[start : start + 500], counted_at__gte=since
            ).values_list("visitor", "counted_at")
            for visitor, counted_at in rows:
                seen[(post_id, visitor)] = counted_at.timestamp()
    return seen


def _judge(
    records: list[Record],
) -> tuple[Counter, dict[tuple[int, str], float], list[tuple[int, str, float, str]]]:
    """Which records count: (views per post, the (post, visitor) pairs newly counted, the
    counted views as (post, visitor, time, source) for the daily figures)."""
    seen = _last_counted(records)
    ip_limit, ip_period = limits.limit("view-ip")
    per_client: Counter = Counter()
    counted: Counter = Counter()
    newly: dict[tuple[int, str], float] = {}
    views: list[tuple[int, str, float, str]] = []
    for record in sorted(records, key=lambda r: r.at):
        visitor, client = _split(record)
        last = seen.get((record.post_id, visitor))
        if last is not None and record.at - last < REPEAT_WINDOW:
            continue
        window = (record.post_id, client, int(record.at // ip_period))
        if client and per_client[window] >= ip_limit:
            continue
        per_client[window] += 1
        counted[record.post_id] += 1
        seen[(record.post_id, visitor)] = record.at
        newly[(record.post_id, visitor)] = record.at
        views.append((record.post_id, visitor, record.at, record.source))
    return counted, newly, views


def _apply(batch_id: str, records: list[Record]) -> int | None:
    """Count one batch in one transaction; None when it was counted before."""
    with transaction.atomic():
        # One fold at a time, so "seen in the last 30 minutes" is never judged by two folds
        # at once: SQLite's IMMEDIATE transactions already hold the one write lock; on
        # PostgreSQL a transaction-scoped advisory lock does the same.
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FOLD_LOCK])
        try:
            with transaction.atomic():
                batch = ViewBatch.objects.create(id=batch_id, records=len(records))
        except IntegrityError:
            return None  # counted before; the spool had not removed it yet
        counted, newly, views = _judge(records)
        add_views(views)
        for post_id, n in sorted(counted.items()):
            Post.objects.filter(pk=post_id).update(view_count=F("view_count") + n)
        rows = [
            RecentView(
                post_id=post_id, visitor=visitor, counted_at=datetime.fromtimestamp(at, tz=UTC)
            )
            for (post_id, visitor), at in newly.items()
        ]
        RecentView.objects.bulk_create(
            rows,
            batch_size=500,
            update_conflicts=True,
            unique_fields=["post_id", "visitor"],
            update_fields=["counted_at"],
        )
        batch.counted = sum(counted.values())
        batch.save(update_fields=["counted"])
        return batch.counted


def fold_views() -> int:
    """Fold every pending view into Post.view_count (a periodic job); returns views counted.

    Safe to run in several processes at once: batches are folded one at a time, each once.
    """
    spool = get_spool()
    spool.take()
    total = 0
    for batch_id in spool.batches():
        records = spool.read(batch_id)
        counted = _apply(batch_id, records) if records else 0
        spool.remove(batch_id)
        if counted:
            total += counted
    expired = timezone.now() - timedelta(seconds=REPEAT_WINDOW)
    RecentView.objects.filter(counted_at__lt=expired).delete()
    ViewBatch.objects.filter(applied_at__lt=timezone.now() - timedelta(days=7)).delete()
    purge_raw()
    if total:
        logger.info("folded %s views", total)
    return total

"""Figures for the studio's dashboard, cheap at a million subscribers.

The subscribers per status come from the counters the subscriber actions keep exact
(`hanji.subscribers.counts`): one query of five rows, never a count over the million. The
30-day growth is cached for a minute per publication (shared by every web process through
the cache) and walks the (publication, status, created_at) index one status at a time
instead of scanning the whole publication.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.core.cache import cache
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from hanji.analytics.models import SendFigures
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import ACTIVE_STATES, Send
from hanji.subscribers import counts, figures
from hanji.subscribers.models import Subscriber, SubscriberStatus

TTL = figures.TTL
GROWTH_DAYS = 30


_key = figures.key  # forgotten by the subscribers' actions (figures.forget)


def subscriber_stats(publication: Publication) -> dict:
    """{"by_status": {status: n}, "total": n, "active": n, "growth": [(date, n), …]}."""
    by_status = counts.by_status(publication.pk)
    return {
        "by_status": by_status,
        "total": sum(by_status.values()),
        "active": by_status[SubscriberStatus.ACTIVE],
        **_growth(publication),
    }


def _growth(publication: Publication) -> dict:
    key = _key(publication.pk, "subscribers")
    found = cache.get(key)
    if found is not None:
        return found
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    start = timezone.make_aware(
        datetime.combine(today - timedelta(days=GROWTH_DAYS - 1), time.min), zone
    )
    per_day: dict = {}
    for day, n in (
        Subscriber.objects.filter(
            publication=publication,
            status__in=[SubscriberStatus.ACTIVE, SubscriberStatus.PENDING],
            created_at__gte=start,
        )
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values_list("day")
        .annotate(n=Count("*"))
        .order_by()
    ):
        per_day[day] = per_day.get(day, 0) + n
    growth = [
        (today - timedelta(days=i), per_day.get(today - timedelta(days=i), 0))
        for i in range(GROWTH_DAYS - 1, -1, -1)
    ]
    found = {
        "growth": growth,
        "growth_max": max([n for _d, n in growth] + [1]),
        "new": sum(n for _d, n in growth),
    }
    cache.set(key, found, TTL)
    return found


def recent_posts(posts, limit: int = 8) -> list[Post]:
    """Newest posts with views, and unique opens (by people) and clicks of their sends, read
    from the sends' figures (hanji.analytics), never from raw events."""
    recent = list(
        posts.defer("body").select_related("category").order_by("-updated_at", "-id")[:limit]
    )
    sends = {}
    for send in Send.objects.filter(post__in=recent).order_by("created_at"):
        sends.setdefault(send.post_id, []).append(send)
    counted = {
        row["send_id"]: row
        for row in SendFigures.objects.filter(
            send_id__in=[s.pk for group in sends.values() for s in group]
        ).values("send_id", "unique_opens", "unique_clicks")
    }
    for post in recent:
        post.sends_list = sends.get(post.pk, [])
        post.sent_total = sum(s.sent_count or 0 for s in post.sends_list)
        figures_of = [counted.get(s.pk, {}) for s in post.sends_list]
        post.opens = sum(f.get("unique_opens", 0) for f in figures_of)
        post.clicks = sum(f.get("unique_clicks", 0) for f in figures_of)
    return recent


def active_sends(publication: Publication, limit: int = 5) -> list[Send]:
    return list(
        Send.objects.filter(publication=publication, state__in=ACTIVE_STATES)
        .select_related("post", "newsletter")
        .order_by("-created_at")[:limit]
    )


def recent_sends(publication: Publication, limit: int = 5) -> list[Send]:
    return list(
        Send.objects.filter(publication=publication)
        .exclude(state__in=ACTIVE_STATES)
        .select_related("post", "newsletter")
        .order_by("-created_at")[:limit]
    )

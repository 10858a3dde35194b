"""Keeping the daily aggregates: called by the view fold (hanji.engagement.counting) inside its
transaction, with the views it has just counted."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import F

from hanji.analytics.models import DayVisitor, PostDay
from hanji.posts.models import Post


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
    return deleted

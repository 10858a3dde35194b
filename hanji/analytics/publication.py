"""Reads for the publication's analytics screen: subscribers gained and lost, the top posts,
where the traffic came from. Every figure is a sum over the daily aggregates (SubscriberDay,
PostDay, SourceDay, PostSourceDay) of the range; no query reads subscribers or raw events.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Sum

from hanji.analytics.models import (
    Channel,
    PostDay,
    PostSourceDay,
    SignupKind,
    SourceDay,
    SubscriberDay,
)
from hanji.analytics.queries import DateRange
from hanji.posts.models import Post

TOP_POSTS = 10
SOURCE_ROWS = 25
MEASURES = ("views", "visitors", "signups", "paid_signups")


@dataclass
class Movement:
    """Subscribers gained and lost in one period (a day or a month), by kind of form."""

    start: date
    gained: int = 0
    lost: int = 0
    by_kind: dict[str, tuple[int, int]] = field(default_factory=dict)

    @property
    def net(self) -> int:
        return self.gained - self.lost


@dataclass(frozen=True)
class TopPost:
    post_id: int
    title: str
    views: int
    visitors: int
    signups: int
    paid_signups: int


@dataclass(frozen=True)
class SourceRow:
    channel: str
    channel_label: str
    name: str
    views: int


def _each_day(dates: DateRange):
    day = dates.start
    while day <= dates.end:
        yield day
        day += timedelta(days=1)


def subscriber_days(publication, dates: DateRange) -> list[Movement]:
    """Every day of the range (zeros included): gained, lost, net, and by kind."""
    days = {day: Movement(day) for day in _each_day(dates)}
    rows = SubscriberDay.objects.filter(
        publication=publication, day__range=(dates.start, dates.end)
    ).values_list("day", "kind", "gained", "lost")
    for day, kind, gained, lost in rows:
        movement = days[day]
        movement.gained += gained
        movement.lost += lost
        before = movement.by_kind.get(kind, (0, 0))
        movement.by_kind[kind] = (before[0] + gained, before[1] + lost)
    return list(days.values())


def by_month(days: list[Movement]) -> list[Movement]:
    months: dict[date, Movement] = {}
    for day in days:
        month = months.setdefault(day.start.replace(day=1), Movement(day.start.replace(day=1)))
        month.gained += day.gained
        month.lost += day.lost
        for kind, (gained, lost) in day.by_kind.items():
            before = month.by_kind.get(kind, (0, 0))
            month.by_kind[kind] = (before[0] + gained, before[1] + lost)
    return list(months.values())


def by_kind(days: list[Movement]) -> list[tuple[str, str, int, int]]:
    """(kind, its label, gained, lost) over the range, most gained first."""
    totals: dict[str, list[int]] = {}
    for day in days:
        for kind, (gained, lost) in day.by_kind.items():
            total = totals.setdefault(kind, [0, 0])
            total[0] += gained
            total[1] += lost
    labels = dict(SignupKind.choices)
    return sorted(
        ((k, str(labels.get(k, k)), g, lost) for k, (g, lost) in totals.items()),
        key=lambda row: (-row[2], row[0]),
    )


def post_totals(publication, dates: DateRange) -> list[TopPost]:
    """Every post with a figure in the range, with its sums (one aggregate query; the
    titles are read for the posts shown only, by `top`)."""
    rows = (
        PostDay.objects.filter(post__publication=publication, day__range=(dates.start, dates.end))
        .values_list("post_id")
        .annotate(*(Sum(m) for m in MEASURES))
        .order_by()
    )
    return [TopPost(r[0], "", *(v or 0 for v in r[1:])) for r in rows]


def top(totals: list[TopPost], measure: str, limit: int = TOP_POSTS) -> list[TopPost]:
    """The posts with the most of `measure` (views, visitors, signups, paid_signups)."""
    if measure not in MEASURES:
        raise ValueError(measure)
    chosen = sorted(
        (t for t in totals if getattr(t, measure) > 0),
        key=lambda t: (-getattr(t, measure), t.post_id),
    )[:limit]
    return chosen


def with_titles(*lists: list[TopPost]) -> list[list[TopPost]]:
    ids = {t.post_id for rows in lists for t in rows}
    titles = dict(Post.objects.filter(pk__in=ids).values_list("pk", "title"))
    return [
        [
            TopPost(t.post_id, titles.get(t.post_id, ""), *(getattr(t, m) for m in MEASURES))
            for t in rows
        ]
        for rows in lists
    ]


def top_posts(publication, dates: DateRange, measure: str, limit: int = TOP_POSTS):
    """The posts with the most of `measure` in the range, with their titles."""
    return with_titles(top(post_totals(publication, dates), measure, limit))[0]


def _sources(rows, limit: int) -> tuple[list[SourceRow], list[SourceRow], list[SourceRow]]:
    """(views by channel, by referrer host, by utm_source) from (channel, name, views)."""
    labels = dict(Channel.choices)
    channels: dict[str, int] = {}
    hosts: list[SourceRow] = []
    campaigns: list[SourceRow] = []
    for channel, name, views in rows:
        label = str(labels.get(channel, channel))
        if channel == Channel.CAMPAIGN:
            campaigns.append(SourceRow(channel, label, name, views))
            continue
        channels[channel] = channels.get(channel, 0) + views
        if name:
            hosts.append(SourceRow(channel, label, name, views))
    by_channel = [
        SourceRow(c, str(labels.get(c, c)), "", n)
        for c, n in sorted(channels.items(), key=lambda kv: -kv[1])
    ]
    hosts.sort(key=lambda r: (-r.views, r.name))
    campaigns.sort(key=lambda r: (-r.views, r.name))
    return by_channel, hosts[:limit], campaigns[:limit]


def publication_sources(publication, dates: DateRange, limit: int = SOURCE_ROWS):
    rows = (
        SourceDay.objects.filter(publication=publication, day__range=(dates.start, dates.end))
        .values_list("channel", "name")
        .annotate(n=Sum("views"))
        .order_by()
    )
    return _sources(rows, limit)


def post_sources(post, dates: DateRange, limit: int = SOURCE_ROWS):
    rows = (
        PostSourceDay.objects.filter(post=post, day__range=(dates.start, dates.end))
        .values_list("channel", "name")
        .annotate(n=Sum("views"))
        .order_by()
    )
    return _sources(rows, limit)


def web_totals(days) -> dict[str, int]:
    """The range's sums of publication_days' figures."""
    return {m: sum(getattr(d, m) for d in days) for m in MEASURES}

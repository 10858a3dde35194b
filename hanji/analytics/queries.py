"""Reading the aggregates for the studio (never raw events)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import F, Sum
from django.http import HttpRequest

from hanji.analytics import sources
from hanji.analytics.models import LinkFigures, PostDay, Rates, SendFigures, SignupKind
from hanji.core.params import parse_int
from hanji.engagement.models import Comment, CommentStatus
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import Send, SendLink

MAX_DAYS = 366
DEFAULT_DAYS = 30


@dataclass(frozen=True)
class Day:
    day: date
    views: int
    visitors: int
    signups: int = 0
    paid_signups: int = 0


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date
    understood: bool = True  # False: the asked dates were not dates; this is the default


def parse_range(start: str, end: str, today: date) -> DateRange:
    """`from` and `to` as YYYY-MM-DD: the last 30 days when absent or not dates; swapped when
    backwards; at most MAX_DAYS (counted back from `end`)."""
    default = DateRange(today - timedelta(days=DEFAULT_DAYS - 1), today)
    if not start and not end:
        return default
    try:
        first = date.fromisoformat(start.strip()) if start else default.start
        last = date.fromisoformat(end.strip()) if end else today
    except ValueError:
        return DateRange(default.start, default.end, understood=False)
    first, last = min(first, last), max(first, last)
    first = max(first, last - timedelta(days=MAX_DAYS - 1))
    return DateRange(first, last)


def _fill(rows: dict[date, tuple], dates: DateRange) -> list[Day]:
    days = []
    day = dates.start
    while day <= dates.end:
        days.append(Day(day, *rows.get(day, (0, 0, 0, 0))))
        day += timedelta(days=1)
    return days


FIGURES = ("views", "visitors", "signups", "paid_signups")


def post_days(post: Post, dates: DateRange) -> list[Day]:
    """Every day of the range, with zeros for days without a view."""
    rows = PostDay.objects.filter(post=post, day__range=(dates.start, dates.end))
    return _fill({r[0]: r[1:] for r in rows.values_list("day", *FIGURES)}, dates)


def publication_days(publication, dates: DateRange) -> list[Day]:
    """The same summed over every post of the publication (visitors: per post, added up)."""
    rows = (
        PostDay.objects.filter(post__publication=publication, day__range=(dates.start, dates.end))
        .values_list("day")
        .annotate(*(Sum(f) for f in FIGURES))
        .order_by()
    )
    return _fill({r[0]: tuple(v or 0 for v in r[1:]) for r in rows}, dates)


@dataclass(frozen=True)
class SignupOrigin:
    kind: str
    post: Post | None
    source: sources.Source


FORM_KINDS = (SignupKind.HOME, SignupKind.POST, SignupKind.EMBED)


def signup_origin(request: HttpRequest, publication) -> SignupOrigin:
    """Where a subscribe form's reader came from: the form's own hidden fields (`form`: home,
    post or embed; `post`: the post page it is on), the first-touch source cookie the view
    beacon set, else the form page's referrer when it is another site (an embedded form)."""
    from hanji.engagement.beacon import SOURCE_COOKIE

    kind = request.POST.get("form", "")
    kind = kind if kind in FORM_KINDS else SignupKind.PAGE
    post_id = parse_int(request.POST.get("post", "") or "0", default=0)
    post = (
        Post.objects.published().filter(publication=publication, pk=post_id).first()
        if post_id
        else None
    )
    source = sources.from_cookie(request.COOKIES.get(SOURCE_COOKIE, ""))
    if source == sources.Source():
        # The form page's own URL still has the UTM it was opened with (the home page sends
        # no beacon, so no cookie was set there).
        referrer = request.META.get("HTTP_REFERER", "")
        landing_query = referrer.partition("#")[0].partition("?")[2]
        source = sources.classify(referrer, landing_query, (request.get_host(),))
    return SignupOrigin(kind, post, source)


EMAIL_FIELDS = (
    "sent",
    "bounced",
    "bounced_late",
    "unique_opens",
    "opens",
    "machine_opens",
    "unique_clicks",
    "clicks",
    "unsubscribes",
    "complaints",
)


@dataclass(frozen=True)
class EmailFigures(Rates):
    """A post's email figures: the sum over its sends (a post may go to several newsletters,
    or again to those who did not get it)."""

    sends: int
    sent: int
    bounced: int
    bounced_late: int
    unique_opens: int
    opens: int
    machine_opens: int
    unique_clicks: int
    clicks: int
    unsubscribes: int
    complaints: int

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced_late, 0)


@dataclass(frozen=True)
class LinkRow:
    url: str
    clicks: int
    unique_clicks: int


def post_email(post: Post) -> EmailFigures:
    """One grouped query over the post's SendFigures rows (one per send)."""
    rows = SendFigures.objects.filter(post=post)
    totals = rows.aggregate(**{name: Sum(name) for name in EMAIL_FIELDS})
    return EmailFigures(sends=rows.count(), **{k: v or 0 for k, v in totals.items()})


def post_links(post: Post) -> list[LinkRow]:
    """The post's links by clicks (the same URL in several sends added up), most first."""
    urls = {
        (link.send_id, link.position): link.url
        for link in SendLink.objects.filter(send__post=post).only("send_id", "position", "url")
    }
    per_url: dict[str, list[int]] = {}
    for row in LinkFigures.objects.filter(send__post=post):
        url = urls.get((row.send_id, row.position))
        if url is None:
            continue
        totals = per_url.setdefault(url, [0, 0])
        totals[0] += row.clicks
        totals[1] += row.unique_clicks
    # Links nobody clicked are listed too, so the table shows what the post offered.
    for url in urls.values():
        per_url.setdefault(url, [0, 0])
    rows = [LinkRow(url, c, u) for url, (c, u) in per_url.items()]
    rows.sort(key=lambda r: (-r.clicks, -r.unique_clicks, r.url))
    return rows


@dataclass(frozen=True)
class Reactions:
    comments: int
    likes: int


def post_reactions(post: Post) -> Reactions:
    comments = Comment.objects.filter(post=post, status=CommentStatus.PUBLISHED).count()
    likes = Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).first() or 0
    return Reactions(comments, likes)


@dataclass(frozen=True)
class SendRate(Rates):
    send_id: int
    post_id: int
    subject: str
    sent_at: datetime
    delivered: int
    unique_opens: int
    unique_clicks: int
    machine_opens: int


def send_rates(publication: Publication, dates: DateRange) -> list[SendRate]:
    """Each send of the publication whose first message left within the range (days in the
    publication's time zone), oldest first, with its open and click rates."""
    zone = zoneinfo.ZoneInfo(publication.time_zone or settings.TIME_ZONE)
    start = datetime.combine(dates.start, time.min, tzinfo=zone)
    end = datetime.combine(dates.end + timedelta(days=1), time.min, tzinfo=zone)
    sends = (
        Send.objects.filter(
            publication=publication, first_sent_at__gte=start, first_sent_at__lt=end
        )
        .order_by("first_sent_at", "pk")
        .values("pk", "post_id", "subject", "first_sent_at")
    )
    figures = {
        row["send_id"]: row
        for row in SendFigures.objects.filter(send_id__in=[s["pk"] for s in sends])
        .annotate(delivered=F("sent") - F("bounced_late"))
        .values("send_id", "delivered", "unique_opens", "unique_clicks", "machine_opens")
    }
    rates = []
    for send in sends:
        row = figures.get(send["pk"], {})
        rates.append(
            SendRate(
                send["pk"],
                send["post_id"],
                send["subject"],
                send["first_sent_at"],
                max(row.get("delivered", 0), 0),
                row.get("unique_opens", 0),
                row.get("unique_clicks", 0),
                row.get("machine_opens", 0),
            )
        )
    return rates

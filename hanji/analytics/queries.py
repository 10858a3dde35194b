"""Reading the daily aggregates for the studio (never raw events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Sum
from django.http import HttpRequest

from hanji.analytics import sources
from hanji.analytics.models import PostDay, SignupKind
from hanji.core.params import parse_int
from hanji.posts.models import Post

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
        referrer = request.META.get("HTTP_REFERER", "")
        source = sources.classify(referrer, "", (request.get_host(),))
    return SignupOrigin(kind, post, source)

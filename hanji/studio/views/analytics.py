"""Analytics screens (issue 15): a post's figures (web views by day, its email: sent,
delivered, opens, clicks per link, unsubscribes, with its comments and likes), and the
publication's subscribers gained and lost, top posts and traffic sources; each chart and table
with its CSV."""

from __future__ import annotations

import itertools
import zoneinfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from hanji.analytics import publication as figures
from hanji.analytics.charts import bar_chart, diverging_chart, rate_chart
from hanji.analytics.queries import (
    DateRange,
    parse_range,
    post_days,
    post_email,
    post_links,
    post_reactions,
    publication_days,
    send_rates,
)
from hanji.studio.queries import Access, get_post_for_access
from hanji.studio.views.base import context, publication_view
from hanji.studio.views.plumbing import csv_download
from hanji.subscribers.exporter import neutralize


def _range(request: HttpRequest, access: Access) -> DateRange:
    zone = zoneinfo.ZoneInfo(access.publication.time_zone or "Asia/Seoul")
    today = timezone.localdate(timezone=zone)
    return parse_range(request.GET.get("from", ""), request.GET.get("to", ""), today)


@require_safe
@publication_view("view")
def post_analytics(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id)
    dates = _range(request, access)
    days = post_days(post, dates)
    chart = bar_chart([(f"{d.day:%m.%d}", d.views) for d in days], _("Web views per day"))
    return render(
        request,
        "studio/post_analytics.html",
        context(
            access,
            post=post,
            dates=dates,
            days=days,
            chart=chart,
            views=sum(d.views for d in days),
            visitors=sum(d.visitors for d in days),
            signups=sum(d.signups for d in days),
            paid_signups=sum(d.paid_signups for d in days),
            sources=figures.post_sources(post, dates),
            email=post_email(post),
            links=post_links(post),
            reactions=post_reactions(post),
        ),
    )


@require_safe
@publication_view("view")
def post_analytics_csv(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    post = get_post_for_access(access, post_id)
    dates = _range(request, access)
    rows = [
        [day.day.isoformat(), day.views, day.visitors, day.signups, day.paid_signups]
        for day in post_days(post, dates)
    ]
    header = ["date", "views", "unique_visitors", "signups", "paid_signups"]
    return _csv(f"post-{post.pk}-{dates.start}-{dates.end}.csv", header, rows)


def _csv(name: str, header: list[str], rows) -> HttpResponse:
    """A table as a CSV download; text (titles, hosts, URLs) is kept from running as a
    formula in a spreadsheet."""
    cells = ([neutralize(c) if isinstance(c, str) else c for c in row] for row in rows)
    return csv_download(itertools.chain([header], cells), name)


def _membership_figures(access: Access) -> dict | None:
    """The memberships issue's figures (hanji.memberships.stats), for a team member who may
    see members, when the publication has paid tiers."""
    from hanji.memberships.queries import paid_tiers
    from hanji.memberships.stats import overview_figures

    if not access.capabilities.get("subscribers") or not paid_tiers(access.publication).exists():
        return None
    return overview_figures(access.publication)


@require_safe
@publication_view("view")
def publication_analytics(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    dates = _range(request, access)
    days = figures.subscriber_days(publication, dates)
    web = publication_days(publication, dates)
    by_channel, hosts, campaigns = figures.publication_sources(publication, dates)
    sends = send_rates(publication, dates)
    totals = figures.post_totals(publication, dates)
    top_views, top_visitors, top_signups = figures.with_titles(
        *(figures.top(totals, measure) for measure in ("views", "visitors", "signups"))
    )
    return render(
        request,
        "studio/analytics.html",
        context(
            access,
            dates=dates,
            days=days,
            months=figures.by_month(days),
            kinds=figures.by_kind(days),
            gained=sum(d.gained for d in days),
            lost=sum(d.lost for d in days),
            net=sum(d.net for d in days),
            subscribers_chart=diverging_chart(
                [(f"{d.start:%m.%d}", d.gained, d.lost) for d in days],
                _("Subscribers gained and lost per day"),
            ),
            web=web,
            web_totals=figures.web_totals(web),
            views_chart=bar_chart(
                [(f"{d.day:%m.%d}", d.views) for d in web], _("Web views per day")
            ),
            top_views=top_views,
            top_visitors=top_visitors,
            top_signups=top_signups,
            by_channel=by_channel,
            hosts=hosts,
            campaigns=campaigns,
            sends=sends,
            sends_chart=rate_chart(
                [(f"{s.sent_at:%m.%d} {s.subject}", s.open_rate, s.click_rate) for s in sends],
                _("Open and click rate per send"),
            ),
            members=_membership_figures(access),
        ),
    )


CSV_TABLES = ("subscribers", "months", "views", "posts", "sources")


@require_safe
@publication_view("view")
def publication_analytics_csv(request: HttpRequest, access: Access, table: str) -> HttpResponse:
    """The numbers behind each chart and table of the publication screen."""
    if table not in CSV_TABLES:
        raise Http404
    publication = access.publication
    dates = _range(request, access)
    name = f"{publication.slug}-{table}-{dates.start}-{dates.end}.csv"
    if table in ("subscribers", "months"):
        days = figures.subscriber_days(publication, dates)
        periods = days if table == "subscribers" else figures.by_month(days)
        kinds = sorted({k for d in periods for k in d.by_kind})
        header = ["date" if table == "subscribers" else "month", "gained", "lost", "net"]
        header += [f"{k}_{what}" for k in kinds for what in ("gained", "lost")]
        rows = [
            [
                d.start.isoformat() if table == "subscribers" else f"{d.start:%Y-%m}",
                d.gained,
                d.lost,
                d.net,
                *(n for k in kinds for n in d.by_kind.get(k, (0, 0))),
            ]
            for d in periods
        ]
        return _csv(name, header, rows)
    if table == "views":
        rows = [
            [d.day.isoformat(), d.views, d.visitors, d.signups, d.paid_signups]
            for d in publication_days(publication, dates)
        ]
        return _csv(name, ["date", "views", "unique_visitors", "signups", "paid_signups"], rows)
    if table == "posts":
        top = figures.top_posts(publication, dates, "views", limit=1000)
        rows = [[p.post_id, p.title, p.views, p.visitors, p.signups, p.paid_signups] for p in top]
        return _csv(
            name, ["post_id", "title", "views", "unique_visitors", "signups", "paid_signups"], rows
        )
    by_channel, hosts, campaigns = figures.publication_sources(publication, dates, limit=1000)
    rows = [["channel", r.channel, "", r.views] for r in by_channel]
    rows += [["referrer", r.channel, r.name, r.views] for r in hosts]
    rows += [["utm_source", "", r.name, r.views] for r in campaigns]
    return _csv(name, ["table", "channel", "name", "views"], rows)


@require_safe
@publication_view("view")
def post_links_csv(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    """The per-link table of the post's email: every send of the post added up."""
    post = get_post_for_access(access, post_id)
    rows = [[link.url, link.clicks, link.unique_clicks] for link in post_links(post)]
    return _csv(f"post-{post.pk}-links.csv", ["url", "clicks", "unique_clicks"], rows)

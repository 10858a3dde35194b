"""A post's figures: web views by day (a chart, the table behind it and its CSV), and its email
(sent, delivered, opens, clicks per link with their CSV, unsubscribes) with its comments and
likes (issue 15)."""

from __future__ import annotations

import csv
import zoneinfo

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from hanji.analytics.charts import bar_chart
from hanji.analytics.queries import (
    DateRange,
    parse_range,
    post_days,
    post_email,
    post_links,
    post_reactions,
)
from hanji.studio.queries import Access, get_post_for_access
from hanji.studio.views.base import context, publication_view


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
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"post-{post.pk}-{dates.start}-{dates.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(["date", "views", "unique_visitors"])
    for day in post_days(post, dates):
        writer.writerow([day.day.isoformat(), day.views, day.visitors])
    return response


@require_safe
@publication_view("view")
def post_links_csv(request: HttpRequest, access: Access, post_id: int) -> HttpResponse:
    """The per-link table of the post's email: every send of the post added up."""
    post = get_post_for_access(access, post_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="post-{post.pk}-links.csv"'
    writer = csv.writer(response)
    writer.writerow(["url", "clicks", "unique_clicks"])
    for link in post_links(post):
        # A cell that starts like a formula is kept as text by spreadsheets.
        url = "'" + link.url if link.url[:1] in ("=", "+", "-", "@") else link.url
        writer.writerow([url, link.clicks, link.unique_clicks])
    return response

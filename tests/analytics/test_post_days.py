"""A post's web views and unique visitors by day, kept as views are folded; the studio page,
its chart and its CSV (SQLite and PostgreSQL)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from hanji.analytics.actions import purge_raw
from hanji.analytics.models import DayVisitor, PostDay
from hanji.analytics.queries import parse_range
from hanji.engagement.counting import fold_views, record_view
from tests.analytics.downloads import csv_of

pytestmark = pytest.mark.django_db


SEOUL = zoneinfo.ZoneInfo("Asia/Seoul")
# Two past days, from the real date: the fold's own purge (HANJI_ANALYTICS_RAW_DAYS) keeps them.
DAY1 = datetime.now(SEOUL).date() - timedelta(days=2)
DAY2 = DAY1 + timedelta(days=1)


def at(day: int, hour: int) -> float:
    """A time on DAY1 (`day` 1) or DAY2 (`day` 2) at `hour` in Seoul."""
    when = DAY1 + timedelta(days=day - 1)
    return datetime(when.year, when.month, when.day, hour, tzinfo=SEOUL).timestamp()


@pytest.fixture
def post(make_post):
    return make_post(title="조회수 세기")


def test_views_and_unique_visitors_are_added_up_by_day_in_seoul_time(post):
    record_view(post.pk, "a" * 32, "c1", at(1, 9))
    record_view(post.pk, "a" * 32, "c1", at(1, 15))  # again, 6 hours later: a view, not a visitor
    record_view(post.pk, "b" * 32, "c2", at(1, 23))  # 23:00 in Seoul is still the 1st
    record_view(post.pk, "a" * 32, "c1", at(2, 8))  # the next day: a visitor again
    assert fold_views() == 4
    days = {d.day: (d.views, d.visitors) for d in PostDay.objects.filter(post=post)}
    assert days == {DAY1: (3, 2), DAY2: (1, 1)}


def test_a_second_fold_adds_to_the_day_and_knows_its_visitors(post):
    record_view(post.pk, "a" * 32, "c1", at(1, 9))
    fold_views()
    record_view(post.pk, "a" * 32, "c1", at(1, 12))
    record_view(post.pk, "b" * 32, "c2", at(1, 12))
    fold_views()
    day = PostDay.objects.get(post=post)
    assert (day.views, day.visitors) == (3, 2)


def test_old_per_visitor_rows_are_deleted_and_the_day_totals_stay(post, settings):
    settings.HANJI_ANALYTICS_RAW_DAYS = 2
    record_view(post.pk, "a" * 32, "c1", at(1, 9))
    fold_views()
    assert purge_raw(today=DAY1 + timedelta(days=2)) == 0
    assert purge_raw(today=DAY1 + timedelta(days=3)) == 1
    assert DayVisitor.objects.count() == 0 and PostDay.objects.get(post=post).views == 1


def test_the_date_range_is_read_or_falls_back_to_the_last_30_days():
    today = date(2026, 12, 2)
    assert parse_range("", "", today).start == date(2026, 11, 3)
    assert parse_range("2026-12-01", "2026-11-01", today).start == date(2026, 11, 1)
    bad = parse_range("어제", "2026-13-45", today)
    assert not bad.understood and bad.end == today
    assert parse_range("1900-01-01", "2026-12-02", today).start == date(2025, 12, 2)
    assert parse_range("\x00", "' OR 1=1", today).understood is False


def test_the_studio_shows_the_chart_the_table_and_the_csv(client, editor, post):
    record_view(post.pk, "a" * 32, "c1", at(1, 9))
    record_view(post.pk, "b" * 32, "c2", at(1, 10))
    fold_views()
    client.force_login(editor)
    url = reverse("studio:post_analytics", args=["weekly", post.pk])
    start = DAY1 - timedelta(days=3)
    html = client.get(url, {"from": start.isoformat(), "to": DAY2.isoformat()}).content.decode()
    assert html.count("<rect ") == 5 and f"{DAY1:%m.%d}: 2</title>" in html
    response = client.get(
        reverse("studio:post_analytics_csv", args=["weekly", post.pk]),
        {"from": DAY1.isoformat(), "to": DAY2.isoformat()},
    )
    rows = csv_of(response)
    assert rows == [
        ["date", "views", "unique_visitors", "signups", "paid_signups"],
        [DAY1.isoformat(), "2", "2", "0", "0"],
        [DAY2.isoformat(), "0", "0", "0", "0"],
    ]
    page = client.get(url, {"from": "nonsense"})
    assert page.status_code == 200 and "message-warning" in page.content.decode()


def test_another_publications_post_or_an_authors_other_post_is_not_found(
    client, author_user, post, make_post, other_publication
):
    theirs = make_post(title="남의 글", pub=other_publication)
    client.force_login(author_user)
    for pk in (post.pk, theirs.pk):
        assert client.get(reverse("studio:post_analytics", args=["weekly", pk])).status_code == 404

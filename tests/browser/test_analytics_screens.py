"""The analytics screens with figures in them (the screenshot test's world has none), in
Korean and English at 1280 and 390 px: the charts are drawn, nothing scrolls sideways, and
the shots land in var/screenshots/ to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from hanji.analytics.actions import add_views, upsert_add
from hanji.analytics.models import SubscriberDay
from hanji.analytics.signups import local_day
from tests.browser import test_studio_a11y as a11y
from tests.browser.test_studio_screenshots import SHOTS, WIDTHS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def figures(publication, make_post):
    posts = [make_post(title=f"{n}번째 이야기: 종이와 사람") for n in range(1, 6)]
    now = datetime.now(UTC).timestamp()
    tokens = [
        "search:google.com|||",
        "social:t.co|twitter||",
        "direct:|||",
        "email:|newsletter|email|",
        "site:very-long-referring-hostname-of-a-friendly-blog.example.org|||",
    ]
    views = [
        (posts[i % 5].pk, f"v{i}", now - (i % 20) * 86400, tokens[i % 5])
        for i in range(400)
        if i % 7 or i % 5 == 0
    ]
    add_views(views)
    today = local_day(publication)
    upsert_add(
        SubscriberDay._meta.db_table,
        ["publication_id", "day", "kind"],
        ["gained", "lost"],
        [
            (publication.pk, today - timedelta(days=d), kind, (d * 3 + k) % 7, (d + k) % 3)
            for d in range(30)
            for k, kind in enumerate(("post", "home", "import"))
        ],
    )
    return posts


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_analytics_screens_with_figures_read_at_both_widths(
    studio_page, live_server, owner, figures, language
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    slug = "weekly"
    screens = {
        "analytics-figures": f"{live_server.url}/studio/p/{slug}/analytics/",
        "post-analytics-figures": f"{live_server.url}/studio/p/{slug}/posts/{figures[0].pk}/analytics/",
    }
    problems = []
    for width, viewport in WIDTHS.items():
        page = studio_page("owner@example.com", viewport=viewport, locale="en-US")
        page.goto(f"{live_server.url}/studio/")
        page.select_option("#language-switch", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        for name, url in screens.items():
            assert page.goto(url).status == 200
            assert page.locator("svg.bar-chart rect").count() > 0
            if width == "390":
                problems += [f"{name} {language}: {wide}" for wide in page.evaluate(a11y.OVERFLOW)]
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        page.context.close()
    assert not problems, "\n".join(problems)

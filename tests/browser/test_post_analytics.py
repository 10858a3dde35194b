"""A creator opens a post's views by day in the studio (Chromium); screenshots in Korean and
English at desktop and phone width go to test-artifacts/browser/."""

from __future__ import annotations

import time

import pytest

from hanji.engagement.counting import fold_views, record_view
from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("locale", ["ko-KR", "en-US"])
def test_a_creator_reads_a_posts_views_by_day(
    studio_page, editor, make_post, artifacts, live_server, locale
):
    post = make_post(title="샘 알트만의 귀환")
    now = time.time()
    for day in range(20):
        for n in range((day * 7) % 11 + 1):
            record_view(post.pk, f"{day:02d}{n:030d}", f"c{n}", now - day * 86400 - n)
    fold_views()
    for name, options in {"desktop": DESKTOP, "phone": PHONE}.items():
        page = studio_page(editor.email, locale=locale, **options)
        page.goto(f"{live_server.url}/studio/p/weekly/posts/{post.pk}/")
        with page.expect_navigation():
            page.click(f"a[href$='/posts/{post.pk}/analytics/']")
        assert page.locator("svg.bar-chart rect").count() == 30
        page.screenshot(path=artifacts / f"post-analytics-{locale}-{name}.png", full_page=True)

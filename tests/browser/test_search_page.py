"""A reader searches from the header's search box in Chromium and sees marked results.

Screenshots (Korean and English publications, desktop and phone) go to test-artifacts/browser/.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import DESKTOP, PHONE

pytestmark = pytest.mark.browser

POSTS_KO = [
    (
        "샘 알트만의 귀환",
        "이사회가 물러선 닷새",
        "오픈AI 이사회는 샘알트만을 해고했다가 닷새 만에 되돌렸다. " * 6,
    ),
    (
        "이번 주 소식: 엔비디아와 TSMC",
        "",
        "알트만은 칩 공급을 걱정했다. 엔비디아의 GPU가 모자란다. " * 8,
    ),
    ("유료 특집: 지배구조", "", "공개된 앞부분입니다.\n\n{paywall}\n\n알트만의 비밀 메모"),
]
POSTS_EN = [
    (
        "The return of Sam Altman",
        "Five days at OpenAI",
        "The board fired Altman and took it back. " * 6,
    ),
    ("Chips, GPUs and TSMC", "", "Altman worried about the supply of chips. " * 8),
]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_a_reader_searches_from_the_header_and_sees_marked_results(
    browser, live_server, publication, make_post, artifacts, language
):
    publication.language = language
    publication.save()
    posts = POSTS_KO if language == "ko" else POSTS_EN
    for title, subtitle, body in posts:
        make_post(
            title=title,
            subtitle=subtitle,
            body=body,
            visibility="paid" if "{paywall}" in body else "public",
        )
    query = "알트만" if language == "ko" else "altman"
    for name, options in {"desktop": DESKTOP, "phone": PHONE}.items():
        context = browser.new_context(locale="ko-KR" if language == "ko" else "en-US", **options)
        page = context.new_page()
        page.goto(live_server.url + "/")
        page.fill("form[role=search] input[name=q]", query)
        with page.expect_navigation():
            page.press("form[role=search] input[name=q]", "Enter")
        results = page.locator("article.search-result")
        findable = [p for p in posts if "{paywall}" not in p[2]]  # its 알트만 is paid text
        assert results.count() == len(findable)
        assert page.locator("article.search-result mark").count() >= len(findable)
        assert "비밀 메모" not in page.inner_text("main")
        page.screenshot(path=artifacts / f"search-{language}-{name}.png", full_page=True)
        page.goto(live_server.url + "/search/?q=" + ('"(NEAR*' if language == "ko" else "zzzz"))
        assert page.locator(".search-empty").count() == 1
        page.screenshot(path=artifacts / f"search-empty-{language}-{name}.png")
        context.close()


@pytest.mark.parametrize("locale", ["ko-KR", "en-US"])
def test_an_editor_searches_drafts_in_the_studio(
    studio_page, editor, make_post, artifacts, live_server, locale
):
    make_post(
        title="초안: 알트만 인터뷰", body="아직 다듬는 중인 알트만 인터뷰 원고", publish=False
    )
    make_post(title="지난주 소식", body="알트만은 돌아왔다.")
    for name, options in {"desktop": DESKTOP, "phone": PHONE}.items():
        page = studio_page(editor.email, locale=locale, **options)
        page.goto(f"{live_server.url}/studio/p/weekly/posts/")
        with page.expect_navigation():
            page.click(".search-link a")
        page.fill("#s-q", "알트만")
        with page.expect_navigation():
            page.press("#s-q", "Enter")
        assert page.locator(".search-hit").count() == 2
        assert page.locator(".search-hit mark").count() >= 2
        page.screenshot(path=artifacts / f"studio-search-{locale}-{name}.png", full_page=True)

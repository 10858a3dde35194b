"""The first hour of a newcomer in Chromium (issue 12 §3): each trap where a person met it.

The HTTP-level halves are in tests/studio/test_first_hour_traps.py and tests/site/test_byline.py.
"""

from __future__ import annotations

import re

import pytest

from hanji.posts.actions import publish_post, save_post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_checklists_first_post_step_opens_the_editor(studio_page, live_server, owner):
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/")
    with page.expect_navigation():
        page.get_by_role("button", name="Write your first post").click()
    assert re.search(r"/studio/p/weekly/posts/\d+/", page.url), page.url
    assert page.locator("form, [data-editor], .prose-editor").count() > 0, page.content()[:500]


def test_the_login_page_has_no_link_to_closed_sign_ups(browser, live_server, settings):
    settings.HANJI_ALLOW_SIGNUPS = False
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(f"{live_server.url}/studio/login/")
    assert page.get_by_role("link", name="Start your own newsletter").count() == 0
    for href in page.eval_on_selector_all("main a[href]", "links => links.map(a => a.href)"):
        response = page.request.get(href)
        assert response.status < 400, (href, response.status)
    context.close()


def test_the_two_factor_qr_code_is_whole_and_square(studio_page, live_server, owner):
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/account/")
    with page.expect_navigation():
        page.get_by_role("button", name="Set up two-factor sign-in").click()
    shape = page.eval_on_selector(
        ".qr svg",
        """svg => {
          const box = svg.getBoundingClientRect()
          const code = svg.querySelector("path").getBBox()
          const view = svg.viewBox.baseVal
          const scale = box.width / (view.width || svg.width.baseVal.value)
          return {width: box.width, height: box.height, view: view.width,
                  codeRight: (code.x + code.width) * 5 * scale, codeBottom: (code.y + code.height) * 5 * scale}
        }""",
    )
    assert shape["view"] > 0, shape  # scales with its box instead of being cut off by it
    assert abs(shape["width"] - shape["height"]) < 1, shape
    assert shape["codeRight"] <= shape["width"] + 1 and shape["codeBottom"] <= shape["height"] + 1


def test_a_paid_posts_preview_page_makes_no_failing_request(browser, live_server, publication):
    post = publish_post(
        save_post(
            publication,
            title="유료 글",
            body_html='<p>미리 보기</p><hr data-hanji="paywall"><p>유료 부분</p>',
            visibility="paid",
        )
    )
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    failures: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    page.on("console", lambda m: m.type == "error" and failures.append(m.text))
    beacons = []
    page.on("response", lambda r: "/beacon/" in r.url and beacons.append(r.status))
    page.goto(f"{live_server.url}/posts/{post.slug}/", wait_until="networkidle")
    assert "미리 보기" in page.inner_text("main") and "유료 부분" not in page.inner_text("main")
    assert beacons == [204] and failures == [], (beacons, failures)
    context.close()

"""The editor's Markdown endpoint caps what one request may cost: too long a text is a 413,
too many costly characters a 400, each with words the editor shows; both answer at once."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from hanji.posts.body import MARKDOWN_MAX_CHARS, MARKDOWN_MAX_OPENERS, check_markdown

pytestmark = pytest.mark.django_db

ANSWERED_WITHIN = 2.0  # seconds: a hang bound (the uncapped 400,000 `[` took 3.3 s of CPU)


@pytest.fixture
def convert(client, owner, publication):
    client.force_login(owner)
    url = reverse("studio:markdown", args=[publication.slug])

    def post(text: str, language: str = "en"):
        started = time.monotonic()
        response = client.post(url, {"text": text}, HTTP_ACCEPT_LANGUAGE=language)
        return response, time.monotonic() - started

    return post


def test_the_issues_400000_brackets_are_refused_at_once_with_words(convert):
    response, took = convert("[" * 400_000)
    assert response.status_code == 413
    assert "100,000" in response.json()["error"]
    assert took < ANSWERED_WITHIN


def test_the_refusal_speaks_korean_to_a_korean_writer(convert):
    response, _took = convert("[" * 400_000, language="ko")
    assert response.status_code == 413
    assert "마크다운" in response.json()["error"]


@pytest.mark.parametrize("opener", ["[", "<", "[<"])
def test_many_costly_characters_within_the_length_are_a_400(convert, opener):
    text = opener * (MARKDOWN_MAX_OPENERS // len(opener) + 1)
    response, took = convert(text)
    assert response.status_code == 400
    assert "[" in response.json()["error"] and "<" in response.json()["error"]
    assert took < ANSWERED_WITHIN


def test_the_longest_allowed_prose_still_converts(convert):
    paragraph = "이것은 **보통** 글입니다. [링크](https://example.com)와 `code`가 있어요.\n\n"
    text = (paragraph * (MARKDOWN_MAX_CHARS // len(paragraph)))[:MARKDOWN_MAX_CHARS]
    response, _took = convert(text)
    assert response.status_code == 200
    assert response.json()["html"].count("<strong>보통</strong>") > 1000


def test_the_caps_sit_on_the_edge_exactly():
    check_markdown("a" * MARKDOWN_MAX_CHARS)
    check_markdown("[" * MARKDOWN_MAX_OPENERS)
    with pytest.raises(ValueError):
        check_markdown("a" * (MARKDOWN_MAX_CHARS + 1))
    with pytest.raises(ValueError):
        check_markdown("[" * (MARKDOWN_MAX_OPENERS + 1))


# --- in Chromium: the writer's paste is kept, and the editor says why it stayed plain --------


@pytest.mark.browser
@pytest.mark.parametrize("locale,expected", [("ko-KR", "마크다운"), ("en-US", "Markdown")])
@pytest.mark.parametrize("width", [1280, 390])
def test_a_paste_too_costly_to_convert_is_kept_and_the_editor_says_why(
    browser, live_server, owner, publication, make_post, locale, expected, width
):
    from pathlib import Path

    post = make_post(title="붙여넣기", body="첫 문단", publish=False)
    context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.goto(f"{live_server.url}/studio/login/")
        page.fill("#id_username", owner.email)
        page.fill("#id_password", "pw-very-secret-1")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        page.goto(f"{live_server.url}/studio/p/{publication.slug}/posts/{post.pk}/")
        body = page.locator(".tiptap[contenteditable=true]")
        body.click()
        pasted = "# 붙인 제목\n\n" + "[" * (MARKDOWN_MAX_OPENERS + 1)
        body.evaluate(
            """(el, text) => {
                const data = new DataTransfer()
                data.setData('text/plain', text)
                el.dispatchEvent(new ClipboardEvent('paste', {clipboardData: data, bubbles: true,
                                                              cancelable: true}))
            }""",
            pasted,
        )
        status = page.locator("#save-status")
        status.filter(has_text=expected).wait_for()
        assert status.get_attribute("role") == "alert"
        assert "붙인 제목" in body.inner_text()  # kept as plain text, nothing lost
        shots = Path(__file__).resolve().parents[2] / "test-artifacts" / "security"
        shots.mkdir(parents=True, exist_ok=True)
        status.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"markdown-refused-{locale}-{width}.png"))
    finally:
        context.close()

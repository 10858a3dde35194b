"""In Chromium: the XSS corpus as comments is shown as text and never runs; the like button and
the beacon work from the page's own script.

Debian's Chromium, the suite's one launch (tests/conftest.py `browser`).
"""

from __future__ import annotations

import pytest

from hanji.engagement import actions
from hanji.engagement.models import Comment
from hanji.posts.models import Post
from tests.engagement.xss import CORPUS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def chromium(browser):
    """The suite's Chromium (tests/conftest.py)."""
    return browser


def test_the_xss_corpus_shows_as_text_and_never_runs_in_chromium(
    chromium, live_server, publication, make_post, make_reader
):
    post = make_post(title="XSS 코퍼스")
    readers = [make_reader(f"xss{i}@example.com") for i in range(len(CORPUS))]
    for reader, attack in zip(readers, CORPUS, strict=True):
        actions.post_comment(post, reader, attack)
    expected = {
        c.pk: " ".join(c.body.split()) for c in Comment.objects.filter(post=post, parent=None)
    }
    page = chromium.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/p/{publication.slug}/posts/{post.slug}/")
    page.wait_for_load_state("networkidle")
    # Hover and focus everything a payload might hang an event on.
    for body in page.query_selector_all(".comment-body"):
        body.hover()
    assert dialogs == []
    assert errors == []
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('.comment[id^="comment-"]')).map(li => [
            li.id, li.querySelector('.comment-body').innerText,
            li.querySelectorAll('.comment-body *:not(p):not(br):not(a)').length,
            Array.from(li.querySelectorAll('.comment-body a')).map(a => a.protocol)])"""
    )
    assert len(shown) == len(CORPUS)
    for element_id, text, foreign_elements, protocols in shown:
        comment_id = int(element_id.removeprefix("comment-"))
        assert " ".join(text.split()) == expected[comment_id]
        assert foreign_elements == 0
        assert set(protocols) <= {"http:", "https:"}
    assert (
        page.evaluate("() => document.querySelectorAll('script:not([src]):not([type])').length")
        == 0
    )


def test_the_like_button_and_the_beacon_work_from_the_page(
    chromium, live_server, publication, make_post
):
    post = make_post(title="좋아요 단추")
    page = chromium.new_page()
    with page.expect_response(lambda r: r.url.endswith(f"/engagement/{post.pk}/beacon/")) as beacon:
        page.goto(f"{live_server.url}/p/{publication.slug}/posts/{post.slug}/")
    assert beacon.value.ok
    button = page.locator("[data-hanji-like]")
    assert button.get_attribute("aria-pressed") == "false"
    with page.expect_response(lambda r: r.url.endswith("/like/")):
        button.click()
    page.wait_for_function(
        "() => document.querySelector('[data-hanji-like]').getAttribute('aria-pressed') === 'true'"
    )
    assert page.locator(".like-count").inner_text() == "1"
    assert Post.objects.get(pk=post.pk).like_count == 1
    # Reloading (from the page cache) shows this browser's like again, from the beacon.
    page.reload()
    page.wait_for_function(
        "() => document.querySelector('[data-hanji-like]').getAttribute('aria-pressed') === 'true'"
    )
    assert page.locator("[data-hanji-copy]").is_visible()

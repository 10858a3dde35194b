"""A members-only block made in the studio editor (Chromium): inserted from the toolbar, shown
as a labelled box, typed into, saved and still there after a reload; its reader choice (paid
members or one tier) round-trips to the stored body; the public page hides it from anyone and
from a free reader and shows it to a member."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from hanji.subscribers.actions import sign_in_token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SECRET = "채팅방 비밀번호: 한지1234"


def _save(page) -> None:
    with page.expect_navigation():
        page.click("button[name=action][value=save]")


def _reader_sees(browser, live_server, post, reader) -> str:
    context = browser.new_context(locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    if reader is not None:
        reader.refresh_from_db()  # a sign-in link works once: the next one is newer
        page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(reader)}/")
        with page.expect_navigation():
            page.click("main button[type=submit]")
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    text = page.inner_text("main")
    context.close()
    return text


def test_a_block_made_in_the_editor_is_kept_and_shown_only_to_members(
    browser,
    studio_page,
    artifacts,
    live_server,
    owner,
    gold,
    silver,
    make_member,
    make_reader,
    make_post,
):
    post = make_post(title="비밀 있는 레터", body="누구나 읽는 도입부입니다.")
    gold_member = make_member("gold@example.org", gold)
    silver_member = make_member("silver@example.org", silver)
    free = make_reader("free@example.org")

    page = studio_page("owner@example.com", locale="ko-KR")
    page.goto(live_server.url + reverse("studio:post_edit", args=["weekly", post.pk]))
    page.wait_for_function("() => window.hanjiEditor && window.hanjiEditor.isInitialized !== false")
    page.evaluate("() => window.hanjiEditor.commands.focus('end')")
    # Type only once the editor has the focus, and go on once the new paragraph is there: on a
    # loaded machine an Enter pressed sooner was lost and the block took the intro paragraph.
    expect(page.locator(".ProseMirror[contenteditable=true]")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator(".ProseMirror[contenteditable=true] > p")).to_have_count(2)
    page.click("[data-insert=members]")
    block = page.locator(".ProseMirror .hanji-block-edit")
    expect(block).to_have_count(1)
    expect(block.locator("select")).to_have_value("members:")
    page.keyboard.type(SECRET)
    expect(block.locator(".hanji-block-body")).to_contain_text(SECRET)
    _save(page)

    post.refresh_from_db()
    assert f'<div data-hanji="members">\n<p>{SECRET}</p>\n</div>' in post.body or (
        f'<div data-hanji="members"><p>{SECRET}</p></div>' in post.body
    ), post.body
    page.reload()
    block = page.locator(".ProseMirror .hanji-block-edit")
    expect(block.locator(".hanji-block-body")).to_contain_text(SECRET)
    label = page.get_attribute("textarea[data-hanji-editor]", "data-block-label")
    expect(block.locator(".hanji-block-head")).to_contain_text(label)
    page.screenshot(path=str(artifacts / "editor-members-block-ko-1280.png"), full_page=True)

    for reader in (None, free):
        seen = _reader_sees(browser, live_server, post, reader)
        assert "도입부" in seen and "한지1234" not in seen
    assert "한지1234" in _reader_sees(browser, live_server, post, gold_member.subscriber)
    assert "한지1234" in _reader_sees(browser, live_server, post, silver_member.subscriber)

    # Only the gold tier: chosen in the box's menu, stored as the body's tier block.
    block.locator("select").select_option("tier:gold")
    _save(page)
    post.refresh_from_db()
    assert 'data-hanji="tier" data-tier="gold"' in post.body and SECRET in post.body
    page.reload()
    expect(page.locator(".ProseMirror .hanji-block-edit select")).to_have_value("tier:gold")
    assert "한지1234" in _reader_sees(browser, live_server, post, gold_member.subscriber)
    assert "한지1234" not in _reader_sees(browser, live_server, post, silver_member.subscriber)

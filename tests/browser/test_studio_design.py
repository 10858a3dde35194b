"""What a creator clicks in the designed studio, in Chromium: the language switch (studio,
comment moderation, readers' pages), publishing that asks first, the slug that follows the
title, destructive actions confirmed in a dialog, the outbox that never counts an open, and
the public header at phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from hanji.sending.models import Delivery, Send
from hanji.subscribers.models import Newsletter, Subscriber, Subscription

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}


@pytest.fixture
def letters(publication):
    newsletter = Newsletter.objects.create(
        publication=publication, name="주간 레터", slug="weekly", sender_name="주간 실리콘밸리"
    )
    now = timezone.now()
    for i in range(3):
        subscriber = Subscriber.objects.create(
            publication=publication,
            email=f"reader{i}@example.org",
            status="active",
            created_at=now,
            confirmed_at=now,
        )
        Subscription.objects.create(subscriber=subscriber, newsletter=newsletter)
    return newsletter


def test_the_language_switch_changes_the_studio_moderation_and_readers_pages(
    studio_page, live_server, owner, publication, make_post
):
    make_post(title="한지 이야기")
    page = studio_page("owner@example.com", locale="ko-KR")
    base = live_server.url
    page.goto(f"{base}/studio/p/weekly/")
    assert page.evaluate("document.documentElement.lang") == "ko"
    page.select_option("#language-switch", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == f"{base}/studio/p/weekly/"  # back where the switch was used
    assert "Settings" in page.inner_text(".pub-nav")
    page.goto(f"{base}/engagement/studio/weekly/comments/")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "Waiting for review" in page.inner_text("main")
    # a reader's page follows the same choice; its footer switches back
    page.goto(f"{base}/p/weekly/")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.click(".language-switch a[lang=ko]")
    expect(page.locator("html")).to_have_attribute("lang", "ko")
    assert "/p/weekly/" in page.url


def test_publish_and_send_confirms_then_the_editor_shows_the_send(
    studio_page, live_server, owner, publication, letters, make_post
):
    draft = make_post(title="이번 주 소식", publish=False)
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/posts/{draft.pk}/")
    page.wait_for_selector("#recipient-count[data-count='3']")
    page.click("button[name=action][value=publish-send]")
    page.wait_for_url("**/send/?*")
    assert page.inner_text("[data-testid=confirm-newsletter]") == "주간 레터"
    assert page.inner_text("[data-testid=confirm-segment]") == "Everyone on the newsletter"
    assert page.inner_text("[data-testid=confirm-count]") == "3 subscribers"
    draft.refresh_from_db()
    assert draft.status == "draft" and not Send.objects.exists()  # nothing yet
    page.click("[data-testid=confirm-send]")
    page.wait_for_url("**/sends/*/")
    page.goto(f"{live_server.url}/studio/p/weekly/posts/{draft.pk}/")
    summary = page.inner_text("[data-testid=sent-summary]")
    assert "주간 레터" in summary and "3 recipients" in summary
    assert page.locator("button[formaction]").count() == 0  # no second "Send by email"
    page.click("[data-testid=sent-summary] a")
    page.wait_for_url("**/sends/*/")


def test_the_slug_follows_the_title_until_the_writer_types_one(
    studio_page, live_server, owner, publication
):
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/posts/")
    page.click("main .page-head button.primary")  # New post
    page.wait_for_selector(".prose-editor [contenteditable=true]")
    page.fill("#id_title", "봄의 종이")
    expect(page.locator("#id_slug")).to_have_value("봄의-종이")
    assert page.inner_text("[data-slug-preview]") == "봄의-종이"
    page.fill("#id_slug", "spring-paper")
    page.fill("#id_title", "여름의 종이")
    expect(page.locator("#save-status")).to_contain_text(":")
    page.click("button[name=action][value=publish]")
    page.wait_for_load_state()
    assert page.input_value("#id_slug") == "spring-paper"
    assert publication.posts.get().slug == "spring-paper"


def test_deleting_a_post_asks_in_a_dialog_first(studio_page, live_server, owner, make_post):
    draft = make_post(title="지울 글", publish=False)
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/posts/{draft.pk}/")
    page.click("button.danger")
    dialog = page.locator("dialog.confirm-dialog")
    assert "지울 글" in dialog.inner_text()
    dialog.locator("button", has_text="Cancel").click()
    # The dialog is removed on its close event, a moment after the click returns.
    expect(dialog).to_have_count(0)
    assert draft.__class__.objects.filter(pk=draft.pk).exists()
    page.click("button.danger")
    page.click("dialog.confirm-dialog button.danger")
    page.wait_for_url("**/posts/")
    assert not draft.__class__.objects.filter(pk=draft.pk).exists()


def test_looking_at_a_sent_email_in_the_outbox_is_not_an_open(
    studio_page, live_server, owner, publication, letters, make_post
):
    from hanji.core.models import OutboxMessage
    from hanji.sending.actions import start_send_for_post

    send = start_send_for_post(make_post(title="봄 소식"), letters)
    message = OutboxMessage.objects.filter(to="reader0@example.org").get()
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/outbox/{message.pk}/")
    frame = page.frame_locator("iframe.email-frame")
    frame.locator("text=봄 소식").first.wait_for()
    page.wait_for_load_state("networkidle")
    delivery = Delivery.objects.get(send=send, subscriber__email="reader0@example.org")
    assert delivery.opened_at is None


@pytest.mark.parametrize("path", ["/p/weekly/", "/p/weekly/posts/{slug}/"])
def test_the_public_header_takes_at_most_a_fifth_of_a_phone_screen(
    browser, live_server, publication, make_post, path
):
    from hanji.posts.models import Category

    publication.name = "주간 실리콘밸리: 엔지니어가 매주 전하는 기술과 스타트업 이야기"
    publication.save()
    post = make_post(title="한지 이야기")
    for name in ("기술과 제품", "스타트업 투자", "인터뷰 모음", "에세이와 생각", "주간 링크"):
        Category.objects.get_or_create(publication=publication, name=name, slug=name)
    context = browser.new_context(**PHONE, locale="ko-KR")
    page = context.new_page()
    page.goto(live_server.url + path.format(slug=post.slug))
    height = page.evaluate("document.querySelector('.site-header').getBoundingClientRect().height")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"public-{'post' if 'posts' in path else 'home'}-ko-390.png"))
    print(f"header height at 390 px, {path}: {height}px")
    context.close()
    assert height <= 844 / 5, f"the header is {height}px tall"

"""The reader's path in Chromium, as a Substack reader expects it (issue 12, trap 11).

Each test is what a person does: subscribe under a post and confirm from the email (then
comment at once), sign in from a post and land back on it, see no subscribe box once
subscribed, leave from an email's footer link with one press. Emails go through a real SMTP
server; the links are taken from the messages themselves.
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import pytest

from hanji.subscribers.links import unsubscribe_url
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus, Subscription
from tests.subscribers.smtp import link, smtp_server

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp(settings):
    """A real SMTP server; both mailers point at it for the test."""
    with smtp_server() as (inbox, port):
        backend = {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
        settings.MAILERS = {"default": backend, "transactional": backend}
        yield inbox


@pytest.fixture
def weekly(publication) -> Newsletter:
    return Newsletter.objects.create(publication=publication, name="주간 레터", slug="weekly")


@pytest.fixture
def post(make_post, weekly):
    return make_post(title="첫 번째 글", body="실리콘밸리의 한 주를 정리합니다.")


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def on_server(live_server, url: str) -> str:
    """An emailed link (made for HANJI_BASE_URL) opened on the test server."""
    return live_server.url + urlsplit(url).path


def subscriber(publication, email: str, *newsletters) -> Subscriber:
    from django.utils import timezone

    reader = Subscriber.objects.create(
        publication=publication,
        email=email,
        status=SubscriberStatus.ACTIVE,
        created_at=timezone.now(),
        confirmed_at=timezone.now(),
    )
    for newsletter in newsletters:
        Subscription.objects.create(subscriber=reader, newsletter=newsletter)
    return reader


def test_confirming_from_the_email_signs_in_so_the_reader_comments_at_once(
    page,
    live_server,
    smtp,
    post,
    publication,
):
    post_url = f"{live_server.url}/posts/{post.slug}/"
    page.goto(post_url)
    box = page.locator("#subscribe")
    box.get_by_role("textbox", name="이메일 주소").fill("new@example.com")
    with page.expect_navigation():
        box.get_by_role("button", name="구독하기").click()
    page.goto(on_server(live_server, link(smtp.wait_for("new@example.com"), "/confirm/")))
    with page.expect_navigation():
        page.get_by_role("button", name="구독 확인").click()
    assert "구독이 완료되었어요" in page.inner_text("main"), page.inner_text("main")
    with page.expect_navigation():
        page.get_by_role("link", name="계속 읽기").click()
    assert unquote(page.url) == post_url
    # Signed in: the comment form, no subscribe form, and no second email was needed.
    assert page.locator("form.comment-form textarea").first.is_visible()
    assert page.locator("#subscribe input[type=email]").count() == 0
    assert len(smtp.to("new@example.com")) == 1
    page.fill("#comment-body", "좋은 글 감사합니다")
    with page.expect_navigation():
        page.get_by_role("button", name="댓글 남기기").click()
    assert "좋은 글 감사합니다" in page.inner_text("#comments")


def test_signing_in_from_a_post_lands_back_on_the_post(
    page,
    live_server,
    smtp,
    post,
    publication,
    weekly,
):
    subscriber(publication, "reader@example.com", weekly)
    post_url = f"{live_server.url}/posts/{post.slug}/"
    page.goto(post_url)
    with page.expect_navigation():
        page.locator(".comment-gate").get_by_role("link", name="로그인").click()
    page.get_by_role("textbox", name="이메일 주소").fill("reader@example.com")
    with page.expect_navigation():
        page.get_by_role("button", name="로그인 링크 받기").click()
    page.goto(on_server(live_server, link(smtp.wait_for("reader@example.com"), "/sign-in/")))
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    assert unquote(page.url) == post_url + "#comments", page.url
    assert page.locator("form.comment-form textarea").first.is_visible()


def test_a_signed_in_subscriber_sees_their_status_instead_of_the_subscribe_box(
    page, live_server, post, publication, weekly
):
    from hanji.subscribers.actions import sign_in_token

    reader = subscriber(publication, "reader@example.com", weekly)
    page.goto(f"{live_server.url}/account/sign-in/{sign_in_token(reader)}/")
    with page.expect_navigation():
        page.locator("main").get_by_role("button", name="로그인").click()
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    box = page.locator("#subscribe")
    assert box.locator("input, button").count() == 0
    text = box.inner_text()
    assert "주간 레터" in text and "reader@example.com" in text, text
    assert box.get_by_role("link", name="내 계정").is_visible()
    header = page.locator("header")
    assert header.get_by_role("link", name="구독하기").count() == 0
    assert header.get_by_role("link", name="내 계정").is_visible()


def test_the_footer_link_unsubscribes_with_one_press_and_opening_it_changes_nothing(
    page, live_server, post, publication, weekly
):
    reader = subscriber(publication, "reader@example.com", weekly)
    # What the box promises is what the footer link does (it said "leave in one click").
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    promise = page.locator("#subscribe").inner_text()
    assert "모든 메일에 수신 거부 링크가 있어요" in promise and "click" not in promise, promise
    url = on_server(live_server, unsubscribe_url(publication, reader.pk, weekly.pk))
    page.goto(url)  # what a mail scanner does too
    assert Subscription.objects.filter(subscriber=reader).count() == 1
    # Nothing to choose first: one button, naming what it stops.
    assert page.locator("main input[type=radio]").count() == 0
    buttons = page.locator("main button")
    assert buttons.count() == 1, page.inner_text("main")
    assert buttons.inner_text().strip() == "주간 레터 수신 거부"
    with page.expect_navigation():
        buttons.click()
    assert "수신 거부가 완료되었어요" in page.inner_text("main"), page.inner_text("main")
    assert not Subscription.objects.filter(subscriber=reader).exists()
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.UNSUBSCRIBED  # it was the only newsletter

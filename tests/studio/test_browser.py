"""The studio in Debian's Chromium, against a live server: what a creator clicks.

1. Sign up → publication → a post with a picture and a caption → the email preview → publish
   and send to three confirmed subscribers → progress reaches 100% → three emails in the outbox.
2. The import wizard with 10,000 rows, some bad → progress → the report.
3. Roles: an author, an editor and an outsider on the main screens.

Screenshots of each step go to test-artifacts/studio/. Tasks run in-line (the immediate
backend): the send runs when the publish request commits, so progress is read back as it is.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.utils import timezone

from hanji.core.models import OutboxMessage
from hanji.publications.models import Publication, Role, TeamMember
from hanji.subscribers.models import Newsletter, Subscriber, Subscription

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "studio"
PASSWORD = "pw-very-secret-1"


@pytest.fixture
def page(browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def png() -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 700), (236, 228, 212))
    ImageDraw.Draw(image).rectangle([300, 175, 900, 525], fill=(192, 57, 43))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/studio/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert "/login/" not in page.url, page.inner_text("main")[:300]


def test_a_new_creator_writes_previews_publishes_and_sends(page, live_server, settings):
    settings.HANJI_ALLOW_SIGNUPS = True
    base = live_server.url

    # 1. sign up with a publication
    page.goto(f"{base}/studio/signup/")
    page.fill("#id_email", "creator@example.com")
    page.fill("#id_password", "a-long-secret-9")
    page.fill("#id_name", "한지 레터")
    page.fill("#id_slug", "hanji-letter")
    shot(page, "01-signup")
    page.click("main button[type=submit]")
    page.wait_for_url("**/studio/p/hanji-letter/")
    assert page.locator(".onboarding").is_visible()
    shot(page, "02-onboarding")

    publication = Publication.objects.get(slug="hanji-letter")
    newsletter = Newsletter.objects.get(publication=publication)
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

    # 2. a post with a picture and a caption
    page.click("form[action$='/posts/new/'] button")
    page.wait_for_selector(".prose-editor [contenteditable=true]")
    page.fill("#id_title", "종이를 뜨는 사람들")
    page.click(".prose-editor [contenteditable=true]")
    page.keyboard.type("전주의 한지 공방을 찾아갔습니다.")
    page.set_input_files(
        "#id_image_file", files=[{"name": "workshop.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.wait_for_selector("figure.hanji-image-edit img[src*='/media/images/']")
    page.fill("input[name=figure-alt]", "붉은 사각형이 그려진 한지")
    page.fill("input[name=figure-caption]", "공방에서 말리는 종이")
    page.press("input[name=figure-caption]", "Tab")
    page.wait_for_function("document.querySelector('#id_body').value.includes('figcaption')")
    shot(page, "03-editor")
    page.click("button[name=action][value=save]")
    page.wait_for_load_state()
    post = publication.posts.get()
    assert "<figcaption>공방에서 말리는 종이</figcaption>" in post.body
    assert 'alt="붉은 사각형이 그려진 한지"' in post.body and "srcset=" in post.body

    # 3. preview as email, at phone width too
    page.click("a[href$='/preview/?as=email']")
    frame = page.frame_locator("#preview-frame")
    frame.locator("text=종이를 뜨는 사람들").first.wait_for()
    shot(page, "04-preview-email")
    page.click("button[data-width=mobile]")
    shot(page, "05-preview-email-phone")

    # 4. publish and send to the three confirmed subscribers; progress reaches 100%
    page.go_back()
    page.wait_for_selector("#recipient-count[data-count='3']")
    shot(page, "06-publish-and-send")
    page.click("button[name=action][value=publish-send]")
    page.wait_for_url("**/send/?*")
    assert re.search(r"(?<!\d)3(?!\d)", page.inner_text("[data-testid=confirm-count]"))
    page.click("[data-testid=confirm-send]")
    page.wait_for_url("**/sends/*/")
    page.wait_for_function(
        "document.querySelector('[data-field=percent]').textContent.trim() === '100'"
    )
    shot(page, "07-send-progress")
    emails = OutboxMessage.objects.filter(subject__contains="종이를 뜨는 사람들").exclude(
        subject__startswith="["
    )
    assert sorted(emails.values_list("to", flat=True)) == [
        f"reader{i}@example.org" for i in range(3)
    ]
    assert all(
        b"figcaption" in bytes(m.raw) or "공방에서 말리는 종이".encode() in bytes(m.raw)
        for m in emails
    )


def test_the_import_wizard_with_bad_rows_shows_progress_and_a_report(
    page, live_server, owner, publication, tmp_path
):
    Newsletter.objects.create(publication=publication, name="주간 레터", slug="weekly")
    lines = ["이메일,이름"] + [
        (f"broken-{i}" if i % 500 == 3 else f"reader{i}@example.org") + f",독자{i}"
        for i in range(10_000)
    ]
    path = tmp_path / "구독자.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    sign_in(page, live_server.url, "owner@example.com")
    page.goto(f"{live_server.url}/studio/p/weekly/import/")
    page.set_input_files("#id_file", str(path))
    shot(page, "08-import-upload")
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-testid=problems]")
    shot(page, "09-import-columns")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/import/*/")
    page.wait_for_function(
        "document.querySelector('[data-field=percent]').textContent.trim() === '100'"
    )
    assert page.locator("[data-testid=rejected]").inner_text().strip() == "20"
    assert page.locator(".report").is_visible()
    shot(page, "10-import-report")
    assert Subscriber.objects.filter(publication=publication).count() == 9_980


def test_roles_decide_what_the_main_screens_show(
    page, live_server, publication, author_user, editor, other_publication, django_user_model
):
    outsider = django_user_model.objects.create_user("outsider", "outsider@example.com", PASSWORD)
    TeamMember.objects.create(publication=other_publication, user=outsider, role=Role.OWNER)
    base = live_server.url
    expectations = {
        "writer@example.com": {"posts/": 200, "sends/": 403, "subscribers/": 403, "settings/": 403},
        "editor@example.com": {"posts/": 200, "sends/": 200, "subscribers/": 403, "settings/": 403},
        "outsider@example.com": {
            "posts/": 404,
            "sends/": 404,
            "subscribers/": 404,
            "settings/": 404,
        },
    }
    for email, screens in expectations.items():
        page.context.clear_cookies()
        sign_in(page, base, email)
        for screen, status in screens.items():
            response = page.goto(f"{base}/studio/p/weekly/{screen}")
            assert response.status == status, (email, screen, response.status)
        shot(page, f"11-roles-{email.split('@')[0]}")

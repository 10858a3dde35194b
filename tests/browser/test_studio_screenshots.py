"""Every studio screen in Chromium, in Korean and English, at 1280 and 390 px: screenshots in
var/screenshots/ (git-ignored) to look at, and at each one the checks a glance would make.

Checked on every shot: the screen answered 200, it is in the language chosen with the
language switch, nothing scrolls sideways at 390 px, and there is at most one primary button.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import test_studio_a11y as a11y

# The a11y test's world (a newsletter, subscribers, a sent post, a draft), as a fixture here too.
studio_world = a11y.studio_world
OVERFLOW = a11y.OVERFLOW

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
WIDTHS = {"1280": {"width": 1280, "height": 900}, "390": {"width": 390, "height": 844}}
# A word every screen's navigation shows, per language.
NAV_WORD = {"ko": "계정", "en": "Account"}


def studio_screens(base: str, world) -> list[tuple[str, str]]:
    slug = world["publication"].slug
    draft, post = world["draft"].pk, world["send"].post_id
    studio = f"{base}/studio/p/{slug}"
    return [
        ("dashboard", f"{base}/studio/"),
        ("publication", f"{studio}/"),
        ("posts", f"{studio}/posts/"),
        ("editor-draft", f"{studio}/posts/{draft}/"),
        ("editor-sent", f"{studio}/posts/{post}/"),
        ("send-confirm", f"{studio}/posts/{draft}/send/?publish=1"),
        ("revisions", f"{studio}/posts/{draft}/revisions/"),
        ("preview", f"{studio}/posts/{draft}/preview/"),
        ("sends", f"{studio}/sends/"),
        ("send", f"{studio}/sends/{world['send'].pk}/"),
        ("subscribers", f"{studio}/subscribers/"),
        ("subscriber", f"{studio}/subscribers/{world['subscriber'].pk}/"),
        ("subscriber-add", f"{studio}/subscribers/add/"),
        ("segments", f"{studio}/subscribers/segments/"),
        ("import", f"{studio}/import/"),
        ("comments", f"{base}/engagement/studio/{slug}/comments/"),
        ("outbox", f"{studio}/outbox/"),
        ("instance-outbox", f"{base}/studio/outbox/"),
        ("settings-profile", f"{studio}/settings/"),
        ("settings-business", f"{studio}/settings/business/"),
        ("settings-engagement", f"{studio}/settings/engagement/"),
        ("settings-newsletters", f"{studio}/settings/newsletters/"),
        ("settings-sending", f"{studio}/settings/sending/"),
        ("settings-domains", f"{studio}/settings/domains/"),
        ("settings-team", f"{studio}/settings/team/"),
        ("settings-billing", f"{studio}/members/billing/"),
        ("members", f"{studio}/members/"),
        ("members-list", f"{studio}/members/list/"),
        ("members-tiers", f"{studio}/members/tiers/"),
        ("members-coupons", f"{studio}/members/coupons/"),
        ("search", f"{studio}/search/?q=글"),
        ("post-analytics", f"{studio}/posts/{draft}/analytics/"),
        ("post-analytics-sent", f"{studio}/posts/{post}/analytics/"),
        ("analytics", f"{studio}/analytics/"),
        ("settings-delete", f"{studio}/settings/delete/"),
        ("account", f"{base}/studio/account/"),
        ("new-publication", f"{base}/studio/new/"),
    ]


@pytest.fixture
def emailed(studio_world):
    """The sent post's email figures, as if its three readers had read and clicked."""
    from hanji.analytics.models import LinkFigures, SendFigures
    from hanji.sending.models import SendLink

    send = studio_world["send"]
    SendFigures.objects.update_or_create(
        send=send,
        defaults=dict(
            publication_id=send.publication_id, post_id=send.post_id, sent=1240, bounced=12,
            bounced_late=9, unique_opens=548, opens=731, machine_opens=312, unique_clicks=97,
            clicks=141, unsubscribes=3, complaints=0,
        ),
    )  # fmt: skip
    for position, url, clicks in [
        (0, "https://example.com/hanji/paper-makers-of-jeonju-and-their-winter-mulberry", 88),
        (1, "https://example.com/events", 41),
        (2, "https://www.youtube.com/watch?v=dQw4w9WgXcQ", 12),
    ]:
        SendLink.objects.update_or_create(send=send, position=position, defaults={"url": url})
        LinkFigures.objects.update_or_create(
            send=send,
            position=position,
            defaults={"clicks": clicks, "unique_clicks": clicks * 2 // 3},
        )
    return studio_world


def _choose_language(page, base: str, language: str) -> None:
    page.goto(f"{base}/studio/")
    page.select_option("#language-switch", language)
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", ["ko", "en"])
def test_every_studio_screen_is_shot_in_both_languages_at_both_widths(
    studio_page,
    live_server,
    studio_world,
    emailed,
    owner,
    language,
    settings,
):
    settings.HANJI_ALLOW_SIGNUPS = True
    owner.is_superuser = True
    owner.save(update_fields=["is_superuser"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for width, viewport in WIDTHS.items():
        page = studio_page("owner@example.com", viewport=viewport, locale="en-US")
        _choose_language(page, live_server.url, language)
        for name, url in studio_screens(live_server.url, studio_world):
            response = page.goto(url)
            page.wait_for_load_state("load")
            if name.startswith("editor"):
                page.wait_for_selector(".prose-editor [contenteditable=true]")
            where = f"{name} ({language}, {width})"
            if response is None or response.status != 200:
                problems.append(f"{where}: HTTP {response and response.status}")
            if page.evaluate("document.documentElement.lang") != language:
                problems.append(f"{where}: the page is not in {language}")
            if NAV_WORD[language] not in page.inner_text(".studio-header"):
                problems.append(f"{where}: the navigation is not in {language}")
            primaries = page.locator("main button.primary:visible, main .button.primary:visible")
            if primaries.count() > 1:
                problems.append(f"{where}: {primaries.count()} primary buttons")
            if width == "390":
                problems += [f"{where}: {wide}" for wide in page.evaluate(OVERFLOW)]
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        page.context.close()
    assert not problems, "\n".join(problems)


SIGNED_OUT = [
    ("login", "/studio/login/"),
    ("login-link", "/studio/login/link/"),
    ("signup", "/studio/signup/"),
]


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_signed_out_studio_screens_are_shot_too(browser, live_server, language, settings):
    settings.HANJI_ALLOW_SIGNUPS = True
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for width, viewport in WIDTHS.items():
        context = browser.new_context(viewport=viewport, locale="en-US")
        page = context.new_page()
        page.goto(f"{live_server.url}/studio/login/")
        page.select_option("#language-switch", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        for name, path in SIGNED_OUT:
            response = page.goto(live_server.url + path)
            if response is None or response.status != 200:
                problems.append(
                    f"{name} ({language}, {width}): HTTP {response and response.status}"
                )
            if width == "390":
                problems += [f"{name}: {wide}" for wide in page.evaluate(OVERFLOW)]
            page.screenshot(path=str(SHOTS / f"{name}-{language}-{width}.png"), full_page=True)
        # A wrong password: the form's message above its fields, the fields marked.
        page.goto(f"{live_server.url}/studio/login/")
        page.fill("#id_username", "nobody@example.com")
        page.fill("#id_password", "not the password")
        page.click("button.primary")
        expect(page.locator(".errorlist.nonfield")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"login-error-{language}-{width}.png"), full_page=True)
        context.close()
    assert not problems, "\n".join(problems)

"""More of the first hour in Chromium (issue 12 §3): the traps whose tests were HTTP-only,
now also where a person meets them. Each fails before its fix (checked by reverting it):

- 2: a second publication broke the first one's root URLs (the post URL in its feed);
- 3: the editor's newsletter menu was empty until a first public subscription;
- 7: a post by a staff member without an author profile had a byline starting with "·";
- 8: the invitation page's sign-in link had an empty `?next=`, so it never came back.
"""

from __future__ import annotations

import re

import pytest

from hanji.posts.actions import publish_post
from hanji.posts.revisions import create_draft
from hanji.publications.models import Publication
from tests.browser.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="ko-KR", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def test_a_second_publication_leaves_the_first_ones_feed_links_working(
    page, live_server, publication, make_post
):
    make_post(title="첫 번째 글")
    feed = page.request.get(f"{live_server.url}/rss/").text()
    link = re.search(r"<link>https?://[^/<]+(/posts/[^<]*)</link>", feed)
    assert link, feed[:500]
    Publication.objects.create(name="두 번째 레터", slug="second")
    page.goto(live_server.url + link.group(1))  # the address the feed gave out
    assert "첫 번째 글" in page.locator("h1").inner_text()
    response = page.goto(f"{live_server.url}/archive/")
    assert response.status == 200 and "첫 번째 글" in page.inner_text("main")


def test_the_demo_editor_offers_its_newsletter_before_any_subscription(
    studio_page, live_server, owner
):
    from hanji.core.demo import create_demo
    from hanji.posts.models import Post
    from hanji.publications.models import Role, TeamMember

    demo = create_demo()
    TeamMember.objects.create(publication=demo, user=owner, role=Role.OWNER)
    post = Post.objects.filter(publication=demo).first()
    page = studio_page("owner@example.com")
    page.goto(f"{live_server.url}/studio/p/{demo.slug}/posts/{post.pk}/")
    options = page.locator("#id_newsletter option")
    assert options.count() == 1, page.inner_text("main")[:500]
    recipients = page.request.get(
        f"{live_server.url}/studio/p/{demo.slug}/recipients/?newsletter=&segment="
    )
    assert recipients.status == 200 and recipients.json() == {"count": 0}


def test_a_staff_members_post_is_signed_with_their_name(page, live_server, publication, owner):
    owner.first_name, owner.last_name = "한지", "김"
    owner.save()
    post = create_draft(publication, owner, "스태프의 글")
    post.body = "<p>본문</p>"
    post.save()
    publish_post(post)
    page.goto(f"{live_server.url}/posts/{post.slug}/")
    byline = " ".join(page.locator(".post-header .meta").inner_text().split())
    assert not byline.startswith("·") and "한지" in byline, byline
    assert "@" not in byline


def test_the_invitation_page_signs_in_and_comes_back_to_accept(
    page, live_server, publication, owner, stranger
):
    from hanji.studio.actions import invite

    tokens: list[str] = []
    invite(publication, "stranger@example.com", "editor", owner, tokens.append)
    invitation = f"{live_server.url}/studio/invitation/{publication.pk}/{tokens[0]}/"
    page.goto(invitation)
    with page.expect_navigation():
        page.locator("main").get_by_role("link", name="로그인").click()
    page.fill("#id_username", "stranger@example.com")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url == invitation, page.url
    assert page.get_by_role("button", name="수락").is_visible()

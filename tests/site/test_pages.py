"""Every public page through the Django client (CI runs this on SQLite and PostgreSQL)."""

import json
import re
from datetime import UTC, datetime

import pytest

from hanji.posts.actions import publish_post, save_post
from hanji.posts.models import Post

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(make_post, author):
    post = make_post(
        title="반도체 이야기",
        subtitle="부제목입니다",
        body="첫 문단입니다.\n\n## 소제목\n\n둘째 문단.",
        category="테크",
        tags=["AI", "반도체"],
        authors=[author],
    )
    Post.objects.filter(pk=post.pk).update(
        published_at=datetime(2023, 11, 22, 1, 0, tzinfo=UTC), view_count=7_240, like_count=12
    )
    post.refresh_from_db()
    return post


def page(client, url, **extra):
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_the_home_page_has_bio_subscribe_box_latest_posts_and_discoverable_feed(client, post):
    html = page(client, "/")
    assert "실리콘밸리에서 일하는 엔지니어가 씁니다." in html
    assert '<input id="subscribe-email-home" type="email"' in html
    assert "반도체 이야기" in html
    assert '<link rel="alternate" type="application/rss+xml"' in html
    assert re.search(r'<form role="search"[^>]*>.*?<input[^>]*name="q"', html, re.S)


def test_the_post_page_shows_category_title_subtitle_date_views_likes_bio_and_subscribe(
    client, post
):
    html = page(client, f"/posts/{post.slug}/")
    for text in (
        "테크",
        "반도체 이야기",
        "부제목입니다",
        "2023.11.22",
        "조회 7.2K",
        "♥ 12",
        "글 쓰는 사람",
    ):
        assert text in html, text
    assert 'type="email"' in html
    assert '<link rel="canonical" href="http://testserver/posts/' in html
    assert 'property="og:title" content="반도체 이야기"' in html
    assert 'name="twitter:card"' in html
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    )
    assert data["@type"] == "Article" and data["headline"] == "반도체 이야기"
    assert data["author"] == [{"@type": "Person", "name": "김한지"}]


def test_english_publications_show_english_dates_and_counts(client, other_publication):
    post = save_post(other_publication, title="Hello", body_markdown="Body")
    publish_post(post, at=datetime(2023, 11, 22, 1, 0, tzinfo=UTC))
    Post.objects.filter(pk=post.pk).update(view_count=7_000)
    html = page(client, f"/posts/{post.slug}/", HTTP_HOST="other.testserver")
    assert "Nov 22, 2023" in html
    assert "7K views" in html
    assert '<html lang="en">' in html


def test_archive_paginates_and_rejects_pages_out_of_range(client, make_post):
    for n in range(15):
        make_post(title=f"글 {n}")
    first = page(client, "/archive/")
    assert first.count('class="post-card"') == 12
    second = page(client, "/archive/?page=2")
    assert second.count('class="post-card"') == 3
    assert client.get("/archive/?page=3").status_code == 404
    assert client.get("/archive/?page=x").status_code == 404


def test_category_tag_and_author_pages_list_their_posts(client, post, make_post):
    make_post(title="다른 글")
    for url in ("/category/테크/", "/tag/ai/", "/author/hanji/"):
        html = page(client, url)
        assert "반도체 이야기" in html and "다른 글" not in html, url
    assert client.get("/category/없음/").status_code == 404


def test_drafts_and_scheduled_posts_are_not_public(client, make_post, publication):
    draft = make_post(title="초안", publish=False)
    later = publish_post(
        make_post(title="예약", publish=False), at=datetime(2099, 1, 1, tzinfo=UTC)
    )
    assert client.get(f"/posts/{draft.slug}/").status_code == 404
    assert client.get(f"/posts/{later.slug}/").status_code == 404
    home = page(client, "/")
    assert "초안" not in home and "예약" not in home


def test_a_paid_post_shows_only_the_part_above_the_paywall(client, make_post):
    post = make_post(title="유료 글", body="공개 부분\n\n{paywall}\n\n비밀 부분", visibility="paid")
    html = page(client, f"/posts/{post.slug}/")
    assert "공개 부분" in html and "비밀 부분" not in html
    assert "paywall-notice" in html


def test_the_footer_shows_business_information_only_when_set(client, publication, post):
    assert "business-info" not in page(client, "/")
    assert "/terms/" not in page(client, "/")
    publication.company_name = "한지 주식회사"
    publication.business_number = "123-45-67890"
    publication.terms = "# 이용약관\n\n제1조"
    publication.save()
    html = page(client, "/")
    assert "한지 주식회사" in html and "123-45-67890" in html
    assert "대표자" not in html  # unset fields are left out, not blank
    assert 'href="/terms/"' in html
    assert "제1조" in page(client, "/terms/")
    assert client.get("/privacy/").status_code == 404


def test_search_finds_posts_and_a_paid_post_by_its_title_not_its_paid_text(client, post, make_post):
    make_post(title="비밀 반도체", body="유료 본문 메타버스", visibility="paid")
    html = page(client, "/search/?q=반도체").replace("<mark>", "").replace("</mark>", "")
    assert "반도체 이야기" in html and "비밀 반도체" in html
    assert "비밀 반도체" not in page(client, "/search/?q=메타버스")


def test_sitemap_and_robots(client, post):
    xml = page(client, "/sitemap.xml")
    assert "http://testserver/posts/" in xml
    robots = page(client, "/robots.txt")
    assert "Sitemap: http://testserver/sitemap.xml" in robots


def test_unknown_pages_get_a_friendly_404(client, publication):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "주간 실리콘밸리" in response.content.decode()


def test_health_answers_200_when_database_and_tasks_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}


def test_health_answers_503_when_the_task_backend_fails(client, monkeypatch):
    from hanji.core import views

    def broken():
        raise RuntimeError("down")

    monkeypatch.setattr(views, "_task_backend_answers", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["tasks"] == "failing"

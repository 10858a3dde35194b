"""Sharing: plain share links (no third-party script), OpenGraph previews and the generated
image for posts without a cover; recommendations on the home page."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from hanji.engagement import actions, og
from hanji.posts.actions import save_post

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


HOST = {"HTTP_HOST": "weekly.testserver"}


@pytest.fixture
def post(make_post):
    return make_post(title="한지로 만든 책: 천 년을 가는 종이", subtitle="전주 공방에서")


def page(post) -> str:
    return Client().get(f"/posts/{post.slug}/", **HOST).content.decode()


def meta(html: str, prop: str) -> str:
    match = re.search(rf'<meta (?:property|name)="{re.escape(prop)}" content="([^"]*)"', html)
    assert match, prop
    return match.group(1)


def test_share_links_for_x_facebook_and_linkedin_carry_the_post_address(post):
    html = page(post)
    address = f"http://weekly.testserver/posts/{post.slug}/"
    links = dict(re.findall(r'class="share-link (\w+)" href="([^"]+)"', html))
    for name, host, key in (
        ("x", "x.com", "url"),
        ("facebook", "www.facebook.com", "u"),
        ("linkedin", "www.linkedin.com", "url"),
    ):
        parts = urlsplit(links[name].replace("&amp;", "&"))
        assert parts.scheme == "https" and parts.hostname == host
        assert parse_qs(parts.query)[key] == [address.replace(post.slug, _quoted(post.slug))]
    assert "data-hanji-copy" in html and 'data-hanji-share="kakao"' in html


def _quoted(slug: str) -> str:
    from urllib.parse import quote

    return quote(slug)


def test_no_external_script_or_stylesheet_on_the_post_page(post, publication):
    actions.update_settings(publication, kakao_javascript_key="0123456789abcdef0123456789abcdef")
    html = page(post)
    sources = re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(
        r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"', html
    )
    assert sources and all(src.startswith("/static/") for src in sources)
    assert "kakao.min.js" not in html and "developers.kakao.com" not in html


def test_with_a_kakao_key_the_kakaotalk_button_posts_the_share_picker_form(post, publication):
    actions.update_settings(publication, kakao_javascript_key="0123456789abcdef0123456789abcdef")
    html = page(post)
    form = html[html.index('class="share-kakao"') - 80 :]
    assert 'action="https://sharer.kakao.com/picker/link"' in form
    assert 'name="app_key" value="0123456789abcdef0123456789abcdef"' in form
    assert 'name="validation_action" value="scrap"' in form
    assert "request_url" in form and "origin/http%3A%2F%2Fweekly.testserver" in form


def test_a_post_without_a_cover_gets_a_generated_preview_image(post):
    html = page(post)
    assert meta(html, "og:title") == post.title
    assert meta(html, "twitter:card") == "summary_large_image"
    image_url = meta(html, "og:image")
    assert image_url.startswith("http://weekly.testserver/engagement/og/")
    response = Client().get(urlsplit(image_url).path, **HOST)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1200, 630)
    # Drawn with ink, not blank (the title is there).
    darkest, lightest = image.convert("L").getextrema()
    assert lightest - darkest > 150


@pytest.mark.skipif(not og.has_cjk_font(), reason="fonts-noto-cjk is not installed")
def test_korean_titles_are_drawn_with_a_cjk_font():
    font = og._font(True, 40)
    assert "CJK" in " ".join(font.getname())
    # A Hangul syllable has real glyph width, not a missing-glyph box of the fallback font.
    assert font.getbbox("한")[2] > 20


def test_an_edited_title_gets_a_new_image_address_and_the_old_one_is_gone(post, publication):
    old = meta(page(post), "og:image")
    save_post(publication, post=post, title="새 제목", body_markdown="본문")
    new = meta(page(post), "og:image")
    assert new != old
    assert Client().get(urlsplit(old).path, **HOST).status_code == 404
    assert Client().get(urlsplit(new).path, **HOST).status_code == 200


def test_a_post_with_a_cover_uses_it(post):
    from django.core.files.base import ContentFile

    buffer = io.BytesIO()
    Image.new("RGB", (1600, 900), (10, 20, 30)).save(buffer, "PNG")
    post.cover_image.save("cover.png", ContentFile(buffer.getvalue()))
    assert "/media/covers/" in meta(page(post), "og:image")


def test_the_home_page_shows_recommendations(publication, other_publication, make_post):
    make_post()
    actions.recommend(publication, recommended=other_publication, description="영어 뉴스레터")
    actions.recommend(
        publication, url="https://example.org/newsletter", name="바깥 뉴스레터", description=""
    )
    html = Client().get("/", **HOST).content.decode()
    assert "Other Letter" in html and "영어 뉴스레터" in html
    assert 'href="http://testserver/p/other/"' in html
    assert 'href="https://example.org/newsletter"' in html and "바깥 뉴스레터" in html


def test_recommendations_are_checked(publication):
    with pytest.raises(ValidationError):
        actions.recommend(publication, recommended=publication)
    with pytest.raises(ValidationError):
        actions.recommend(publication, url="javascript:alert(1)", name="x")
    with pytest.raises(ValidationError):
        actions.recommend(publication, url="https://example.org", name="")


def test_the_page_after_confirming_shows_recommendations(rf, publication, other_publication):
    from django.template.loader import render_to_string

    actions.recommend(publication, recommended=other_publication, description="영어 뉴스레터")
    request = rf.get("/confirm/x/", **HOST)
    request.publication = publication
    context = {"email": "reader@example.com", "newsletters": [], "preferences_url": "/p/x/"}
    html = render_to_string("subscribers/confirmed.html", context, request)
    assert "Other Letter" in html and "영어 뉴스레터" in html


def test_a_recommended_publication_renamed_shows_its_new_name_at_once(
    publication, other_publication, make_post
):
    make_post()
    actions.recommend(publication, recommended=other_publication)
    assert "Other Letter" in Client().get("/", **HOST).content.decode()  # now cached
    other_publication.name = "Renamed Letter"
    other_publication.save()
    html = Client().get("/", **HOST).content.decode()
    assert "Renamed Letter" in html and "Other Letter" not in html

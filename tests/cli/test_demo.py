"""`hanji demo`: the Korean demo publication, created once."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from hanji.core.demo import DEMO_SLUG
from hanji.posts.body import has_paywall
from hanji.posts.models import Category, Post, Status
from hanji.publications.models import Author, Publication

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_demo_creates_a_living_korean_publication(hanji):
    outcome = hanji("demo")
    assert outcome.code == 0, outcome.err
    assert "Created the demo publication 판교 위클리 with 7 posts" in outcome.out
    publication = Publication.objects.get(slug=DEMO_SLUG)
    assert publication.language == "ko" and publication.bio and publication.description
    assert publication.has_business_info and publication.business_number
    for page in ("terms", "privacy", "recurring_terms", "faq"):
        assert len(getattr(publication, page)) > 300, page
    assert default_storage.exists(publication.logo.name)
    author = Author.objects.get(publication=publication)
    assert author.bio and default_storage.exists(author.avatar.name)
    assert Category.objects.filter(publication=publication).count() == 4

    posts = list(Post.objects.filter(publication=publication))
    assert 6 <= len(posts) <= 8
    assert all(post.status == Status.PUBLISHED for post in posts)
    assert all(default_storage.exists(post.cover_image.name) for post in posts)
    assert all(post.view_count > 1000 and post.like_count > 10 for post in posts)
    assert all(list(post.authors.all()) == [author] for post in posts)
    assert len({post.published_at for post in posts}) == len(posts)
    bodies = "".join(post.body for post in posts)
    for piece in ("<h2>", "<ul>", "<ol>", "<blockquote>", '<code class="language-python">'):
        assert piece in bodies, piece
    assert 'data-provider="youtube"' in bodies
    assert "<figcaption>" in bodies and '<figure class="image"><img src="/media/demo/' in bodies
    paid = [post for post in posts if post.visibility == "paid"]
    assert len(paid) == 1 and has_paywall(paid[0].body)


def test_demo_a_second_time_changes_nothing(hanji):
    hanji("demo")
    counts = (Publication.objects.count(), Post.objects.count(), Category.objects.count())
    outcome = hanji("demo")
    assert outcome.code == 0
    assert "The demo publication already exists" in outcome.out
    assert (Publication.objects.count(), Post.objects.count(), Category.objects.count()) == counts


def test_the_demo_is_what_the_home_page_shows(hanji, client):
    hanji("demo")
    page = client.get("/").content.decode()
    assert "판교 위클리" in page
    assert "AI 에이전트가 회사에 출근하는 날" in page
    post = client.get("/posts/lunch-map/").content.decode()
    assert "<figcaption>" in post and "열두 명의 단골집" in post
    assert "주식회사 판교위클리" in post  # the footer's business information

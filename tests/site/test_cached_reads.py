"""What the public pages read from the shared cache (the publication, a post with its authors,
tags and category, its comments, the home page's latest posts) is invalidated with the page
cache: every test here turns the page cache off, so a stale value would show."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from hanji.core import pagecache
from hanji.engagement import actions as engagement
from hanji.engagement.models import Comment
from hanji.posts.actions import publish_post, save_post
from hanji.posts.models import Category, Post, Tag
from hanji.subscribers.models import Subscriber, SubscriberStatus

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_page_cache(settings):
    settings.HANJI_PAGE_CACHE = False


@pytest.fixture
def post(make_post, author):
    return make_post(
        title="반도체 이야기", category="테크", tags=["AI"], authors=[author], body="본문입니다."
    )


def html(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert "X-Hanji-Cache" not in response
    return response.content.decode()


def comment_on(post, text: str, status: str = "published") -> Comment:
    reader = Subscriber.objects.create(
        publication=post.publication,
        email=f"{abs(hash(text))}@example.com",
        name="김독자",
        status=SubscriberStatus.ACTIVE,
        created_at=timezone.now(),
    )
    return Comment.objects.create(
        publication=post.publication,
        post=post,
        subscriber=reader,
        body=text,
        body_html=f"<p>{text}</p>",
        status=status,
    )


def test_a_post_page_seen_before_costs_no_query(client, post, django_assert_num_queries):
    html(client, f"/posts/{post.slug}/")
    with django_assert_num_queries(0):
        html(client, f"/posts/{post.slug}/")


def test_the_home_page_seen_before_costs_no_query(client, post, django_assert_num_queries):
    html(client, "/")
    with django_assert_num_queries(0):
        assert "반도체 이야기" in html(client, "/")


def test_editing_the_post_shows_at_once(client, publication, post):
    html(client, f"/posts/{post.slug}/")
    save_post(publication, post=post, title="고친 제목", body_markdown="고친 본문", tags=["새태그"])
    page = html(client, f"/posts/{post.slug}/")
    assert "고친 제목" in page and "고친 본문" in page and "#새태그" in page
    assert "반도체 이야기" not in page
    assert "고친 제목" in html(client, "/")


def test_renaming_the_author_category_or_a_tag_shows_at_once(client, post, author):
    url = f"/posts/{post.slug}/"
    html(client, url)
    author.name = "이작가"
    author.save()
    assert "이작가" in html(client, url)
    category = Category.objects.get(pk=post.category_id)
    category.name = "과학"
    category.save()
    assert "과학" in html(client, url) and "과학" in html(client, "/")
    tag = Tag.objects.get(name="AI")
    tag.name = "인공지능"
    tag.save()
    assert "#인공지능" in html(client, url)


def test_changing_the_publication_shows_at_once(client, publication, post):
    html(client, f"/posts/{post.slug}/")
    html(client, "/")
    publication.name = "새 이름"
    publication.save()
    assert "새 이름" in html(client, f"/posts/{post.slug}/")
    assert "새 이름" in html(client, "/")


def test_unpublishing_a_post_takes_it_off_at_once(client, post):
    html(client, f"/posts/{post.slug}/")
    post.status = "draft"
    post.save()
    assert client.get(f"/posts/{post.slug}/").status_code == 404
    assert "반도체 이야기" not in html(client, "/")


def test_comments_and_closing_them_show_at_once(client, post):
    url = f"/posts/{post.slug}/"
    assert "아직 댓글 없음" in html(client, url)
    comment_on(post, "첫 댓글이에요")
    page = html(client, url)
    assert "첫 댓글이에요" in page and "댓글 1개" in page
    engagement.close_comments(post)
    assert "이 글은 댓글이 닫혀 있어요." in html(client, url)


def test_a_deleted_comment_leaves_the_page_at_once(client, post):
    comment = comment_on(post, "지울 댓글")
    assert "지울 댓글" in html(client, f"/posts/{post.slug}/")
    comment.delete()
    assert "지울 댓글" not in html(client, f"/posts/{post.slug}/")


def test_comment_counts_on_the_home_page_follow_new_comments(client, post):
    html(client, "/")
    comment_on(post, "하나")
    comment_on(post, "둘")
    page = html(client, "/")
    assert '<span class="comment-count">댓글 2개</span>' in page


def test_a_scheduled_post_appears_when_due_without_the_worker(
    client, publication, post, monkeypatch
):
    later = save_post(publication, title="예약된 글", body_markdown="곧 공개")
    due = timezone.now() + timedelta(hours=1)
    publish_post(later, at=due)
    assert "예약된 글" not in html(client, "/")
    assert client.get(f"/posts/{later.slug}/").status_code == 404
    # An hour later, and the worker has not flipped the post's status.
    real_now = timezone.now
    monkeypatch.setattr(timezone, "now", lambda: real_now() + timedelta(hours=1, seconds=1))
    assert Post.objects.get(pk=later.pk).status == "scheduled"
    assert "예약된 글" in html(client, "/")
    assert "곧 공개" in html(client, f"/posts/{later.slug}/")


def test_a_lost_generation_never_brings_back_older_values(client, post):
    """The file cache may cull the generation key: values stored before must not match again."""
    html(client, f"/posts/{post.slug}/")
    Post.objects.filter(pk=post.pk).update(title="몰래 고친 제목")  # no signal, no invalidation
    cache.delete(pagecache._generation_key(post.publication_id))
    assert "몰래 고친 제목" in html(client, f"/posts/{post.slug}/")


@pytest.mark.django_db(transaction=True)
def test_a_change_invalidates_again_when_its_transaction_commits(publication):
    key = pagecache._generation_key(publication.pk)
    with transaction.atomic():
        publication.name = "바뀐 이름"
        publication.save()
        during = cache.get(key)
        assert during is not None
    assert cache.get(key) not in (None, during)


def test_requests_with_a_session_read_the_publication_from_the_database(
    client, publication, post, owner
):
    html(client, "/")
    type(publication).objects.filter(pk=publication.pk).update(name="조용히 바뀐 이름")
    assert "조용히 바뀐 이름" not in html(client, "/")  # no signal: the cached row stays
    client.force_login(owner)
    assert "조용히 바뀐 이름" in html(client, "/")


def test_a_post_page_after_a_change_reads_its_comments_in_one_query(
    client, post, django_assert_max_num_queries
):
    """Right after an invalidation everything is read again: the publication (and, once in a
    few seconds per process, the host look-up and the engagement settings), the post, its
    authors and tags, the header's categories and newsletters, the comments (one query
    whatever their number, replies included) and whether comments are closed."""
    with django_assert_max_num_queries(10):
        html(client, f"/posts/{post.slug}/")
    first = comment_on(post, "첫 댓글")  # saving a comment invalidates
    for n in range(5):
        reply = comment_on(post, f"답글 {n}")
        reply.parent = first
        reply.save()
    with django_assert_max_num_queries(10) as queries:
        page = html(client, f"/posts/{post.slug}/")
    assert "답글 4" in page and "댓글 6개" in page
    comment_queries = [q for q in queries.captured_queries if "engagement_comment" in q["sql"]]
    assert len(comment_queries) == 1

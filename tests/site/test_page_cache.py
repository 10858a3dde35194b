import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hanji.posts.actions import save_post
from hanji.posts.models import Post

pytestmark = pytest.mark.django_db


def test_anonymous_pages_are_cached_and_invalidated_when_a_post_changes(
    client, publication, make_post
):
    post = make_post(title="처음 제목")
    url = f"/posts/{post.slug}/"
    assert client.get(url)["X-Hanji-Cache"] == "miss"
    # Changed behind the cache's back (no signal): a page from the cache still shows what
    # was stored; no template was rendered for it and the database was asked nothing.
    Post.objects.filter(pk=post.pk).update(title="몰래 고친 제목")
    with CaptureQueriesContext(connection) as queries:
        cached = client.get(url)
    assert cached["X-Hanji-Cache"] == "hit"
    assert "처음 제목" in cached.content.decode()
    assert "몰래 고친 제목" not in cached.content.decode()
    assert cached.templates == []
    assert len(queries) == 0
    save_post(publication, post=post, title="고친 제목", body_markdown="본문")
    response = client.get(url)
    assert response["X-Hanji-Cache"] == "miss"
    assert "고친 제목" in response.content.decode()


def test_changing_the_publication_invalidates_its_pages(client, publication, make_post):
    make_post()
    client.get("/")
    assert client.get("/")["X-Hanji-Cache"] == "hit"
    publication.name = "새 이름"
    publication.save()
    response = client.get("/")
    assert response["X-Hanji-Cache"] == "miss"
    assert "새 이름" in response.content.decode()


def test_one_publication_changing_keeps_the_others_cache(
    client, publication, other_publication, make_post
):
    make_post(pub=other_publication, title="Other post")
    host = {"HTTP_HOST": "other.testserver"}
    client.get("/", **host)
    make_post(title="내 글")
    assert client.get("/", **host)["X-Hanji-Cache"] == "hit"


def test_signed_in_visitors_and_unknown_queries_bypass_the_cache(
    client, publication, make_post, owner
):
    make_post()
    client.get("/")
    assert client.get("/?utm_source=x").get("X-Hanji-Cache") is None
    client.force_login(owner)
    assert client.get("/").get("X-Hanji-Cache") is None


def test_cached_pages_never_set_cookies(client, publication, make_post):
    make_post()
    first = client.get("/")
    second = client.get("/")
    assert (first["X-Hanji-Cache"], second["X-Hanji-Cache"]) == ("miss", "hit")
    assert first.templates and not second.templates  # the second was not rendered
    assert not first.cookies and not second.cookies


def test_the_file_cache_still_keeps_within_its_size_while_culling_less_often(tmp_path):
    from hanji.core.pagecache import FileCache

    files = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 200}})
    for number in range(1000):
        files.set(f"page-{number}", "본문" * 10)
        assert len(files._list_cache_files()) <= 200 + FileCache.CULL_EVERY
    assert len(files._list_cache_files()) > 100
    assert files.get("page-999") == "본문" * 10

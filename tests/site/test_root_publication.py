"""Which publication the instance's own host serves at `/` (issue 12 §3, trap 2): adding a
second publication must not break the first one's root URLs, which its feed, canonical links
and sent emails carry; naming another root publication redirects the old root's posts."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from hanji.publications.models import Publication
from hanji.publications.queries import clear_lookup_cache

pytestmark = pytest.mark.django_db


def test_a_second_publication_leaves_the_first_ones_root_urls_working(
    client, publication, make_post
):
    post = make_post(title="첫 글")
    before = {path: client.get(path).status_code for path in root_paths(post)}
    second = Publication.objects.create(name="두 번째", slug="second")
    make_post(title="두 번째의 글", pub=second)
    clear_lookup_cache()
    after = {path: client.get(path) for path in root_paths(post)}
    assert before == {path: 200 for path in root_paths(post)}
    assert {path: r.status_code for path, r in after.items()} == before
    assert "첫 글" in after["/"].content.decode()
    assert client.get("/p/second/").status_code == 200


def test_the_operator_names_the_root_and_the_old_roots_posts_redirect(
    client, publication, make_post, settings
):
    post = make_post(title="첫 글")
    Publication.objects.create(name="두 번째", slug="second")
    settings.HANJI_ROOT_PUBLICATION = "second"
    clear_lookup_cache()
    assert "두 번째" in client.get("/").content.decode()
    moved = client.get(f"/posts/{post.slug}/")
    assert moved.status_code == 301
    assert unquote(moved["Location"]).endswith(f"/p/{publication.slug}/posts/{post.slug}/")
    assert client.get("/posts/no-such-post/").status_code == 404


def root_paths(post) -> list[str]:
    return ["/", f"/posts/{post.slug}/", "/archive/", "/rss/"]

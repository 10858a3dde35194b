from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from hanji.core.pagecache import publication_cached
from hanji.posts.models import Post, Status, Tag
from hanji.publications.models import Author, Publication


def listed_posts(publication: Publication) -> QuerySet[Post]:
    """Published posts of one publication, ready for a list page (no query per row).

    A post card shows the category but neither authors nor tags: prefetching those cost a
    quarter of an uncached home page (bench/pages.py). Callers that show them (feeds) add
    `.prefetch_related(*LIST_PREFETCH)`.
    """
    return (
        Post.objects.published()
        .filter(publication=publication)
        .select_related("category")
        .defer("body")
    )


LIST_PREFETCH = ("authors", Prefetch("tags", queryset=Tag.objects.only("name", "slug")))


def next_publish_time(publication: Publication) -> datetime | None:
    """When the publication's next scheduled post goes live (None when none waits): lists
    kept in a cache must be rebuilt then, since `published()` counts it from that moment."""
    return (
        Post.objects.filter(publication=publication, published_at__gt=timezone.now())
        .exclude(status=Status.DRAFT)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )


@dataclass
class PostPage:
    """What a post's page shows of the post itself: the post (with its category), its
    authors and its tags."""

    post: Post
    authors: list[Author]
    tags: list[Tag]
    writer: str = ""  # the byline when the post has no author profile (writer_name)


def writer_name(post: Post) -> str:
    """Who wrote a post that has no author profile: the full name of the team member who
    created it, or nothing (never their address, not even its local part: the page is
    public, and an address on it is an address for spammers)."""
    user = post.created_by if post.created_by_id else None
    return user.get_full_name().strip()[:100] if user is not None else ""


def post_page_of(post: Post) -> PostPage:
    """The page's view of one post, published or not (the studio's preview uses it too)."""
    authors = list(post.authors.all())
    writer = "" if authors else writer_name(post)
    return PostPage(post, authors, list(post.tags.only("name", "slug")), writer)


def get_post_page(publication: Publication, slug: str) -> PostPage:
    """A published post of this publication, by slug, for its public page; 404 for drafts,
    others' posts and unknown slugs. Kept in the shared cache until the publication's pages
    are invalidated (saving a post, author, category, tag or the publication does that), so
    an uncached page view costs no query for the post.

    The view and like counts in it are as fresh as a cached page's: the page script shows the
    live ones. Unknown slugs are not cached (a scheduled post may go live at any moment).
    """

    def build() -> PostPage | None:
        post = (
            Post.objects.published()
            .filter(publication=publication, slug=slug)
            .select_related("category")
            .first()
        )
        return None if post is None else post_page_of(post)

    name = "post:" + hashlib.blake2b(slug.encode(), digest_size=12).hexdigest()
    page = publication_cached(publication.pk, name, build, keep_none=False)
    if page is None:
        raise Http404
    # The publication is not stored with the post: the request has it already.
    page.post.publication = publication
    return page

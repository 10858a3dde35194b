from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from hanji.posts.models import Post, Tag
from hanji.publications.models import Publication


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


def get_published_post(publication: Publication, slug: str) -> Post:
    """A published post of this publication, by slug; 404 for drafts, others' posts, unknown."""
    post = (
        Post.objects.published()
        .filter(publication=publication, slug=slug)
        .select_related("category", "publication")
        .prefetch_related("authors", "tags")
        .first()
    )
    if post is None:
        raise Http404
    return post

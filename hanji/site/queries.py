"""Reads for the public pages that combine several apps (posts and their engagement)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from hanji.core.pagecache import publication_cached
from hanji.engagement.queries import count_comments_of
from hanji.posts.models import Post
from hanji.posts.queries import listed_posts, next_publish_time
from hanji.publications.models import Publication


@dataclass
class LatestPosts:
    posts: list[Post]  # newest first, with their comment counts
    more: bool  # older posts exist
    until: datetime | None  # when the next scheduled post goes live


def latest_posts(publication: Publication, count: int) -> LatestPosts:
    """The newest `count` published posts for the home page, kept in the shared cache with
    the publication's pages (a post, category or comment changing invalidates it) and until
    the next scheduled post falls due, so that post appears on time without the worker."""

    def build() -> LatestPosts:
        posts = list(listed_posts(publication)[: count + 1])
        shown = count_comments_of(posts[:count])
        return LatestPosts(shown, len(posts) > count, next_publish_time(publication))

    def still_valid(found: LatestPosts) -> bool:
        return found.until is None or timezone.now() < found.until

    return publication_cached(publication.pk, f"latest:{count}", build, still_valid=still_valid)

"""Every change to posts goes through these functions (views, CLI, admin and tests)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation

from hanji.posts.body import has_paywall, make_excerpt, markdown_to_html, sanitize
from hanji.posts.models import Category, Post, Status, Tag, Visibility
from hanji.posts.slugs import readable_slug, unique_slug
from hanji.publications.models import Author, Publication
from hanji.search.actions import index_post


def get_or_create_category(publication: Publication, name: str) -> Category:
    slug = readable_slug(name)
    category, _ = Category.objects.get_or_create(
        publication=publication, slug=slug, defaults={"name": name.strip()}
    )
    return category


def get_or_create_tags(publication: Publication, names: Iterable[str]) -> list[Tag]:
    tags = []
    for name in names:
        if name.strip():
            tag, _ = Tag.objects.get_or_create(
                publication=publication, slug=readable_slug(name), defaults={"name": name.strip()}
            )
            tags.append(tag)
    return tags


@transaction.atomic
def save_post(
    publication: Publication,
    *,
    title: str,
    body_html: str | None = None,
    body_markdown: str | None = None,
    post: Post | None = None,
    subtitle: str = "",
    slug: str = "",
    category: str | None = None,
    tags: Iterable[str] = (),
    authors: Iterable[Author] = (),
    visibility: str = Visibility.PUBLIC,
    excerpt: str = "",
    created_by=None,
) -> Post:
    """Create or update a post; the body is always sanitized into the one schema."""
    if body_markdown is not None:
        with translation.override(publication.language):
            body = markdown_to_html(body_markdown)
    else:
        body = sanitize(body_html or "")
    post = post or Post(publication=publication, created_by=created_by)
    if slug and _slug_follows_title(post, slug):
        # A never-published draft's slug follows its title ("untitled" → the title).
        slug = post.slug = ""
    post.title = title.strip()
    post.subtitle = subtitle.strip()
    post.body = body
    post.visibility = Visibility(visibility)
    # A closed post without a paywall divider has no free part: no excerpt is made from it.
    closed = post.visibility != Visibility.PUBLIC and not has_paywall(body)
    post.excerpt = excerpt.strip() or ("" if closed else make_excerpt(body))
    post.category = get_or_create_category(publication, category) if category else None
    others = Post.objects.filter(publication=publication).exclude(pk=post.pk)
    wanted = readable_slug(slug) if slug else None
    if wanted and not others.filter(slug=wanted).exists():
        post.slug = wanted
    elif not post.slug or wanted:
        post.slug = unique_slug(slug or title, lambda s: others.filter(slug=s).exists())
    post.save()
    post.tags.set(get_or_create_tags(publication, tags))
    if authors:
        post.authors.set(list(authors))
    index_post(post)
    return post


def _slug_follows_title(post: Post, slug: str) -> bool:
    """True when the slug was made from the draft's current title and nobody has read it at
    that address yet, so a new title may give it a new slug (as Ghost does)."""
    if post.pk is None or post.published_at is not None:
        return False
    from_title = readable_slug(post.title)
    return re.fullmatch(re.escape(from_title) + r"(?:-\d+)?", readable_slug(slug)) is not None


def publish_post(post: Post, at: datetime | None = None) -> Post:
    """Publish now, or schedule for `at` (a later time)."""
    now = timezone.now()
    post.published_at = at or post.published_at or now
    if post.published_at > now:
        post.status = Status.SCHEDULED
    else:
        post.status = Status.PUBLISHED
    post.save(update_fields=["status", "published_at", "updated_at"])
    return post


def unpublish_post(post: Post) -> Post:
    post.status = Status.DRAFT
    post.save(update_fields=["status", "updated_at"])
    return post


def publish_due_posts(now: datetime | None = None) -> int:
    """Scheduled posts whose time has come become published (run by a periodic task)."""
    now = now or timezone.now()
    due = list(Post.objects.filter(status=Status.SCHEDULED, published_at__lte=now))
    for post in due:
        post.status = Status.PUBLISHED
        post.save(update_fields=["status", "updated_at"])
    return len(due)

"""Reads and permission-checked getters of engagement (every view goes through these)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Count, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core.pagecache import publication_cached
from hanji.engagement.models import (
    Comment,
    CommentBan,
    CommentStatus,
    EngagementSettings,
    PostLike,
    PostOptions,
    Recommendation,
    WhoMayComment,
)
from hanji.engagement.readers import is_confirmed, is_paid_member
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber

# Settings and post facts are read on every beacon; a process keeps them a few seconds.
# Saving settings clears this process's copy at once (see apps.py); others catch up in TTL.
TTL = 3.0
_settings_cache: dict[int, tuple[float, EngagementSettings]] = {}
_gate_cache: dict[int, tuple[float, PostGate | None]] = {}


def clear_caches() -> None:
    _settings_cache.clear()
    _gate_cache.clear()


def forget_post(post_id: int) -> None:
    _gate_cache.pop(post_id, None)


def engagement_settings(publication_id: int) -> EngagementSettings:
    """The publication's settings; the defaults (unsaved) when it never changed them."""
    now = time.monotonic()
    hit = _settings_cache.get(publication_id)
    if hit and hit[0] > now:
        return hit[1]
    found = EngagementSettings.objects.filter(publication_id=publication_id).first()
    found = found or EngagementSettings(publication_id=publication_id)
    if len(_settings_cache) > 10_000:
        _settings_cache.clear()
    _settings_cache[publication_id] = (now + TTL, found)
    return found


@dataclass(frozen=True)
class PostGate:
    """What a beacon needs to know about a published post, without loading it."""

    post_id: int
    publication_id: int
    visibility: str
    language: str
    view_count: int
    like_count: int
    # The beacon's answer, formatted once per load in the publication's language.
    labels: dict[str, str] = field(default_factory=dict, compare=False)


def _labels(language: str, views: int, likes: int) -> dict[str, str]:
    from django.utils import translation

    from hanji.site.templatetags.hanji import compact_number, views_label

    with translation.override(language):
        return {
            "views_label": views_label(views),
            "likes_label": compact_number(likes),
            "liked": _("Liked"),
            "like": _("Like"),
        }


def post_gate(post_id: int) -> PostGate | None:
    """A published post's facts (None for drafts and unknown ids), kept TTL seconds."""
    now = time.monotonic()
    hit = _gate_cache.get(post_id)
    if hit and hit[0] > now:
        return hit[1]
    row = (
        Post.objects.published()
        .filter(pk=post_id)
        .values_list(
            "publication_id", "visibility", "publication__language", "view_count", "like_count"
        )
        .first()
    )
    gate = PostGate(post_id, *row, labels=_labels(row[2], row[3], row[4])) if row else None
    if len(_gate_cache) > 50_000:
        _gate_cache.clear()
    _gate_cache[post_id] = (now + TTL, gate)
    return gate


def may_read(visibility: str, reader: Subscriber | None, post_id: int | None = None) -> bool:
    """Whether the reader may read the whole post (not only what is above the paywall): the
    one access function decides (hanji.memberships.access)."""
    from hanji.memberships.access import may_read as access_may_read
    from hanji.memberships.access import reader_access

    return access_may_read(reader_access(reader), visibility, post_id)


def get_post_for_reader(
    publication_id: int | None, post_id: int, reader: Subscriber | None
) -> Post:
    """A published post of this publication that the reader may read in full; else 404.

    Engagement (views, likes, comments) exists only where the reader can see the post:
    another publication's post, a draft, or a paid post for a reader who has not paid are
    all "not found".
    """
    post = (
        Post.objects.published()
        .filter(pk=post_id, publication_id=publication_id)
        .select_related("publication")
        .first()
    )
    if post is None or not may_read(post.visibility, reader, post.pk):
        raise Http404
    return post


def comments_closed(post: Post) -> bool:
    return PostOptions.objects.filter(post=post, comments_closed=True).exists()


def is_banned(publication_id: int, subscriber: Subscriber) -> bool:
    return CommentBan.objects.filter(publication_id=publication_id, subscriber=subscriber).exists()


def why_not_comment(post: Post, reader: Subscriber | None) -> str | None:
    """None when the reader may comment on the post; else the reason, for the reader."""
    who = engagement_settings(post.publication_id).who_may_comment
    if who == WhoMayComment.NOBODY:
        return _("Comments are turned off.")
    if public_comments(post).closed if reader is None else comments_closed(post):
        return _("Comments are closed on this post.")
    if reader is None:
        return _("Sign in with your email to comment.")
    if not may_read(post.visibility, reader, post.pk):
        return _("Only readers who can read this post may comment.")
    if who == WhoMayComment.MEMBERS and not is_paid_member(reader):
        return _("Only paid members may comment.")
    if not is_confirmed(reader):
        return _("Confirm your subscription to comment.")
    if is_banned(post.publication_id, reader):
        return _("You can no longer comment here.")
    return None


def liked_by(post_id: int, reader: Subscriber | None, visitor: str) -> bool:
    if reader is not None:
        return PostLike.objects.filter(post_id=post_id, subscriber=reader).exists()
    if visitor:
        return PostLike.objects.filter(post_id=post_id, visitor=visitor).exists()
    return False


@dataclass
class Thread:
    comments: list[Comment] = field(default_factory=list)  # top level, pinned first
    count: int = 0


def thread(post: Post, reader: Subscriber | None = None) -> Thread:
    """The comments shown under a post, with their replies (one query whatever the size; none
    for a reader who is not signed in while the publication's pages are unchanged).

    Everyone sees published comments; a deleted comment that has replies stays as a
    placeholder so the replies keep their context. The reader also sees their own comments
    waiting for review.
    """
    if reader is None:
        return public_comments(post).thread
    return _thread(post, reader)[0]


def _thread(post: Post, reader: Subscriber | None) -> tuple[Thread, int]:
    """The thread and the post's number of published comments, from one query: every comment
    of the post the reader may see, put in order here."""
    visible = Q(status__in=(CommentStatus.PUBLISHED, CommentStatus.DELETED))
    if reader is not None:
        visible |= Q(status=CommentStatus.REVIEW, subscriber=reader)
    rows = (
        Comment.objects.filter(visible, post=post)
        .select_related("subscriber")
        .order_by("created_at", "id")
    )
    top: list[Comment] = []
    replies: dict[int, list[Comment]] = {}
    published = 0
    for comment in rows:
        published += comment.status == CommentStatus.PUBLISHED
        if comment.parent_id is None:
            top.append(comment)
        elif comment.status != CommentStatus.DELETED:
            replies.setdefault(comment.parent_id, []).append(comment)
    top.sort(key=lambda comment: not comment.pinned)  # stable: pinned first, then by time
    shown: list[Comment] = []
    count = 0
    for comment in top:
        kept = comment.shown_replies = replies.get(comment.pk, [])
        # A deleted comment stays as a placeholder only while it has replies; comments
        # waiting for review here are the reader's own.
        if comment.status == CommentStatus.DELETED and not kept:
            continue
        shown.append(comment)
        count += (comment.status == CommentStatus.PUBLISHED) + sum(
            1 for reply in kept if reply.status == CommentStatus.PUBLISHED
        )
    return Thread(shown, count), published


@dataclass
class PublicComments:
    """What every reader who is not signed in sees of a post's comments."""

    thread: Thread
    count: int  # published comments, as list pages count them
    closed: bool


def public_comments(post: Post) -> PublicComments:
    """The post's comments as anyone sees them, its published count and whether comments are
    closed: kept in the shared cache with the page-cache generation (a comment or the post's
    options changing invalidates it, like the cached page that shows them), and on the post
    for the rest of the request."""
    memo = post.__dict__.get("_hanji_public_comments")
    if memo is None:

        def build() -> PublicComments:
            return PublicComments(*_thread(post, None), closed=comments_closed(post))

        memo = publication_cached(post.publication_id, f"comments:{post.pk}", build)
        post._hanji_public_comments = memo
    return memo


def comment_counts(post_ids: list[int]) -> dict[int, int]:
    """Published comments per post, in one query (for lists of posts)."""
    rows = (
        Comment.objects.filter(post_id__in=post_ids, status=CommentStatus.PUBLISHED)
        .values("post_id")
        .annotate(n=Count("id"))
    )
    counts = {post_id: 0 for post_id in post_ids}
    counts.update({row["post_id"]: row["n"] for row in rows})
    return counts


def count_comments_of(posts: list[Post]) -> list[Post]:
    """Counts the published comments of every post in one query and keeps each count on its
    post, where the `comment_count` template tag finds it (so a list kept in a cache carries
    its counts along)."""
    counts = comment_counts([post.pk for post in posts])
    for post in posts:
        post._hanji_comments = counts[post.pk]
    return posts


def may_change_own(comment: Comment, reader: Subscriber | None) -> bool:
    """The author may edit or delete their comment within the publication's window."""
    if reader is None or comment.subscriber_id != reader.pk:
        return False
    if comment.status not in (CommentStatus.PUBLISHED, CommentStatus.REVIEW):
        return False
    window = engagement_settings(comment.publication_id).edit_window_minutes
    return timezone.now() - comment.created_at <= timedelta(minutes=window)


def get_own_comment(
    publication_id: int | None, comment_id: int, reader: Subscriber | None
) -> Comment:
    """The reader's own comment in this publication; 404 for anyone else's."""
    if reader is None:
        raise Http404
    comment = (
        Comment.objects.filter(pk=comment_id, publication_id=publication_id, subscriber=reader)
        .select_related("post", "publication")
        .first()
    )
    if comment is None:
        raise Http404
    return comment


def review_queue(publication: Publication):
    return (
        Comment.objects.filter(publication=publication, status=CommentStatus.REVIEW)
        .select_related("post", "subscriber")
        .order_by("created_at", "id")
    )


def recent_comments(publication: Publication, limit: int = 50):
    return (
        Comment.objects.filter(publication=publication)
        .exclude(status=CommentStatus.DELETED)
        .select_related("post", "subscriber")
        .order_by("-created_at", "-id")[:limit]
    )


def recommendations_of(publication: Publication) -> list[Recommendation]:
    return list(
        Recommendation.objects.filter(publication=publication)
        .select_related("recommended")
        .prefetch_related("recommended__domains")
    )

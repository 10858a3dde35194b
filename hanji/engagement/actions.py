"""Every change of engagement goes through these functions (views, admin, tasks and tests)."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.engagement import queries, text
from hanji.engagement.models import (
    Comment,
    CommentBan,
    CommentStatus,
    DigestFrequency,
    EngagementSettings,
    PostLike,
    PostOptions,
    Recommendation,
)
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber


class Refused(Exception):
    """The reader may not do this; the message says why, in their language."""


# --- likes ----------------------------------------------------------------------------------


def set_like(
    post: Post, *, reader: Subscriber | None = None, visitor: str = "", like: bool | None = None
) -> tuple[bool, int]:
    """Like, unlike, or (like=None) toggle; returns (liked now, the post's like count).

    One like per reader, or per browser for readers who are not signed in. The row and the
    count change in one transaction, so the count always equals the rows: two toggles at once
    end as if one ran after the other (a like racing another like of the same liker loses
    the unique constraint and is run again, now seeing the first).
    """
    if reader is None and not visitor:
        raise Refused(_("Sign in with your email to like posts."))
    who = {"subscriber": reader} if reader is not None else {"visitor": visitor}
    for _attempt in range(5):
        try:
            with transaction.atomic():
                liked = _apply_like(post, who, like)
            break
        except IntegrityError:
            continue
    else:
        raise Refused(_("Too many changes at once; try again."))
    queries.forget_post(post.pk)
    count = Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).first() or 0
    return liked, count


def _apply_like(post: Post, who: dict, like: bool | None) -> bool:
    if like is not True:
        removed, _detail = PostLike.objects.filter(post=post, **who).delete()
        if removed:
            Post.objects.filter(pk=post.pk).update(like_count=F("like_count") - removed)
            return False
        if like is False:
            return False
    elif PostLike.objects.filter(post=post, **who).exists():
        return True
    with transaction.atomic():
        PostLike.objects.create(post=post, publication_id=post.publication_id, **who)
    Post.objects.filter(pk=post.pk).update(like_count=F("like_count") + 1)
    return True


def recount_likes(post: Post) -> int:
    """Set the count from the rows (repairs a count changed by hand)."""
    with transaction.atomic():
        count = PostLike.objects.filter(post=post).count()
        Post.objects.filter(pk=post.pk).update(like_count=count)
    queries.forget_post(post.pk)
    return count


# --- comments -------------------------------------------------------------------------------


def _review_reason(
    publication_id: int, reader: Subscriber, body: str, *, check_repeat: bool = True
) -> str:
    """Why a comment should wait for a person to look at it ("" when it need not)."""
    options = queries.engagement_settings(publication_id)
    links = len(text.find_links(body))
    if links > options.review_links_over:
        return _("%(count)s links") % {"count": links}
    folded = body.casefold()
    for word in options.blocked_word_list:
        if word in folded:
            return _("contains a blocked word")
    an_hour_ago = timezone.now() - timedelta(hours=1)
    if (
        check_repeat
        and Comment.objects.filter(
            subscriber=reader, body=body, created_at__gte=an_hour_ago
        ).exists()
    ):
        return _("the same text again")
    return ""


@transaction.atomic
def post_comment(
    post: Post,
    reader: Subscriber | None,
    body: str,
    *,
    parent_id: int | None = None,
    notify_replies: bool = False,
) -> Comment:
    """A reader's comment (or reply). Raises Refused or text.CommentTextError."""
    reason = queries.why_not_comment(post, reader)
    if reason:
        raise Refused(reason)
    normalized = text.normalize(body)
    parent = None
    if parent_id:
        parent = (
            Comment.objects.filter(pk=parent_id, post=post)
            .exclude(status__in=(CommentStatus.HIDDEN, CommentStatus.DELETED))
            .first()
        )
        if parent is None:
            raise Refused(_("That comment is no longer there."))
        # One level of replies: answering a reply answers its thread.
        if parent.parent_id:
            parent = parent.parent
    review = _review_reason(post.publication_id, reader, normalized)
    comment = Comment.objects.create(
        publication_id=post.publication_id,
        post=post,
        subscriber=reader,
        parent=parent,
        body=normalized,
        body_html=text.render(normalized),
        status=CommentStatus.REVIEW if review else CommentStatus.PUBLISHED,
        review_reason=review,
        notify_replies=notify_replies,
    )
    if comment.status == CommentStatus.PUBLISHED:
        _after_publish(comment)
    return comment


def _after_publish(comment: Comment) -> None:
    """Tell the parent's author about a published reply, if they asked to be told."""
    parent = comment.parent
    if parent and parent.notify_replies and parent.subscriber_id != comment.subscriber_id:
        from hanji.engagement.tasks import notify_reply

        comment_id = comment.pk
        transaction.on_commit(lambda: notify_reply.enqueue(comment_id))


@transaction.atomic
def edit_comment(comment: Comment, reader: Subscriber | None, body: str) -> Comment:
    if not queries.may_change_own(comment, reader):
        raise Refused(_("This comment can no longer be edited."))
    normalized = text.normalize(body)
    comment.body = normalized
    comment.body_html = text.render(normalized)
    comment.edited_at = timezone.now()
    review = _review_reason(comment.publication_id, reader, normalized, check_repeat=False)
    if review:
        comment.status, comment.review_reason = CommentStatus.REVIEW, review
    comment.save()
    return comment


@transaction.atomic
def delete_own_comment(comment: Comment, reader: Subscriber | None) -> None:
    if not queries.may_change_own(comment, reader):
        raise Refused(_("This comment can no longer be deleted."))
    _delete(comment)


def _delete(comment: Comment, by=None) -> None:
    """Wipe the text; the row stays (as "deleted") so that replies keep their place."""
    comment.status = CommentStatus.DELETED
    comment.body = ""
    comment.body_html = ""
    comment.pinned = False
    if by is not None:
        comment.moderated_at, comment.moderated_by = timezone.now(), by
    comment.save()


# --- moderation (staff) -----------------------------------------------------------------------


def _moderate(comment: Comment, by, **changes) -> Comment:
    for name, value in changes.items():
        setattr(comment, name, value)
    comment.moderated_at = timezone.now()
    comment.moderated_by = by
    comment.save()
    return comment


@transaction.atomic
def approve_comment(comment: Comment, by=None) -> Comment:
    """Publish a comment from the review queue (or show a hidden one again)."""
    was_waiting = comment.status == CommentStatus.REVIEW
    _moderate(comment, by, status=CommentStatus.PUBLISHED, review_reason="")
    if was_waiting:
        _after_publish(comment)
    return comment


def hide_comment(comment: Comment, by=None) -> Comment:
    return _moderate(comment, by, status=CommentStatus.HIDDEN, pinned=False)


def delete_comment(comment: Comment, by=None) -> None:
    _delete(comment, by)


def pin_comment(comment: Comment, by=None, pinned: bool = True) -> Comment:
    if pinned and (comment.parent_id or comment.status != CommentStatus.PUBLISHED):
        raise Refused(_("Only a published top-level comment can be pinned."))
    return _moderate(comment, by, pinned=pinned)


@transaction.atomic
def ban_reader(
    publication: Publication, subscriber: Subscriber, by=None, reason: str = "", *, hide_all=False
) -> CommentBan:
    """The reader may no longer comment here; with hide_all, their comments are hidden too."""
    if subscriber.publication_id != publication.pk:
        raise Refused(_("That reader does not belong to this publication."))
    ban, _created = CommentBan.objects.get_or_create(
        publication=publication,
        subscriber=subscriber,
        defaults={"reason": reason[:300], "created_by": by},
    )
    if hide_all:
        for comment in Comment.objects.filter(
            publication=publication, subscriber=subscriber, status=CommentStatus.PUBLISHED
        ):
            hide_comment(comment, by)
    return ban


def unban_reader(publication: Publication, subscriber: Subscriber) -> None:
    for ban in CommentBan.objects.filter(publication=publication, subscriber=subscriber):
        ban.delete()  # one by one, so the page cache hears of it


def close_comments(post: Post, closed: bool = True) -> None:
    PostOptions.objects.update_or_create(
        post=post, defaults={"publication_id": post.publication_id, "comments_closed": closed}
    )


def replies_off(comment: Comment) -> None:
    Comment.objects.filter(pk=comment.pk).update(notify_replies=False)


# --- settings and recommendations -------------------------------------------------------------


def update_settings(publication: Publication, **values) -> EngagementSettings:
    settings_row = EngagementSettings.objects.get(publication=publication)
    for name, value in values.items():
        setattr(settings_row, name, value)
    settings_row.full_clean(exclude=["publication"])
    settings_row.save()
    queries.clear_caches()
    return settings_row


def recommend(
    publication: Publication,
    *,
    recommended: Publication | None = None,
    url: str = "",
    name: str = "",
    description: str = "",
) -> Recommendation:
    """Recommend a publication of this instance, or any web address (http or https)."""
    if recommended is not None and recommended.pk == publication.pk:
        raise ValidationError(_("A publication cannot recommend itself."))
    if recommended is None:
        if not url.lower().startswith(("https://", "http://")):
            raise ValidationError(_("Enter a web address starting with https://"))
        if not name.strip():
            raise ValidationError(_("Give the recommended publication a name."))
    position = Recommendation.objects.filter(publication=publication).count()
    item = Recommendation(
        publication=publication,
        recommended=recommended,
        url=url.strip() if recommended is None else "",
        name=name.strip(),
        description=description.strip(),
        position=position,
    )
    item.full_clean()
    item.save()
    return item


# --- digests ------------------------------------------------------------------------------------


def enqueue_comment_digests() -> int:
    """Queue a digest for each publication whose period has passed (a periodic job)."""
    from hanji.engagement.tasks import send_comment_digest

    now = timezone.now()
    periods = {DigestFrequency.HOURLY: timedelta(hours=1), DigestFrequency.DAILY: timedelta(days=1)}
    queued = 0
    known = {row.publication_id: row for row in EngagementSettings.objects.all()}
    for publication_id in Publication.objects.values_list("pk", flat=True):
        row = known.get(publication_id)
        frequency = row.comment_digest if row else DigestFrequency.DAILY
        if frequency == DigestFrequency.OFF:
            continue
        since = row.digest_sent_until if row else None
        if since and now - since < periods[frequency]:
            continue
        send_comment_digest.enqueue(publication_id)
        queued += 1
    return queued

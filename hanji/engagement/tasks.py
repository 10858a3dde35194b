"""Mail about comments: the creator's digest and reply notifications (tasks take ids).

Both go through the "transactional" mailer via hanji.core.emails. Running a task twice sends
at most one more identical email; the digest moves its "sent until" mark forward only after
the email has left.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from hanji.core import emails
from hanji.core.tokens import make_token
from hanji.engagement.models import Comment, CommentStatus, EngagementSettings
from hanji.engagement.readers import display_name
from hanji.publications.links import absolute_url
from hanji.publications.models import Publication, Role, TeamMember

logger = logging.getLogger(__name__)

REPLIES_OFF = "comment-replies-off"
DIGEST_LIMIT = 50


def replies_off_token(comment: Comment) -> str:
    return make_token(REPLIES_OFF, comment.publication_id, [comment.pk])


def post_url(comment: Comment) -> str:
    return absolute_url(comment.publication, "site:post", slug=comment.post.slug)


def digest_recipients(publication: Publication) -> list[str]:
    """Owners and admins of the publication with an address; else its contact address."""
    addresses = (
        TeamMember.objects.filter(publication=publication, role__in=(Role.OWNER, Role.ADMIN))
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    found = sorted(set(addresses))
    if not found and publication.contact_email:
        found = [publication.contact_email]
    return found


@task()
def send_comment_digest(publication_id: int) -> int:
    """Mail the team the comments written since the last digest; returns how many."""
    publication = Publication.objects.filter(pk=publication_id).first()
    if publication is None:
        return 0
    row = EngagementSettings.objects.get(publication=publication)
    now = timezone.now()
    since = row.digest_sent_until or now - timedelta(days=1)
    new = (
        Comment.objects.filter(publication=publication, created_at__gt=since, created_at__lte=now)
        .filter(Q(status=CommentStatus.PUBLISHED) | Q(status=CommentStatus.REVIEW))
        .select_related("post", "subscriber")
        .order_by("created_at", "id")
    )
    comments = list(new[: DIGEST_LIMIT + 1])
    recipients = digest_recipients(publication)
    if comments and recipients:
        waiting = sum(1 for c in comments if c.status == CommentStatus.REVIEW)
        context = {
            "comments": comments[:DIGEST_LIMIT],
            "more": max(0, new.count() - DIGEST_LIMIT) if len(comments) > DIGEST_LIMIT else 0,
            "waiting": waiting,
            "moderation_url": absolute_url(
                publication, "engagement:moderation", slug=publication.slug
            ),
            "count": new.count(),
        }
        for comment in context["comments"]:
            comment.url = post_url(comment) + f"#comment-{comment.pk}"
        for address in recipients:
            emails.send("comment-digest", address, context, publication)
    # A queryset update: moving this mark must not empty the publication's page cache.
    EngagementSettings.objects.filter(pk=row.pk).update(digest_sent_until=now)
    return len(comments)


@task()
def notify_reply(comment_id: int) -> bool:
    """Tell a commenter who opted in that someone replied to them."""
    reply = (
        Comment.objects.select_related("parent__subscriber", "post", "publication", "subscriber")
        .filter(pk=comment_id, status=CommentStatus.PUBLISHED)
        .first()
    )
    if reply is None or reply.parent is None:
        return False
    parent = reply.parent
    if not parent.notify_replies or parent.subscriber_id == reply.subscriber_id:
        return False
    reader = parent.subscriber
    if reader.status in ("unsubscribed", "bounced", "complained"):
        return False
    publication = reply.publication
    context = {
        "reply": reply,
        "parent": parent,
        "post": reply.post,
        "author_name": display_name(reply.subscriber),
        "url": post_url(reply) + f"#comment-{reply.pk}",
        "replies_off_url": absolute_url(
            publication, "engagement:replies_off", token=replies_off_token(parent)
        ),
    }
    emails.send("comment-reply", reader.email, context, publication)
    return True

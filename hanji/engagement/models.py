"""Comments, likes, view counts and recommendations of a publication's posts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber


class WhoMayComment(models.TextChoices):
    NOBODY = "nobody", _("Nobody")
    SUBSCRIBERS = "subscribers", _("Confirmed subscribers")
    MEMBERS = "members", _("Paid members")


class DigestFrequency(models.TextChoices):
    OFF = "off", _("Never")
    HOURLY = "hourly", _("Every hour")
    DAILY = "daily", _("Once a day")


class EngagementSettings(models.Model):
    """A publication's switches for comments, likes and views (defaults when no row exists)."""

    invalidates_pages = True

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="engagement_settings"
    )
    who_may_comment = models.CharField(
        _("who may comment"),
        max_length=12,
        choices=WhoMayComment.choices,
        default=WhoMayComment.SUBSCRIBERS,
    )
    anonymous_likes = models.BooleanField(
        _("readers who are not signed in may like (once per browser)"), default=True
    )
    count_views = models.BooleanField(_("count views"), default=True)
    edit_window_minutes = models.PositiveSmallIntegerField(
        _("readers may edit or delete their comment for (minutes)"), default=15
    )
    review_links_over = models.PositiveSmallIntegerField(
        _("comments with more links than this wait for review"), default=3
    )
    blocked_words = models.TextField(
        _("words that send a comment to review"), blank=True, help_text=_("One per line.")
    )
    comment_digest = models.CharField(
        _("digest of new comments"),
        max_length=8,
        choices=DigestFrequency.choices,
        default=DigestFrequency.DAILY,
    )
    digest_sent_until = models.DateTimeField(null=True, blank=True, editable=False)
    kakao_javascript_key = models.CharField(
        _("Kakao JavaScript key"),
        max_length=64,
        blank=True,
        help_text=_(
            "Optional. With the JavaScript key of a Kakao app registered for this site's "
            "domain, the KakaoTalk button opens Kakao's share picker; without it, the phone's "
            "share sheet or a copied link."
        ),
    )

    class Meta:
        verbose_name = _("engagement settings")
        verbose_name_plural = _("engagement settings")

    def __str__(self) -> str:
        return str(self.publication)

    @property
    def blocked_word_list(self) -> list[str]:
        return [w.strip().casefold() for w in self.blocked_words.splitlines() if w.strip()]


class PostOptions(models.Model):
    """Per-post switches (kept here so the posts app stays unaware of engagement)."""

    invalidates_pages = True

    post = models.OneToOneField(
        Post, on_delete=models.CASCADE, primary_key=True, related_name="engagement_options"
    )
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    comments_closed = models.BooleanField(_("comments closed"), default=False)

    class Meta:
        verbose_name = _("post options")
        verbose_name_plural = _("post options")

    def __str__(self) -> str:
        return str(self.post)


class CommentStatus(models.TextChoices):
    PUBLISHED = "published", _("Published")
    REVIEW = "review", _("Awaiting review")
    HIDDEN = "hidden", _("Hidden")
    DELETED = "deleted", _("Deleted")


class Comment(models.Model):
    """A reader's comment on a post: plain text (stored normalized) and its HTML, made once."""

    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    # A reader who erases their data takes their comments with them.
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="comments", verbose_name=_("reader")
    )
    # One level of replies: a reply's parent is always a top-level comment.
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(_("text"))
    body_html = models.TextField(editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=CommentStatus.choices, default=CommentStatus.PUBLISHED
    )
    review_reason = models.CharField(_("why it waits for review"), max_length=200, blank=True)
    pinned = models.BooleanField(_("pinned"), default=False)
    notify_replies = models.BooleanField(_("email me replies"), default=False)
    created_at = models.DateTimeField(_("written"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited"), null=True, blank=True)
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["post", "status", "created_at"], name="comment_thread"),
            models.Index(fields=["publication", "status", "created_at"], name="comment_queue"),
        ]
        verbose_name = _("comment")
        verbose_name_plural = _("comments")

    def __str__(self) -> str:
        return self.body[:60]

    @property
    def is_visible(self) -> bool:
        return self.status == CommentStatus.PUBLISHED


class CommentBan(models.Model):
    """A reader the publication no longer lets comment."""

    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="+", verbose_name=_("reader")
    )
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "subscriber"], name="comment_ban_unique")
        ]
        verbose_name = _("banned commenter")
        verbose_name_plural = _("banned commenters")

    def __str__(self) -> str:
        return f"{self.subscriber_id} @ {self.publication_id}"


class PostLike(models.Model):
    """One like of a post by one reader (signed in) or one browser (a cookie)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    visitor = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "subscriber"],
                condition=Q(subscriber__isnull=False),
                name="like_once_per_reader",
            ),
            models.UniqueConstraint(
                fields=["post", "visitor"], condition=~Q(visitor=""), name="like_once_per_browser"
            ),
            models.CheckConstraint(
                condition=Q(subscriber__isnull=False) ^ ~Q(visitor=""), name="like_has_one_liker"
            ),
        ]
        verbose_name = _("like")
        verbose_name_plural = _("likes")

    def __str__(self) -> str:
        return f"♥ {self.post_id}"


class ViewBatch(models.Model):
    """A batch of view records already folded into Post.view_count (so none is applied twice)."""

    id = models.CharField(primary_key=True, max_length=40)
    records = models.PositiveIntegerField(default=0)
    counted = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("view batch")
        verbose_name_plural = _("view batches")

    def __str__(self) -> str:
        return self.id


class RecentView(models.Model):
    """The last counted view of a post by a visitor, kept 30 minutes, so repeats don't count."""

    post_id = models.BigIntegerField()
    visitor = models.CharField(max_length=32)
    counted_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post_id", "visitor"], name="recent_view_unique")
        ]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.post_id}"


class Recommendation(models.Model):
    """A publication recommends another: one on this instance, or any web address."""

    invalidates_pages = True

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="recommendations"
    )
    recommended = models.ForeignKey(
        Publication,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="recommended_by",
        verbose_name=_("publication on this Hanji"),
    )
    url = models.URLField(_("address"), blank=True, max_length=500)
    name = models.CharField(_("name"), max_length=200, blank=True)
    description = models.CharField(_("why you recommend it"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(recommended__isnull=False) | ~Q(url=""),
                name="recommendation_has_target",
            ),
            models.UniqueConstraint(
                fields=["publication", "recommended"],
                condition=Q(recommended__isnull=False),
                name="recommendation_unique",
            ),
        ]
        verbose_name = _("recommendation")
        verbose_name_plural = _("recommendations")

    def __str__(self) -> str:
        return self.name or (self.recommended.name if self.recommended else self.url)

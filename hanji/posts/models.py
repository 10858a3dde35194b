from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from hanji.publications.models import Author, Publication


class Category(models.Model):
    invalidates_pages = True

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="categories"
    )
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="category_slug_unique")
        ]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class Tag(models.Model):
    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="tag_slug_unique")
        ]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    SUBSCRIBERS = "subscribers", _("Subscribers only")
    PAID = "paid", _("Paid members only")


class PostQuerySet(models.QuerySet):
    def published(self):
        # A scheduled post whose time has come counts as published even before the worker
        # flips its status, so a late worker never delays it.
        return self.filter(
            status__in=(Status.PUBLISHED, Status.SCHEDULED), published_at__lte=timezone.now()
        )

    def public(self):
        return self.published().filter(visibility=Visibility.PUBLIC)


class Post(models.Model):
    invalidates_pages = True

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("title"), max_length=300)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    slug = models.SlugField(_("slug"), max_length=200, allow_unicode=True)
    # The one canonical body: sanitized HTML in the schema of hanji.posts.body.
    body = models.TextField(_("body"), blank=True)
    excerpt = models.CharField(_("excerpt"), max_length=500, blank=True)
    cover_image = models.ImageField(_("cover image"), upload_to="covers/%Y/%m/", blank=True)
    cover_alt = models.CharField(_("cover image description"), max_length=300, blank=True)
    cover_caption = models.CharField(_("cover image caption"), max_length=300, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="posts",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="posts", verbose_name=_("tags"))
    authors = models.ManyToManyField(
        Author, blank=True, related_name="posts", verbose_name=_("authors")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    published_at = models.DateTimeField(_("publish time"), null=True, blank=True, db_index=True)
    visibility = models.CharField(
        _("visibility"), max_length=12, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    seo_title = models.CharField(_("SEO title"), max_length=300, blank=True)
    seo_description = models.CharField(_("SEO description"), max_length=500, blank=True)
    view_count = models.PositiveBigIntegerField(_("views"), default=0)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="post_slug_unique")
        ]
        indexes = [
            models.Index(fields=["publication", "status", "-published_at"], name="post_listing")
        ]
        verbose_name = _("post")
        verbose_name_plural = _("posts")

    def __str__(self) -> str:
        return self.title

    @property
    def is_public(self) -> bool:
        return self.visibility == Visibility.PUBLIC


class RevisionKind(models.TextChoices):
    AUTOSAVE = "autosave", _("Autosaved")
    SAVE = "save", _("Saved")
    PUBLISH = "publish", _("Published")
    RESTORE = "restore", _("Restored")


class PostRevision(models.Model):
    """A saved state of a post's title and body (see hanji.posts.revisions)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(_("title"), max_length=300)
    subtitle = models.CharField(_("subtitle"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    kind = models.CharField(max_length=10, choices=RevisionKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["post", "-created_at"], name="post_revision_time")]
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")

    def __str__(self) -> str:
        return f"{self.post_id} {self.kind} {self.created_at:%Y-%m-%d %H:%M}"

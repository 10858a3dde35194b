from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hanji.publications.models import Publication


class Newsletter(models.Model):
    """One mailing stream of a publication (a weekly letter, a daily digest)."""

    invalidates_pages = True  # the subscribe box on every page lists them

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="newsletters"
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=100, allow_unicode=True)
    description = models.CharField(_("description"), max_length=500, blank=True)
    sender_name = models.CharField(_("sender name"), max_length=100, blank=True)
    sender_email = models.EmailField(_("sender address"), blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)
    subscribe_by_default = models.BooleanField(_("new subscribers get it"), default=True)
    welcome_message = models.TextField(
        _("welcome message"),
        blank=True,
        help_text=_("Sent once a new subscriber confirms; leave empty to send no welcome email."),
    )
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["publication", "slug"], name="newsletter_slug_unique")
        ]
        verbose_name = _("newsletter")
        verbose_name_plural = _("newsletters")

    def __str__(self) -> str:
        return self.name


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACTIVE = "active", _("Active")
    UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
    BOUNCED = "bounced", _("Bounced")
    COMPLAINED = "complained", _("Complained")


SUPPRESSED_STATUSES = (
    SubscriberStatus.UNSUBSCRIBED,
    SubscriberStatus.BOUNCED,
    SubscriberStatus.COMPLAINED,
)


class Source(models.TextChoices):
    FORM = "form", _("Form")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    ADMIN = "admin", _("Admin")


class Subscriber(models.Model):
    """An email address that asked for a publication's newsletters, with a status."""

    # No separate index: the unique (publication, email) constraint leads with it, and every
    # index less makes an import of a million rows faster. No database-level constraint
    # either: PostgreSQL checks it with a trigger per inserted row, all against the same
    # publication row (a quarter of an import's time); Django still cascades deletes.
    publication = models.ForeignKey(
        Publication,
        on_delete=models.CASCADE,
        related_name="subscribers",
        db_index=False,
        db_constraint=False,
    )
    email = models.CharField(_("email"), max_length=320)
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(
        _("status"),
        max_length=12,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.PENDING,
    )
    source = models.CharField(
        _("source"), max_length=8, choices=Source.choices, default=Source.FORM
    )
    # A JSON list of strings. On PostgreSQL a GIN index (migration 0008, outside Meta because
    # SQLite has none) answers "has any of these tags" (queries.HasAnyTag).
    tags = models.JSONField(_("tags"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"))
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    advertising_consent_at = models.DateTimeField(_("advertising consent"), null=True, blank=True)
    night_consent_at = models.DateTimeField(
        _("night-time advertising consent"), null=True, blank=True
    )
    # When the two-yearly advertising-consent notice (Korean law) was last sent.
    advertising_reminded_at = models.DateTimeField(
        _("advertising consent reminded"), null=True, blank=True
    )
    # Part of every single-use token (confirm, sign-in, email change); bumped when one is
    # used, so every link issued before stops working.
    token_version = models.PositiveIntegerField(default=0)
    # The import that added this subscriber. Its consent statement, operator, file and time
    # are this subscriber's consent record, kept once per import rather than copied a
    # million times (docs/decisions.md). Import rows are never deleted, so no constraint.
    import_run = models.ForeignKey(
        "Import",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
        editable=False,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "email"], name="subscriber_email_unique")
        ]
        indexes = [
            # Recipients and segments filter by status, then signup date, within a
            # publication; this one index serves (publication), (publication, status) and all
            # three. Fewer indexes keep a million-row import fast.
            models.Index(fields=["publication", "status", "created_at"], name="subscriber_signup"),
            models.Index(
                fields=["advertising_consent_at"],
                name="subscriber_ad_consent",
                condition=models.Q(advertising_consent_at__isnull=False),
            ),
        ]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email


class SubscriberCount(models.Model):
    """How many of a publication's subscribers have one status: kept exact by the subscriber
    actions inside their own transactions (`hanji.subscribers.counts`), so the studio never
    counts a million rows to show its figures. No rows for a publication means "not counted
    yet": the first read counts once."""

    # The unique (publication, status) constraint serves as its index.
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    status = models.CharField(max_length=12, choices=SubscriberStatus.choices)
    n = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "status"], name="subscriber_count_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.status}: {self.n}"


class Subscription(models.Model):
    """A subscriber receives a newsletter (a row exists only while they do)."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    # No separate index: the unique (newsletter, subscriber) constraint serves it. No
    # database-level constraint, as for Subscriber.publication (Django cascades deletes).
    newsletter = models.ForeignKey(
        Newsletter,
        on_delete=models.CASCADE,
        related_name="subscriptions",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="subscription_unique")
        ]
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")

    def __str__(self) -> str:
        return f"{self.subscriber_id} → {self.newsletter_id}"


class ConsentEvent(models.Model):
    """The consent log: appended to, never rewritten."""

    # Indexed together with created_at below (the log is read per publication, by time).
    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    subscriber = models.ForeignKey(
        Subscriber, null=True, on_delete=models.SET_NULL, related_name="consent_events"
    )
    email = models.CharField(max_length=320)
    action = models.CharField(
        max_length=40
    )  # subscribe, confirm, unsubscribe, advertising, reminder …
    statement = models.TextField(blank=True)  # what was agreed to, in the words shown
    channel = models.CharField(max_length=200, blank=True)  # the form, file or API call
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["publication", "created_at"], name="consent_log_time")]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent log")

    def __str__(self) -> str:
        return f"{self.action} {self.email} {self.created_at:%Y-%m-%d}"


class NewsletterOptOut(models.Model):
    """A subscriber left one newsletter: an import never puts them back on it; only they can,
    by choosing it again."""

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="opt_outs")
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="opt_out_unique")
        ]

    def __str__(self) -> str:
        return f"{self.subscriber_id} ✕ {self.newsletter_id}"


class ErasedAddress(models.Model):
    """A reader deleted their data. Only a keyed hash of the address stays, so an import cannot
    bring them back; subscribing again themselves removes it."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "digest"], name="erased_unique")
        ]

    def __str__(self) -> str:
        return self.digest[:12]


class Segment(models.Model):
    """A saved filter over a publication's subscribers (see queries.segment_queryset)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=200)
    # Empty means any status; a send always narrows to active subscribers anyway.
    statuses = models.JSONField(_("statuses"), default=list, blank=True)
    newsletter = models.ForeignKey(
        Newsletter,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="segments",
        verbose_name=_("newsletter"),
    )
    # Subscribers with any of these tags; empty means no tag filter.
    tags = models.JSONField(_("tags"), default=list, blank=True)
    # Whole days in the publication's time zone, both included (queries.signup_bounds): a
    # reader who signed up at 23:30 in Seoul on the 1st signed up on the 1st, though it was
    # 14:30 UTC. Dates, not instants, so changing the time zone keeps the meaning.
    signed_up_from = models.DateField(_("signed up from"), null=True, blank=True)
    signed_up_until = models.DateField(_("signed up until"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=Source.choices, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Import(models.Model):
    """One CSV import: its options, and progress figures the studio reads while it runs."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="imports")
    path = models.CharField(_("file"), max_length=1000)
    filename = models.CharField(_("file name"), max_length=255)
    status = models.CharField(
        _("status of imported subscribers"),
        max_length=12,
        choices=SubscriberStatus.choices,
        default=SubscriberStatus.ACTIVE,
    )
    newsletter_ids = models.JSONField(default=list, blank=True)
    tags = models.JSONField(default=list, blank=True)
    consent = models.TextField(_("consent statement"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=ImportState.choices, default=ImportState.QUEUED)
    encoding = models.CharField(max_length=40, blank=True)
    total_bytes = models.BigIntegerField(default=0)
    processed_bytes = models.BigIntegerField(default=0)
    total_rows = models.PositiveIntegerField(default=0)  # estimated from line count
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    merged_count = models.PositiveIntegerField(default=0)
    unchanged_count = models.PositiveIntegerField(default=0)
    suppressed_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    # Rows merged into an earlier row of the same address in the file (no subscriber of their own).
    duplicate_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        if self.state == ImportState.DONE:
            return 100
        if not self.total_bytes:
            return 0
        return min(99, int(100 * self.processed_bytes / self.total_bytes))


class ImportRejection(models.Model):
    """One line of an import file that was not imported, and why."""

    import_run = models.ForeignKey(Import, on_delete=models.CASCADE, related_name="rejections")
    line = models.PositiveIntegerField()
    reason = models.CharField(max_length=300)
    excerpt = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["line", "id"]

    def __str__(self) -> str:
        return f"{self.line}: {self.reason}"

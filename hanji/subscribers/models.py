from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanji.publications.models import Publication


class Newsletter(models.Model):
    """One mailing stream of a publication (a weekly letter, a daily digest)."""

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

    publication = models.ForeignKey(
        Publication, on_delete=models.CASCADE, related_name="subscribers"
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
    tags = models.JSONField(_("tags"), default=list, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    unsubscribed_at = models.DateTimeField(_("unsubscribed"), null=True, blank=True)
    advertising_consent_at = models.DateTimeField(_("advertising consent"), null=True, blank=True)
    night_consent_at = models.DateTimeField(
        _("night-time advertising consent"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["publication", "email"], name="subscriber_email_unique")
        ]
        indexes = [models.Index(fields=["publication", "status"], name="subscriber_status")]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")

    def __str__(self) -> str:
        return self.email


class Subscription(models.Model):
    """A subscriber receives a newsletter (a row exists only while they do)."""

    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="subscriptions"
    )
    newsletter = models.ForeignKey(
        Newsletter, on_delete=models.CASCADE, related_name="subscriptions"
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

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
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
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("consent record")
        verbose_name_plural = _("consent log")

    def __str__(self) -> str:
        return f"{self.action} {self.email} {self.created_at:%Y-%m-%d}"

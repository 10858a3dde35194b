"""Send, Delivery and the events that follow them.

A Send is one post going to one newsletter (and segment) once. Before its first message
leaves, it has one Delivery row per recipient; a Delivery is the unit of exactly-once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Newsletter, Segment, Subscriber


class SendingSettings(models.Model):
    """A publication's sending choices (kept here so the publications app stays small)."""

    publication = models.OneToOneField(
        Publication, on_delete=models.CASCADE, related_name="sending_settings"
    )
    track_opens = models.BooleanField(_("count opens"), default=True)
    track_clicks = models.BooleanField(_("count clicks"), default=True)
    # Off by default: the separate night-time consent of 정보통신망법 제50조③ does not apply to
    # email (시행령 제61조② names email as the exempt medium). Rows saved before this default
    # changed keep what they hold (docs/decisions.md, "The night hold is off by default").
    night_hold = models.BooleanField(
        _("hold advertising between 21:00 and 08:00"),
        default=False,
        help_text=_(
            "Optional. Advertising email needs no separate consent for the night (the "
            "night-time rule of the Network Act, article 50(3), exempts email under its "
            "Enforcement Decree, article 61(2)); turn this on if you still want advertising "
            "to wait until 08:00 Seoul time for readers who did not agree to night-time mail."
        ),
    )
    # An EMAIL_URL of this publication's own (smtp://…, postmark://…); empty: the instance's.
    transport_url = models.CharField(_("transport URL"), max_length=500, blank=True)
    dkim_domain = models.CharField(_("DKIM domain"), max_length=253, blank=True)
    dkim_selector = models.CharField(_("DKIM selector"), max_length=63, default="hanji")
    dkim_key_path = models.CharField(_("DKIM private key file"), max_length=500, blank=True)
    unsubscribe_mailto = models.EmailField(_("unsubscribe mailbox"), blank=True)
    # Set when a new sending domain starts: daily volume then follows the warm-up ramp.
    warmup_started_at = models.DateTimeField(_("warm-up started"), null=True, blank=True)
    # Set when complaints pass the limit: every send of the publication stops until cleared.
    paused_at = models.DateTimeField(_("sending paused"), null=True, blank=True)
    paused_reason = models.TextField(_("why sending is paused"), blank=True)

    class Meta:
        verbose_name = _("sending settings")
        verbose_name_plural = _("sending settings")

    def __str__(self) -> str:
        return str(self.publication)


def sending_settings(publication_id: int) -> SendingSettings:
    """A publication's sending settings: the row is made with the publication (see apps.py
    and migration 0003), so reading never writes."""
    return SendingSettings.objects.get(publication_id=publication_id)


class SendState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SCHEDULED = "scheduled", _("Scheduled")
    PREPARING = "preparing", _("Preparing")
    SENDING = "sending", _("Sending")
    PAUSED = "paused", _("Paused")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


ACTIVE_STATES = (SendState.SCHEDULED, SendState.PREPARING, SendState.SENDING, SendState.PAUSED)
FINAL_STATES = (SendState.SENT, SendState.CANCELLED, SendState.FAILED)


class SendKind(models.TextChoices):
    FIRST = "first", _("First send")
    AGAIN = "again", _("Again, to those who did not get it")


class Send(models.Model):
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="sends")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="sends")
    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="sends")
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.SET_NULL, related_name="sends"
    )
    kind = models.CharField(max_length=5, choices=SendKind.choices, default=SendKind.FIRST)
    subject = models.CharField(_("subject"), max_length=300)
    preheader = models.CharField(_("preheader"), max_length=300, blank=True)
    from_name = models.CharField(_("sender name"), max_length=100, blank=True)
    from_email = models.EmailField(_("sender address"), blank=True)
    reply_to = models.EmailField(_("reply-to"), blank=True)
    is_advertising = models.BooleanField(_("advertising"), default=False)
    state = models.CharField(
        _("state"), max_length=10, choices=SendState.choices, default=SendState.SCHEDULED
    )
    state_reason = models.TextField(_("why"), blank=True)
    scheduled_at = models.DateTimeField(_("send at"), db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    first_sent_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    total = models.PositiveIntegerField(_("recipients"), default=0)
    # Final counts, written when the send ends (live counts come from the deliveries).
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    # The message compiled once for the whole send (see hanji.sending.compose), so every
    # worker sends the same bytes even if the post is edited meanwhile.
    compiled = models.JSONField(null=True, blank=True, editable=False)
    message_bytes = models.PositiveIntegerField(default=0)
    # Coordination of workers (see hanji.sending.pipeline).
    prepare_lease_until = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    loops_enqueued_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(null=True, blank=True)
    transport_error = models.CharField(max_length=300, blank=True)
    transport_error_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # A post goes to a newsletter once; sending again is an explicit second kind.
            models.UniqueConstraint(
                fields=["post", "newsletter"],
                condition=models.Q(kind="first"),
                name="send_first_once",
            ),
            # Never two sends of one post to one newsletter at the same time.
            models.UniqueConstraint(
                fields=["post", "newsletter"],
                condition=models.Q(state__in=["scheduled", "preparing", "sending", "paused"]),
                name="send_one_active",
            ),
        ]
        indexes = [models.Index(fields=["state", "scheduled_at"], name="send_due")]
        verbose_name = _("send")
        verbose_name_plural = _("sends")

    def __str__(self) -> str:
        return f"{self.subject} → {self.newsletter}"

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE_STATES


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    CLAIMED = "claimed", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    SKIPPED = "skipped", _("Skipped")


class Delivery(models.Model):
    """One send to one subscriber."""

    # Indexed by the unique (send, subscriber) pair and the claim index, both led by send.
    send = models.ForeignKey(
        Send, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    subscriber = models.ForeignKey(
        Subscriber, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    state = models.CharField(max_length=8, choices=DeliveryState.choices, default="pending")
    paid = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_by = models.CharField(max_length=48, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    provider_message_id = models.CharField(max_length=200, blank=True)
    # The first open by a person (a click proves one too), the first fetch of the pixel by
    # Apple's Mail Privacy Protection proxy, and the first click: the guards that make
    # hanji.analytics' unique figures count each delivery once.
    opened_at = models.DateTimeField(null=True, blank=True)
    machine_opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "subscriber"], name="delivery_unique")
        ]
        indexes = [
            # Claims scan one send's rows of one state in id order (keyset).
            models.Index(fields=["send", "state", "id"], name="delivery_claim"),
            # "What did this subscriber receive", and "did they already get this post".
            models.Index(fields=["subscriber", "state"], name="delivery_subscriber"),
            models.Index(
                fields=["provider_message_id"],
                name="delivery_provider_id",
                condition=~models.Q(provider_message_id=""),
            ),
        ]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")

    def __str__(self) -> str:
        return f"{self.send_id}/{self.subscriber_id} {self.state}"


class EventKind(models.TextChoices):
    OPEN = "open", _("Opened")
    CLICK = "click", _("Clicked")
    BOUNCE = "bounce", _("Bounced")
    SOFT_BOUNCE = "soft_bounce", _("Bounced for now")
    COMPLAINT = "complaint", _("Marked as spam")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribed")
    FAILED = "failed", _("Refused by the server")


class DeliveryEvent(models.Model):
    """Something that happened to a delivered message; one narrow row each, so analytics can
    count by (send, kind) or (publication, kind, day) from indexes alone."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    send = models.ForeignKey(
        Send, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    delivery = models.ForeignKey(
        Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    subscriber = models.ForeignKey(
        Subscriber,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="delivery_events",
        db_index=False,
    )
    kind = models.CharField(max_length=12, choices=EventKind.choices)
    link = models.PositiveSmallIntegerField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    source = models.CharField(max_length=40, blank=True)  # smtp, dsn, webhook:<esp>, tracking
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["send", "kind"], name="event_send_kind"),
            models.Index(fields=["publication", "kind", "created_at"], name="event_publication"),
            models.Index(fields=["subscriber", "kind", "created_at"], name="event_subscriber"),
        ]
        verbose_name = _("delivery event")
        verbose_name_plural = _("delivery events")

    def __str__(self) -> str:
        return f"{self.kind} {self.send_id}/{self.subscriber_id}"


class SendLink(models.Model):
    """A link the post contained; click redirects go only to these."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="links")
    position = models.PositiveSmallIntegerField()
    url = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "position"], name="send_link_unique")
        ]

    def __str__(self) -> str:
        return self.url

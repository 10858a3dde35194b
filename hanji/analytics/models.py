"""Aggregates kept as events are counted, so no page scans raw events (issue 15, analytics).

`PostDay` is one post's web figures for one day (the publication's time zone); `DayVisitor`
is the raw part it needs to count a visitor once a day, kept only a few days
(HANJI_ANALYTICS_RAW_DAYS) and then deleted.

`SendFigures` is one send's email figures and `LinkFigures` one link of it, added to by the
sending events in their own transaction (hanji.analytics.actions.email_event); `LinkClicker`
is what makes a link's unique clicks unique (one row per delivery and link).

`PostSourceDay` and `SourceDay` split a post's and
a publication's views of a day by where they came from (hanji.analytics.sources), with a cap
on distinct names per day. `SignupSource` is where one subscriber came from, and
`SubscriberDay` the subscribers a publication gained and lost per day and source, kept by the
subscribers' actions.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import Send
from hanji.subscribers.models import Subscriber


class PostDay(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)
    signups = models.PositiveIntegerField(default=0)  # free sign-ups made on the post
    paid_signups = models.PositiveIntegerField(default=0)  # memberships started from it

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "day"], name="post_day_unique")]
        # The publication screen reads every post's days of a range.
        indexes = [models.Index(fields=["day", "post"], name="post_day_by_day")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.day}: {self.views}"


class DayVisitor(models.Model):
    """A visitor seen on a post on a day. The primary key is the row itself, day first: one
    b-tree to keep up (a million inserts a day go to its newest end) and the purge of old
    days deletes one contiguous range of it."""

    pk = models.CompositePrimaryKey("day", "post_id", "visitor")
    day = models.DateField()
    post_id = models.BigIntegerField()
    visitor = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.visitor} → {self.post_id} {self.day}"


class Channel(models.TextChoices):
    DIRECT = "direct", _("Direct")
    INTERNAL = "internal", _("Your own pages")
    SEARCH = "search", _("Search engines")
    SOCIAL = "social", _("Social networks")
    EMAIL = "email", _("Email")
    SITE = "site", _("Other websites")
    CAMPAIGN = "utm", _("Campaign (utm_source)")


class SourceViews(models.Model):
    """Views of one day from one referrer host (channel and name) or, with the channel "utm",
    from one utm_source; names past the daily cap are counted as "other"."""

    day = models.DateField()
    channel = models.CharField(max_length=8, choices=Channel.choices)
    name = models.CharField(max_length=64, blank=True)
    views = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.day} {self.channel}:{self.name}: {self.views}"


class PostSourceDay(SourceViews):
    """One post's views by source."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["post", "day", "channel", "name"], name="post_source_day_unique"
            )
        ]


class SourceDay(SourceViews):
    """The same for a whole publication (kept in the same fold, so its screen sums a few
    rows a day instead of every post's)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "day", "channel", "name"], name="source_day_unique"
            )
        ]


class SignupKind(models.TextChoices):
    HOME = "home", _("Home page form")
    POST = "post", _("Post page form")
    EMBED = "embed", _("Embedded form")
    PAGE = "page", _("Subscribe page")
    IMPORT = "import", _("Import")
    API = "api", _("API")
    STUDIO = "studio", _("Added in the studio")
    GIFT = "gift", _("Gift membership")
    OTHER = "other", _("Other")


class SignupSource(models.Model):
    """Where one subscriber came from: the form, the post page, the referrer, the UTM."""

    subscriber = models.OneToOneField(
        Subscriber, on_delete=models.CASCADE, primary_key=True, related_name="signup_source"
    )
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=SignupKind.choices, default=SignupKind.OTHER)
    post = models.ForeignKey(
        Post, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.DIRECT)
    referrer_host = models.CharField(max_length=64, blank=True)
    utm_source = models.CharField(max_length=40, blank=True)
    utm_medium = models.CharField(max_length=40, blank=True)
    utm_campaign = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField()
    # The day it was counted as gained in SubscriberDay (None: not active yet).
    gained_on = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.subscriber_id}: {self.kind}"


class SubscriberDay(models.Model):
    """Subscribers a publication gained (confirmed, imported active) and lost (unsubscribed,
    bounced, complained, deleted) on one day, by the kind of form they came from."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    kind = models.CharField(max_length=8, choices=SignupKind.choices)
    gained = models.PositiveIntegerField(default=0)
    lost = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "day", "kind"], name="subscriber_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.publication_id} {self.day} {self.kind}: +{self.gained} -{self.lost}"


class Rates:
    """Open and click rates of anything with `delivered`, `unique_opens` and `unique_clicks`
    (a send's figures, a post's sum over its sends, a row of the per-send list)."""

    delivered: int
    unique_opens: int
    unique_clicks: int

    @property
    def open_rate(self) -> float | None:
        """Unique opens by people over delivered messages; machine opens are left out."""
        return self.unique_opens / self.delivered if self.delivered else None

    @property
    def click_rate(self) -> float | None:
        return self.unique_clicks / self.delivered if self.delivered else None

    @property
    def open_percent(self) -> float | None:
        return None if self.open_rate is None else self.open_rate * 100

    @property
    def click_percent(self) -> float | None:
        return None if self.click_rate is None else self.click_rate * 100


class SendFigures(Rates, models.Model):
    """One send's email figures. Unique counts are "the first time for that delivery"."""

    send = models.OneToOneField(Send, primary_key=True, on_delete=models.CASCADE, related_name="+")
    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    sent = models.PositiveIntegerField(default=0)  # accepted by the transport
    bounced = models.PositiveIntegerField(default=0)  # hard: refused for good, or bounced later
    bounced_late = models.PositiveIntegerField(default=0)  # of those, once accepted
    unique_opens = models.PositiveIntegerField(default=0)  # by a person (or proven by a click)
    opens = models.PositiveIntegerField(default=0)  # every open by a person, repeats included
    machine_opens = models.PositiveIntegerField(default=0)  # Apple Mail Privacy Protection
    unique_clicks = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    unsubscribes = models.PositiveIntegerField(default=0)
    complaints = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["publication", "send"], name="send_figures_publication")]

    def __str__(self) -> str:
        return f"send {self.send_id}: {self.sent} sent, {self.unique_opens} opened"

    @property
    def delivered(self) -> int:
        return max(self.sent - self.bounced_late, 0)


class LinkFigures(models.Model):
    """The clicks on one link (by its position in the post) of one send."""

    send = models.ForeignKey(Send, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField()
    clicks = models.PositiveIntegerField(default=0)
    unique_clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["send", "position"], name="link_figures_unique")
        ]

    def __str__(self) -> str:
        return f"send {self.send_id} link {self.position}: {self.clicks}"


class LinkClicker(models.Model):
    """A delivery that clicked a link at least once: the guard of LinkFigures.unique_clicks,
    as Delivery.clicked_at is for the send's. Kept as long as the send (one narrow row per
    reader and link, far fewer than deliveries)."""

    delivery_id = models.BigIntegerField()
    position = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["delivery_id", "position"], name="link_clicker_unique")
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} → {self.position}"

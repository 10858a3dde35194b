"""Aggregates kept as events are counted, so no page scans raw events (issue 15, analytics).

`PostDay` is one post's web figures for one day (the publication's time zone); `DayVisitor`
is the raw part it needs to count a visitor once a day, kept only a few days
(HANJI_ANALYTICS_RAW_DAYS) and then deleted.

`SendFigures` is one send's email figures and `LinkFigures` one link of it, added to by the
sending events in their own transaction (hanji.analytics.actions.email_event); `LinkClicker`
is what makes a link's unique clicks unique (one row per delivery and link).
"""

from __future__ import annotations

from django.db import models

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.sending.models import Send


class PostDay(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    views = models.PositiveIntegerField(default=0)
    visitors = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "day"], name="post_day_unique")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.day}: {self.views}"


class DayVisitor(models.Model):
    post_id = models.BigIntegerField()
    day = models.DateField(db_index=True)
    visitor = models.CharField(max_length=32)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post_id", "day", "visitor"], name="day_visitor_unique")
        ]

    def __str__(self) -> str:
        return f"{self.visitor} → {self.post_id} {self.day}"


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

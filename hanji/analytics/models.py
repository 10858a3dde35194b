"""Aggregates kept as events are counted, so no page scans raw events (issue 15, analytics).

`PostDay` is one post's web figures for one day (the publication's time zone); `DayVisitor`
is the raw part it needs to count a visitor once a day, kept only a few days
(HANJI_ANALYTICS_RAW_DAYS) and then deleted.
"""

from __future__ import annotations

from django.db import models

from hanji.posts.models import Post


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

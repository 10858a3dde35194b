from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OutboxMessage(models.Model):
    """An email Hanji would have sent, kept when no EMAIL_URL is configured."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    publication = models.ForeignKey(
        "publications.Publication",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    from_email = models.CharField(max_length=320)
    to = models.TextField(help_text=_("Recipients, one per line"))
    subject = models.CharField(max_length=998)
    message_id = models.CharField(max_length=255, blank=True, db_index=True)
    raw = models.BinaryField(help_text=_("The RFC 5322 message as it would have left"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("outbox message")
        verbose_name_plural = _("outbox")

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"

"""The built-in outbox: an email backend that stores messages instead of sending them."""

from __future__ import annotations

from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class OutboxBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        from hanji.core.models import OutboxMessage

        rows = []
        for message in email_messages:
            mime = message.message()
            publication_id = getattr(message, "publication_id", None)
            rows.append(
                OutboxMessage(
                    publication_id=publication_id,
                    from_email=message.from_email or "",
                    to="\n".join(message.recipients()),
                    subject=str(mime.get("Subject", ""))[:998],
                    message_id=str(mime.get("Message-ID", ""))[:255],
                    raw=mime.as_bytes(policy=mime.policy.clone(linesep="\r\n")),
                )
            )
        OutboxMessage.objects.bulk_create(rows)
        return len(rows)

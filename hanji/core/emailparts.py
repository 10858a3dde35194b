"""An outbox message taken apart for display: headers, plain text, HTML, attachments."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage


@dataclass
class Attachment:
    filename: str
    content_type: str
    size: int


@dataclass
class EmailParts:
    headers: list[tuple[str, str]]
    text: str | None
    html: str | None
    attachments: list[Attachment] = field(default_factory=list)

    def header(self, name: str) -> str:
        return next((value for key, value in self.headers if key.lower() == name.lower()), "")

    @property
    def from_header(self) -> str:
        return self.header("From")

    @property
    def to_header(self) -> str:
        return self.header("To")


def _content(part) -> str | None:
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or wrong charset: show what we can
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", errors="replace")


def split_message(raw: bytes) -> EmailParts:
    message: EmailMessage = email.message_from_bytes(raw, policy=email.policy.default)  # type: ignore[assignment]
    headers = [(name, str(value)) for name, value in message.items()]
    attachments = []
    if message.is_multipart():
        for part in message.iter_attachments():
            payload = part.get_payload(decode=True) or b""
            attachments.append(
                Attachment(part.get_filename() or "", part.get_content_type(), len(payload))
            )
    return EmailParts(
        headers=headers,
        text=_content(message.get_body(preferencelist=("plain",))),
        html=_content(message.get_body(preferencelist=("html",))),
        attachments=attachments,
    )

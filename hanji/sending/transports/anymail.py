"""Email services through django-anymail (Postmark, Mailgun, SendGrid, SES, Resend, Brevo …).

Services whose API merges per-recipient fields into one message for many recipients (Mailgun's
recipient variables, SendGrid's substitutions) get batches: one API call for a chunk of
recipients, the placeholders filled by the service. Others get one API call per message with
the placeholders filled here. Either way each recipient's outcome comes back separately.
"""

from __future__ import annotations

import email.utils
import time
from email.headerregistry import Address

from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from hanji.sending.personalize import delivery_reference
from hanji.sending.transports import (
    DOWN,
    FAILED,
    HALT,
    SENT,
    Connection,
    Outcome,
    OutMessage,
    Transport,
)

# Services that fill merge fields in on-the-fly content: how a field is written for them,
# and what to pass so that the backend expects that syntax.
BATCH_SYNTAX = {
    "mailgun": ("%recipient.{}%", {}),
    "sendgrid": ("-{}-", {"merge_field_format": "-{}-"}),
}
RECIPIENT_FIELDS = ("UNSUB", "PREFS", "TRACK", "NAMEH", "NAMET")
BAD_RECIPIENT = {"invalid", "rejected"}


def _retry_after(response) -> float | None:
    """Seconds to wait, from Retry-After (seconds or a date) or, where a service documents
    only that (SendGrid), from X-RateLimit-Reset (the Unix time the window ends)."""
    headers = getattr(response, "headers", None) or {}
    value = headers.get("Retry-After")
    if value:
        if value.strip().isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, when.timestamp() - time.time())
    reset = str(headers.get("X-RateLimit-Reset") or "").strip()
    if reset.isdigit():
        return max(0.0, int(reset) - time.time())
    return None


class AnymailTransport(Transport):
    name = "anymail"
    chunk = 1

    def __init__(
        self,
        backend: str,
        options: dict,
        esp: str,
        connections: int = 2,
        batch=None,
        guarded: bool = False,
        **limits,
    ):
        self.guarded = guarded  # a publication's own API URL: see hanji.core.guarded_http
        self.backend_path = backend
        self.options = options
        self.esp = esp
        self.connections = connections
        self.batch = (esp in BATCH_SYNTAX) if batch is None else (batch and esp in BATCH_SYNTAX)
        self.chunk = 100 if self.batch else 4
        self.key = f"anymail:{esp}:{sorted(options.items())!r}"[:200]
        self.per_second = limits.get("per_second")
        self.per_hour = limits.get("per_hour")
        self.per_day = limits.get("per_day")

    def open(self, template, signer=None) -> AnymailConnection:
        backend = import_string(self.backend_path)(fail_silently=False, **self.options)
        if self.guarded and hasattr(backend, "create_session"):
            from hanji.core.guarded_http import guard

            make = backend.create_session
            backend.create_session = lambda: guard(make())
        return AnymailConnection(self, backend, template)


class AnymailConnection(Connection):
    def __init__(self, transport: AnymailTransport, backend, template):
        self.transport = transport
        self.backend = backend
        self.template = template
        backend.open()

    def close(self) -> None:
        self.backend.close()

    def _common(self, to: list[str], text: str, html: str) -> EmailMultiAlternatives:
        c = self.template.compiled
        # Unencoded: Django encodes the display name itself.
        sender = str(Address(display_name=c["from_name"], addr_spec=c["from_email"]))
        message = EmailMultiAlternatives(
            c["subject"], text, sender, to, reply_to=[c["reply_to"]] if c.get("reply_to") else None
        )
        message.attach_alternative(html, "text/html")
        message.extra_headers = {
            "List-Id": c["list_id"],
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Feedback-ID": c["feedback_id"],
        }
        return message

    def deliver(self, messages: list[OutMessage]) -> list[Outcome]:
        if self.transport.batch and len(messages) > 1:
            return self._deliver_batch(messages)
        return [self._deliver_one(m) for m in messages]

    def _error(self, error) -> Outcome:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

        if isinstance(error, AnymailRecipientsRefused):
            return Outcome(FAILED, 550, str(error)[:250], suppress=True)
        status = getattr(error, "status_code", None) or 0
        detail = f"{self.transport.esp} {status}: {str(error)[:200]}"
        if isinstance(error, AnymailAPIError):
            if status == 429 or status >= 500 or status == 0:
                return Outcome(DOWN, status, detail, _retry_after(getattr(error, "response", None)))
            if status in (401, 403):
                return Outcome(HALT, status, detail)
            return Outcome(FAILED, status, detail)
        return Outcome(DOWN, 0, detail)

    def _deliver_one(self, m: OutMessage) -> Outcome:
        from anymail.exceptions import AnymailError

        values = {k: v for k, v in m.values.items()}
        text, html = self.template.parts(m.variant, values)
        message = self._common([m.recipient], text, html)
        message.extra_headers["List-Unsubscribe"] = " ".join(values["LUNSUB"].decode().split())
        message.extra_headers["Message-ID"] = m.message_id
        message.metadata = {"hanji_delivery": delivery_reference(m.delivery_id)}
        try:
            self.backend.send_messages([message])
        except AnymailError as error:
            return self._error(error)
        status = message.anymail_status
        recipient = status.recipients.get(m.recipient)
        state = recipient.status if recipient else next(iter(status.status or {"unknown"}))
        if state in BAD_RECIPIENT:
            return Outcome(FAILED, 550, f"{self.transport.esp}: {state}", suppress=True)
        if state == "failed":
            return Outcome(DOWN, 0, f"{self.transport.esp}: failed")
        return Outcome(
            SENT, 250, state, provider_id=(recipient.message_id if recipient else "") or ""
        )

    def _deliver_batch(self, messages: list[OutMessage]) -> list[Outcome]:
        from anymail.exceptions import AnymailError

        syntax, extra = BATCH_SYNTAX[self.transport.esp]
        merged = {field: syntax.format(field).encode() for field in RECIPIENT_FIELDS}
        outcomes: list[Outcome] = []
        by_variant: dict[str, list[OutMessage]] = {}
        for m in messages:
            by_variant.setdefault(m.variant, []).append(m)
        results: dict[int, Outcome] = {}
        for variant, group in by_variant.items():
            text, html = self.template.parts(variant, {**group[0].values, **merged})
            message = self._common([m.recipient for m in group], text, html)
            message.merge_data = {
                m.recipient: {f: m.values[f].decode() for f in RECIPIENT_FIELDS} for m in group
            }
            # Each recipient's own Message-ID (a retried message is the same message) and
            # one-click unsubscribe link.
            message.merge_headers = {
                m.recipient: {
                    "List-Unsubscribe": " ".join(m.values["LUNSUB"].decode().split()),
                    "Message-ID": m.message_id,
                }
                for m in group
            }
            message.merge_metadata = {
                m.recipient: {"hanji_delivery": delivery_reference(m.delivery_id)} for m in group
            }
            if extra:
                message.esp_extra = dict(extra)
            try:
                self.backend.send_messages([message])
            except AnymailError as error:
                outcome = self._error(error)
                results.update({m.delivery_id: outcome for m in group})
                continue
            for m in group:
                recipient = message.anymail_status.recipients.get(m.recipient)
                state = recipient.status if recipient else "unknown"
                if state in BAD_RECIPIENT:
                    results[m.delivery_id] = Outcome(FAILED, 550, state, suppress=True)
                else:
                    provider = (recipient.message_id if recipient else "") or ""
                    results[m.delivery_id] = Outcome(SENT, 250, state, provider_id=str(provider))
        outcomes = [results[m.delivery_id] for m in messages]
        return outcomes

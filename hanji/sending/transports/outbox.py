"""The built-in outbox (no EMAIL_URL): messages are stored, shown in the studio, never sent;
and the console (console://): messages are printed."""

from __future__ import annotations

import sys

from hanji.sending.transports import SENT, Connection, Outcome, OutMessage, Transport


class OutboxTransport(Transport):
    name = "outbox"
    key = "outbox"
    connections = 0  # it writes the database: stay in the loop's own thread and connection
    chunk = 50

    def __init__(self, publication_id: int | None = None):
        self.publication_id = publication_id

    def open(self, template, signer=None) -> OutboxConnection:
        return OutboxConnection(self.publication_id, template, signer)


class OutboxConnection(Connection):
    def __init__(self, publication_id, template, signer=None):
        self.publication_id = publication_id
        self.template = template
        self.signer = signer

    def deliver(self, messages: list[OutMessage]) -> list[Outcome]:
        from hanji.core.models import OutboxMessage

        rows = []
        for m in messages:
            raw = self.template.message(m.variant, m.values)
            if self.signer is not None:
                raw = self.signer.sign(raw)
            rows.append(
                OutboxMessage(
                    publication_id=self.publication_id,
                    from_email=m.envelope_from,
                    to=m.recipient,
                    subject=self.template.subject[:998],
                    message_id=m.message_id[:255],
                    raw=raw,
                )
            )
        OutboxMessage.objects.bulk_create(rows)
        return [Outcome(SENT, 250, "stored in the outbox")] * len(messages)


class ConsoleTransport(Transport):
    name = "console"
    key = "console"
    connections = 0
    chunk = 10

    def open(self, template, signer=None) -> ConsoleConnection:
        return ConsoleConnection(template)


class ConsoleConnection(Connection):
    def __init__(self, template):
        self.template = template

    def deliver(self, messages: list[OutMessage]) -> list[Outcome]:
        for m in messages:
            sys.stdout.write(
                self.template.message(m.variant, m.values).decode() + "\n" + "-" * 79 + "\n"
            )
        return [Outcome(SENT, 250, "printed")] * len(messages)

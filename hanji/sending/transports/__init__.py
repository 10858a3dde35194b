"""How a message leaves (listmonk's second interface).

A transport opens connections; each connection delivers a list of messages and answers one
Outcome per message. The Dispatcher runs one thread per connection (sending is waiting on the
network), fed from a bounded queue so that memory stays flat whatever the list size.

Outcome statuses:
    SENT     accepted by the server or service
    RETRY    refused for now for this recipient (4xx): retried later with backoff
    FAILED   refused for good for this recipient (5xx): not retried; `suppress` says whether
             the address itself is bad
    DOWN     the transport could not take the message (connection lost, refused, 421, 429):
             retried without counting an attempt; `retry_after` when the server said so
    HALT     the transport will not take any message (login refused, sender refused): the
             send pauses with the reason
    HELD     not handed to the transport at all: the message may not leave after
             `leave_before` (the night hold begins) and that moment had come
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connections

from hanji.sending import clock

SENT, RETRY, FAILED, DOWN, HALT, HELD = "sent", "retry", "failed", "down", "halt", "held"


class Outcome(NamedTuple):
    status: str
    code: int = 0
    detail: str = ""
    retry_after: float | None = None
    suppress: bool = False
    provider_id: str = ""


@dataclass(slots=True)
class OutMessage:
    delivery_id: int
    subscriber_id: int
    envelope_from: str
    recipient: str
    variant: str
    values: dict
    message_id: str
    # The message must not leave at or after this moment (the night hold's 21:00 Seoul).
    leave_before: datetime | None = None


class Connection:
    """One reused connection; used by one thread only."""

    def deliver(self, messages: list[OutMessage]) -> list[Outcome]:
        raise NotImplementedError

    def close(self) -> None:
        pass


class Transport:
    """A way out, with its limits. `key` names it for the shared rate limits."""

    key = "transport"
    name = "transport"
    connections = 1  # 0: deliver in the calling thread (transports that write the database)
    chunk = 8  # messages handed to a connection at a time
    per_second: float | None = None
    per_hour: int | None = None
    per_day: int | None = None

    def open(self, template, signer=None) -> Connection:
        raise NotImplementedError


class Dispatcher:
    """Feeds messages to the transport's connections and collects their outcomes."""

    def __init__(self, transport: Transport, template, signer=None, connections_count=None):
        self.transport = transport
        self.template = template
        self.signer = signer
        self.count = transport.connections if connections_count is None else connections_count
        self.capacity = max(1, self.count) * transport.chunk * 2
        self.inbox: queue.Queue = queue.Queue()
        self.outbox: queue.Queue = queue.Queue()
        self.in_flight = 0
        self.threads: list[threading.Thread] = []
        self._inline: Connection | None = None
        for number in range(self.count):
            thread = threading.Thread(target=self._work, name=f"hanji-send-{number}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def _work(self) -> None:
        conn = None
        try:
            while True:
                chunk = self.inbox.get()
                if chunk is None:
                    return
                chunk, done = self._gate(chunk)
                try:
                    if conn is None and chunk:
                        conn = self.transport.open(self.template, self.signer)
                    outcomes = conn.deliver(chunk) if chunk else []
                except Exception as error:  # never lose a chunk: report it as not taken
                    outcomes = [Outcome(DOWN, 0, f"{type(error).__name__}: {error}")] * len(chunk)
                    if conn is not None:
                        conn.close()
                    conn = None
                self.outbox.put(done + list(zip(chunk, outcomes, strict=True)))
        finally:
            if conn is not None:
                conn.close()
            connections.close_all()

    @staticmethod
    def _gate(chunk: list[OutMessage]) -> tuple[list[OutMessage], list]:
        """Split off the messages whose time to leave has passed, checked on the clock at the
        moment the chunk is handed to the connection (a queued chunk can wait there)."""
        if all(m.leave_before is None for m in chunk):
            return chunk, []
        now = clock.now()
        going, held = [], []
        for m in chunk:
            late = m.leave_before is not None and now >= m.leave_before
            (held if late else going).append(m)
        outcome = Outcome(HELD, 0, "held for the night (no night-time consent)")
        return going, [(m, outcome) for m in held]

    @property
    def room(self) -> int:
        return self.capacity - self.in_flight

    def submit(self, messages: list[OutMessage]) -> None:
        if not messages:
            return
        if self.count == 0:
            going, done = self._gate(messages)
            if going and self._inline is None:
                self._inline = self.transport.open(self.template, self.signer)
            outcomes = self._inline.deliver(going) if going else []
            self.outbox.put(done + list(zip(going, outcomes, strict=True)))
            self.in_flight += len(messages)
            return
        size = self.transport.chunk
        for start in range(0, len(messages), size):
            self.inbox.put(messages[start : start + size])
        self.in_flight += len(messages)

    def results(self, timeout: float = 0.0) -> list[tuple[OutMessage, Outcome]]:
        """Outcomes ready now; waits up to `timeout` for the first one when none is."""
        done: list[tuple[OutMessage, Outcome]] = []
        try:
            done.extend(
                self.outbox.get(timeout=timeout) if timeout > 0 else self.outbox.get_nowait()
            )
            while True:
                done.extend(self.outbox.get_nowait())
        except queue.Empty:
            pass
        self.in_flight -= len(done)
        return done

    def close(self) -> list[tuple[OutMessage, Outcome]]:
        """Let in-flight messages finish; return their outcomes."""
        done = []
        while self.in_flight > 0:
            done.extend(self.results(timeout=1.0))
        for _ in self.threads:
            self.inbox.put(None)
        for thread in self.threads:
            thread.join(timeout=60)
        if self._inline is not None:
            self._inline.close()
        return done


def transport_for(options=None) -> Transport:
    """The transport of a publication (its own transport URL) or of the instance (EMAIL_URL)."""
    from django.conf import settings

    from hanji.sending.transports.factory import from_url

    own = getattr(options, "transport_url", "") or ""
    # A publication's own URL was typed by its owner (any visitor, with sign-ups on): its
    # connections are checked like link previews. The operator's EMAIL_URL is trusted.
    return from_url(own or settings.EMAIL_URL, getattr(options, "publication_id", None), bool(own))

"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1, a free port) whose answers the
test chooses: per recipient, for the first N attempts, at RCPT or at DATA; and it can go away
and come back on the same port."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class Handler:
    received: list[Received] = field(default_factory=list)
    # (stage, address, attempt number for that address) -> reply, or None for "accept"
    rule: Callable[[str, str, int], str | None] | None = None
    attempts: dict = field(default_factory=dict)
    on_message: Callable[[Received], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _answer(self, stage: str, address: str) -> str | None:
        if self.rule is None:
            return None
        with self.lock:
            key = (stage, address)
            self.attempts[key] = self.attempts.get(key, 0) + 1
            n = self.attempts[key]
        return self.rule(stage, address, n)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        answer = self._answer("rcpt", address)
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = self._answer("data", envelope.rcpt_tos[0])
        if answer:
            return answer
        item = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        with self.lock:
            self.received.append(item)
        if self.on_message:
            # In a thread: the hook may use the database, which Django keeps out of event loops.
            await asyncio.to_thread(self.on_message, item)
        return "250 2.0.0 Message accepted"


class SMTPServer:
    def __init__(self, port: int | None = None, **options):
        self.port = port or free_port()
        self.handler = Handler()
        self.controller: Controller | None = None
        # tls_context= (STARTTLS), ssl_context= (implicit TLS), authenticator=, auth_require_tls=
        self.options = options

    def start(self) -> SMTPServer:
        self.controller = Controller(
            self.handler,
            hostname="127.0.0.1",
            port=self.port,
            data_size_limit=50_000_000,
            **self.options,
        )
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def recipients(self) -> list[str]:
        return [r for item in self.received for r in item.rcpt_tos]

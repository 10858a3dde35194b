"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1 on a free port."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import threading
import time
from contextlib import contextmanager

from aiosmtpd.controller import Controller


class Inbox:
    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list:
        return [m for _f, rcpts, m in self.messages if address in rcpts]

    def wait_for(self, address: str, count: int = 1, timeout: float = 5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found[count - 1]
            time.sleep(0.02)
        raise AssertionError(f"no message #{count} for {address}; got {len(self.to(address))}")

    def clear(self):
        self.messages.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def body_text(message) -> str:
    part = message.get_body(preferencelist=("plain",))
    return part.get_content()


def body_html(message) -> str:
    part = message.get_body(preferencelist=("html",))
    return part.get_content()


def link(message, path_part: str) -> str:
    """The first link in the plain-text part that contains `path_part`."""
    for url in re.findall(r"https?://\S+", body_text(message)):
        if path_part in url:
            return url
    raise AssertionError(f"no link with {path_part!r} in:\n{body_text(message)}")

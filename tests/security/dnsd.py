"""A tiny authoritative DNS server on 127.0.0.1 for tests: answers TXT (and A) queries from a
dict the test fills, NXDOMAIN for everything else. Built on dnspython's message module."""

from __future__ import annotations

import socket
import threading
from contextlib import contextmanager

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset


class DNSServer:
    def __init__(self) -> None:
        self.txt: dict[str, list[str]] = {}
        self.a: dict[str, list[str]] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        name = question.name.to_text().rstrip(".").lower()
        table = {dns.rdatatype.TXT: self.txt, dns.rdatatype.A: self.a}.get(question.rdtype, {})
        if name not in self.txt and name not in self.a:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        values = table.get(name, [])
        if values:
            texts = [f'"{v}"' for v in values] if question.rdtype == dns.rdatatype.TXT else values
            response.answer.append(
                dns.rrset.from_text_list(question.name, 60, "IN", question.rdtype, texts)
            )
        return response

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, peer = self.sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                reply = self._answer(dns.message.from_wire(data))
            except Exception:  # a malformed query: no answer, as a real server might
                continue
            self.sock.sendto(reply.to_wire(), peer)

    def start(self) -> DNSServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


@contextmanager
def running():
    server = DNSServer().start()
    try:
        yield server
    finally:
        server.stop()

"""`hanji web` keeps answering while idle and slow clients hold connections open.

Every test starts the real server on a free loopback port, occupies it the way browsers and
attackers do (idle keep-alive connections, a request that never sends its whole body or its
headers), then asks for a page on a fresh connection. The bound is generous (it tests a hang,
not speed): before the fix the fresh request waited 30 s behind two idle connections.
"""

from __future__ import annotations

import socket
import subprocess
import threading
import time
from contextlib import ExitStack, contextmanager

import pytest

from tests.cli.conftest import child_env, free_port, start_hanji

ANSWERED_WITHIN = 2.0  # seconds: a hang bound, far above the few ms a page takes
STARTUP_GUARD = 90  # seconds; only stops a hung start
CLIENTS = 12  # more than the server's request threads (2 per process by default)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`hanji web` on SQLite in a data dir of its own, migrated first."""
    data_dir = tmp_path_factory.mktemp("web") / "var"
    env = child_env(HANJI_DATA_DIR=str(data_dir), DEBUG="0")
    for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_VERSION"):
        env.pop(name, None)
    migrate = start_hanji("migrate", env=env)
    assert migrate.wait(timeout=STARTUP_GUARD) == 0, migrate.stdout.read()
    port = free_port()
    process = start_hanji("web", "--port", str(port), env=env)
    try:
        deadline = time.monotonic() + STARTUP_GUARD
        while status_of(port, "/healthz") != 200:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"hanji web never became healthy:\n{process.stdout.read()}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def raw_request(port: int, request: bytes, timeout: float = ANSWERED_WITHIN) -> bytes:
    """Send REQUEST on a fresh connection and return the status line (b'' if none came)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        try:
            return read_status_line(sock)
        except TimeoutError:
            return b""


def read_status_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data.split(b"\r\n", 1)[0]


def status_of(port: int, path: str) -> int:
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    try:
        line = raw_request(port, request.encode(), timeout=5)
    except OSError:
        return 0
    return int(line.split()[1]) if line.startswith(b"HTTP/") else 0


def answered_at_once(port: int, path: str = "/studio/login/") -> tuple[int, float]:
    """(status, seconds) of a GET on a fresh connection, giving up after the bound."""
    started = time.monotonic()
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    line = raw_request(port, request.encode())
    took = time.monotonic() - started
    return (int(line.split()[1]) if line.startswith(b"HTTP/") else 0), took


@contextmanager
def held_connections(port: int, first_bytes: bytes, count: int = CLIENTS):
    """COUNT open connections that each sent FIRST_BYTES and then go quiet."""
    with ExitStack() as stack:
        for _ in range(count):
            sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
            if first_bytes:
                sock.sendall(first_bytes)
        time.sleep(0.3)  # let the server take them in
        yield


def idle_keep_alive(port: int, count: int = CLIENTS):
    """Connections that fetched a page (as a browser's six do) and now sit idle, kept alive."""
    stack = ExitStack()
    request = b"GET /studio/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    for _ in range(count):
        sock = stack.enter_context(socket.create_connection(("127.0.0.1", port), timeout=10))
        sock.sendall(request)
        # Read the whole answer so the connection is idle and reusable, not mid-response.
        drain_response(sock)
    return stack


def drain_response(sock: socket.socket) -> None:
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += sock.recv(65536)


def test_idle_keep_alive_connections_do_not_delay_a_fresh_request(server):
    with idle_keep_alive(server):
        status, took = answered_at_once(server)
    assert status == 200, f"no answer within {ANSWERED_WITHIN} s (waited {took:.2f} s)"


def test_many_idle_connections_and_a_browsers_six_parallel_ones_are_all_served(server):
    with idle_keep_alive(server, count=64):
        results: list[tuple[int, float]] = []
        browsers_six = [
            threading.Thread(target=lambda: results.append(answered_at_once(server)))
            for _ in range(6)
        ]
        for thread in browsers_six:
            thread.start()
        for thread in browsers_six:
            thread.join(ANSWERED_WITHIN * 3)
    assert [status for status, _ in results] == [200] * 6, results


def test_a_request_that_never_finishes_its_headers_holds_nothing(server):
    with held_connections(server, b"GET /studio/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-a: "):
        status, took = answered_at_once(server)
    assert status == 200, f"no answer within {ANSWERED_WITHIN} s (waited {took:.2f} s)"


def test_a_body_that_never_arrives_holds_nothing(server):
    # The header promises a megabyte; seven bytes come, then nothing.
    slow_post = (
        b"POST /studio/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 1000000\r\n\r\nemail=a"
    )
    with held_connections(server, slow_post):
        status, took = answered_at_once(server)
    assert status == 200, f"no answer within {ANSWERED_WITHIN} s (waited {took:.2f} s)"


def test_a_get_announcing_a_body_that_never_arrives_holds_nothing(server):
    slow_get = (
        b"GET /studio/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\n1234567"
    )
    with held_connections(server, slow_get):
        status, took = answered_at_once(server)
    assert status == 200, f"no answer within {ANSWERED_WITHIN} s (waited {took:.2f} s)"

"""The link fetcher keeps one deadline over the whole fetch: a server that trickles its
headers or its body one byte at a time is cut off when the deadline passes."""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager

import pytest
from django.test import override_settings

from hanji.core.fetch import FetchRefused, fetch

# Generous: the old fetcher took as long as the server kept trickling (here up to 60 s).
BOUND = 20.0


@contextmanager
def trickling_server(script: list[bytes], pause: float = 0.2, repeat_last: int = 300):
    """A TCP server on 127.0.0.1 that sends `script` and then the last piece again and again,
    `pause` seconds apart, for every connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(4096)
                for piece in script + [script[-1]] * repeat_last:
                    if stop.is_set():
                        return
                    conn.sendall(piece)
                    time.sleep(pause)
            except OSError:
                return

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


@pytest.fixture(autouse=True)
def _loopback_allowed():
    with override_settings(HANJI_FETCH_ALLOWED_NETWORKS=["127.0.0.1/32"]):
        yield


def _fails_within_the_deadline(url: str) -> float:
    started = time.monotonic()
    with pytest.raises(FetchRefused, match="too long"):
        fetch(url, timeout=1.0)
    return time.monotonic() - started


def test_a_server_that_trickles_header_lines_is_cut_off_at_the_deadline():
    script = [b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n"]
    with trickling_server(script) as url:
        assert _fails_within_the_deadline(url + "/") < BOUND


def test_a_server_that_trickles_its_body_is_cut_off_at_the_deadline():
    script = [b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n", b"x"]
    with trickling_server(script) as url:
        assert _fails_within_the_deadline(url + "/") < BOUND


def test_a_trickled_body_is_refused_even_when_the_page_may_be_truncated():
    script = [b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", b"<"]
    with trickling_server(script) as url:
        started = time.monotonic()
        with pytest.raises(FetchRefused, match="too long"):
            fetch(url + "/", timeout=1.0, truncate=True, max_bytes=10_000)
        assert time.monotonic() - started < BOUND


def test_a_server_that_never_finishes_the_tls_handshake_is_cut_off():
    with trickling_server([b"\x16"], pause=0.5) as url:
        started = time.monotonic()
        with pytest.raises(FetchRefused):
            fetch(url.replace("http://", "https://") + "/", timeout=1.0)
        assert time.monotonic() - started < BOUND


def test_a_prompt_server_is_still_read_whole():
    body = b"<title>ok</title>"
    script = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body)
        + body
    ]
    with trickling_server(script, repeat_last=0) as url:
        page = fetch(url + "/", timeout=10.0)
    assert page.status == 200 and page.body == body


def test_the_editors_card_endpoint_answers_within_its_own_budget(client, owner, publication):
    """The editor calls the fetcher inside a request: the card as a whole has one budget,
    so a slow page cannot hold a web thread for page + picture + redirects."""
    from django.urls import reverse

    client.force_login(owner)
    script = [b"HTTP/1.1 200 OK\r\n", b"X-Slow: 1\r\n"]
    with trickling_server(script) as url:
        started = time.monotonic()
        response = client.post(
            reverse("studio:card", args=[publication.slug]), {"url": url}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert time.monotonic() - started < BOUND
    assert response.status_code == 400
    assert "too long" in response.json()["error"]

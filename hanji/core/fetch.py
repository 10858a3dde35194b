"""The one way Hanji fetches a URL someone else chose (link previews, bookmark images).

A URL typed into the studio could point at the machine itself (127.0.0.1, the database, an
admin port), at the cloud's metadata service (169.254.169.254) or at the private network. So:

1. Only http and https, ports as given, no user:password in the URL.
2. The host name is resolved and every address checked by hanji.core.addresses (the same
   check as every other outbound connection a user chooses).
3. The connection goes to the address that was checked (TLS still verifies the name), so a
   second DNS answer cannot swap in a private address (DNS rebinding).
4. Redirects are followed by hand, at most MAX_REDIRECTS, each new URL checked from step 1.
5. The body is read up to `max_bytes`, and one deadline covers the whole exchange (connect,
   TLS, headers, body, every redirect): a server that sends one byte a second is cut off
   when `timeout` has passed, not when it stops sending (a watchdog closes the socket).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.utils.translation import gettext as _

from hanji.core.addresses import FetchRefused, check_address, resolve

__all__ = ["FetchRefused", "Fetched", "check_address", "fetch", "resolve"]

MAX_REDIRECTS = 4
USER_AGENT = "Hanji link preview (+https://github.com/hanji)"


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes
    truncated: bool


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = self.raw_sock = socket.create_connection(
            (self._address, self.port), self.timeout
        )


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = self.raw_sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


class _Watchdog:
    """Shuts the connection's socket down when the deadline passes, so a read blocked on a
    trickling server returns at once; `expired` then says why it ended."""

    def __init__(self, connection: http.client.HTTPConnection, seconds: float):
        self.connection = connection
        self.expired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._expire)
        self._timer.daemon = True

    def _expire(self) -> None:
        self.expired = True
        # The TCP socket itself: http.client drops `sock` once a response will close, while
        # the response still reads from it.
        sock = getattr(self.connection, "raw_sock", None)
        if sock is not None:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self._timer.cancel()


def _target(url: str) -> tuple[str, str, int, str]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchRefused(_("Only http and https addresses can be fetched."))
    if parts.username or parts.password:
        raise FetchRefused(_("Addresses with a user name or password are not fetched."))
    host = parts.hostname
    if not host:
        raise FetchRefused(_("That is not a web address."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused(_("That is not a web address.")) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.scheme, host, port, path


def fetch(
    url: str,
    *,
    max_bytes: int = 1024 * 1024,
    timeout: float = 5.0,
    accept: str = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    truncate: bool = False,
) -> Fetched:
    """GET `url` under the rules above, all of it within `timeout` seconds. With `truncate`,
    a body longer than `max_bytes` is cut (enough for a page's <head>); without it, refused."""
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _target(url)
        address = resolve(host, port)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(_("The site took too long to answer."))
        kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = kind(host, port, address, timeout=left)
        watchdog = _Watchdog(connection, left)
        try:
            with watchdog:
                fetched = _exchange(connection, url, path, accept, max_bytes, truncate)
        except (OSError, http.client.HTTPException, ValueError) as error:
            if watchdog.expired or isinstance(error, TimeoutError | socket.timeout):
                raise FetchRefused(_("The site took too long to answer.")) from None
            raise FetchRefused(_("The site could not be reached.")) from None
        finally:
            connection.close()
        if watchdog.expired:
            raise FetchRefused(_("The site took too long to answer."))
        if isinstance(fetched, str):  # a redirect
            url = fetched
            continue
        return fetched
    raise FetchRefused(_("The address redirects too many times."))


def _exchange(connection, url: str, path: str, accept: str, max_bytes: int, truncate: bool):
    """One request: the Fetched answer, or the next URL (a str) when it redirects."""
    connection.request(
        "GET",
        path,
        headers={"User-Agent": USER_AGENT, "Accept": accept, "Accept-Encoding": "identity"},
    )
    response = connection.getresponse()
    if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
        return urljoin(url, response.getheader("Location"))
    body, truncated = _read(response, max_bytes, truncate)
    return Fetched(
        url=url,
        status=response.status,
        content_type=(response.getheader("Content-Type") or "").split(";")[0].strip(),
        body=body,
        truncated=truncated,
    )


def _read(response, max_bytes: int, truncate: bool) -> tuple[bytes, bool]:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes and not truncate:
        raise FetchRefused(_("The file is too large."))
    chunks: list[bytes] = []
    size = 0
    while True:
        # read1: what has arrived, not "wait until 64 KB or the end".
        chunk = response.read1(min(65536, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                return b"".join(chunks)[:max_bytes], True
            raise FetchRefused(_("The file is too large."))

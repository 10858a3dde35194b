"""The one way Hanji fetches a URL someone else chose (link previews, bookmark images).

A URL typed into the studio could point at the machine itself (127.0.0.1, the database, an
admin port), at the cloud's metadata service (169.254.169.254) or at the private network. So:

1. Only http and https, ports as given, no user:password in the URL.
2. The host name is resolved here, and every address it resolves to must be public
   (`ipaddress.is_global`); one private answer refuses the whole name.
3. The connection goes to the address that was checked (TLS still verifies the name), so a
   second DNS answer cannot swap in a private address (DNS rebinding).
4. Redirects are followed by hand, at most MAX_REDIRECTS, each new URL checked from step 1.
5. The body is read up to `max_bytes` and the whole exchange must end within `timeout`.

The operator may allow private addresses (HANJI_FETCH_ALLOW_PRIVATE, for an intranet install)
or only some networks (HANJI_FETCH_ALLOWED_NETWORKS, e.g. ["127.0.0.1/32"] for tests).
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_REDIRECTS = 4
USER_AGENT = "Hanji link preview (+https://github.com/hanji)"


class FetchRefused(Exception):
    """The URL was not fetched; the message says why, for the person who gave it."""


@dataclass
class Fetched:
    url: str  # the final URL, after redirects
    status: int
    content_type: str
    body: bytes
    truncated: bool


def _allowed_networks() -> list:
    return [
        ipaddress.ip_network(net, strict=False)
        for net in getattr(settings, "HANJI_FETCH_ALLOWED_NETWORKS", [])
    ]


def check_address(address: str) -> None:
    """Refuse an address that is not on the public internet (unless the operator allows it)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if getattr(settings, "HANJI_FETCH_ALLOW_PRIVATE", False):
        return
    if any(ip in net for net in _allowed_networks()):
        return
    if not ip.is_global or ip.is_multicast:
        raise FetchRefused(
            _("The address %(address)s is private or local; Hanji does not fetch it.")
            % {"address": ip}
        )


def resolve(host: str, port: int) -> str:
    """One checked address for `host` (every address it has must pass)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchRefused(_("The name %(host)s does not resolve.") % {"host": host}) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchRefused(_("The name %(host)s does not resolve.") % {"host": host})
    for address in addresses:
        check_address(address)
    return addresses[0]


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float):
        self._tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self.host)


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
    """GET `url` under the rules above. With `truncate`, a body longer than `max_bytes` is cut
    (enough for a page's <head>); without it, it is refused."""
    deadline = time.monotonic() + timeout
    for _hop in range(MAX_REDIRECTS + 1):
        scheme, host, port, path = _target(url)
        address = resolve(host, port)
        left = deadline - time.monotonic()
        if left <= 0:
            raise FetchRefused(_("The site took too long to answer."))
        kind = _PinnedHTTPS if scheme == "https" else _PinnedHTTP
        connection = kind(host, port, address, timeout=left)
        try:
            connection.request(
                "GET",
                path,
                headers={
                    "User-Agent": USER_AGENT,
                    "Accept": accept,
                    "Accept-Encoding": "identity",
                },
            )
            response = connection.getresponse()
            if response.status in (301, 302, 303, 307, 308) and response.getheader("Location"):
                url = urljoin(url, response.getheader("Location"))
                continue
            body, truncated = _read(response, max_bytes, deadline, truncate)
            return Fetched(
                url=url,
                status=response.status,
                content_type=(response.getheader("Content-Type") or "").split(";")[0].strip(),
                body=body,
                truncated=truncated,
            )
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, TimeoutError | socket.timeout):
                raise FetchRefused(_("The site took too long to answer.")) from None
            raise FetchRefused(_("The site could not be reached.")) from None
        finally:
            connection.close()
    raise FetchRefused(_("The address redirects too many times."))


def _read(response, max_bytes: int, deadline: float, truncate: bool) -> tuple[bytes, bool]:
    length = response.getheader("Content-Length")
    if length and length.isdigit() and int(length) > max_bytes and not truncate:
        raise FetchRefused(_("The file is too large."))
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            raise FetchRefused(_("The site took too long to answer."))
        chunk = response.read(min(65536, max_bytes + 1 - size))
        if not chunk:
            return b"".join(chunks), False
        chunks.append(chunk)
        size += len(chunk)
        if size > max_bytes:
            if truncate:
                return b"".join(chunks)[:max_bytes], True
            raise FetchRefused(_("The file is too large."))

"""Which network addresses Hanji may connect to on someone's say-so, and the one way to connect.

A host chosen by a user (a link to preview, a publication's own SMTP server or email-service
API URL) could point at the machine itself, the cloud's metadata service (169.254.169.254)
or the private network. Every such connection:

1. resolves the name here and checks *every* address it has (`check_address`): one private
   answer refuses the whole name;
2. connects to the address that was checked (`connect`), so a second DNS answer cannot swap
   in a private one (DNS rebinding); TLS still verifies the name.

IPv6 forms that carry an IPv4 address (IPv4-mapped and -compatible, NAT64 64:ff9b::/96,
6to4 2002::/16, Teredo) are unwrapped and the IPv4 address judged too; site-local fec0::/10
and local-use NAT64 64:ff9b:1::/48 are refused outright (Python's `is_global` lets them pass).

The operator may allow every private address (HANJI_ALLOW_PRIVATE_NETWORKS, for an intranet
install; HANJI_FETCH_ALLOW_PRIVATE is the older name) or only some networks
(HANJI_FETCH_ALLOWED_NETWORKS, e.g. ["127.0.0.1/32"] for tests).
"""

from __future__ import annotations

import ipaddress
import socket

from django.conf import settings
from django.utils.translation import gettext as _

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

_REFUSED_V6 = [
    ipaddress.ip_network(n)
    for n in ("fec0::/10", "64:ff9b:1::/48", "2001::/32", "::/128", "::1/128", "100::/64")
]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_COMPATIBLE = ipaddress.ip_network("::/96")
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class FetchRefused(Exception):
    """The connection was not made; the message says why, for the person who chose the host."""


AddressRefused = FetchRefused


def private_allowed() -> bool:
    return bool(
        getattr(settings, "HANJI_ALLOW_PRIVATE_NETWORKS", False)
        or getattr(settings, "HANJI_FETCH_ALLOW_PRIVATE", False)
    )


def _allowed_networks() -> list:
    return [
        ipaddress.ip_network(net, strict=False)
        for net in getattr(settings, "HANJI_FETCH_ALLOWED_NETWORKS", [])
    ]


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (none for a plain IPv6 address)."""
    low32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    found = []
    if ip.ipv4_mapped:
        found.append(ip.ipv4_mapped)
    if ip in _NAT64 or ip in _TRANSLATED or (ip in _COMPATIBLE and int(ip) > 1):
        found.append(low32)
    if ip.sixtofour:
        found.append(ip.sixtofour)
    if ip.teredo:
        found.extend(ip.teredo)
    return found


def _public(ip: IP) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped or ip in _TRANSLATED:
            # Only another spelling of an IPv4 address: that address decides.
            return all(_public(inner) for inner in embedded_ipv4(ip))
        if any(ip in net for net in _REFUSED_V6):
            return False
        if not all(_public(inner) for inner in embedded_ipv4(ip)):
            return False
    return ip.is_global and not ip.is_multicast


def check_address(address: str) -> None:
    """Refuse an address that is not on the public internet (unless the operator allows it)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if private_allowed():
        return
    candidates = [ip] + (embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else [])
    allowed = _allowed_networks()
    if any(c in net for c in candidates for net in allowed if c.version == net.version):
        return
    if not _public(ip):
        shown = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped else ip
        raise FetchRefused(
            _("The address %(address)s is private or local; Hanji does not connect to it.")
            % {"address": shown}
        )


def resolve(host: str, port: int) -> str:
    """One checked address for `host` (every address it has must pass)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise FetchRefused(_("The name %(host)s does not resolve.") % {"host": host}) from None
    addresses = [info[4][0] for info in infos]
    if not addresses:
        raise FetchRefused(_("The name %(host)s does not resolve.") % {"host": host})
    for address in addresses:
        check_address(address)
    return addresses[0]


def check_host(host: str, port: int) -> None:
    """For a form: the host resolves, and only to addresses Hanji may connect to."""
    resolve(host, port)


def connect(host: str, port: int, timeout: float | None, source_address=None) -> socket.socket:
    """A TCP connection to `host` at an address that passed the check (see the module doc)."""
    address = resolve(host, port)
    return socket.create_connection((address, port), timeout, source_address)

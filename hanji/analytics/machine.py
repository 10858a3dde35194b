"""Telling Apple's Mail Privacy Protection (MPP) from a person opening a message.

With MPP on, Apple Mail fetches every remote image of a message, the open pixel included,
through Apple's proxies as soon as the message reaches the device, whether or not anyone reads
it. Those fetches come from Apple's own network (17.0.0.0/8) and carry a bare
`Mozilla/5.0` user agent with none of the details a browser or mail program adds (SocketLabs,
SendGrid and Litmus describe the same signature). Counting them as opens would make every
Apple Mail reader look like a reader; they are counted apart as machine opens.
"""

from __future__ import annotations

import ipaddress
from datetime import datetime

APPLE_NETWORKS = (ipaddress.ip_network("17.0.0.0/8"),)
GENERIC_AGENTS = {"mozilla/5.0", ""}
# A bare agent from elsewhere this soon after the message left is the same prefetch through
# another of Apple's relays (Private Relay egress is not all in 17/8).
PREFETCH_SECONDS = 120


def _apple(ip: str) -> bool:
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return any(address in network for network in APPLE_NETWORKS)


def is_machine_open(user_agent: str, ip: str, sent_at: datetime | None, now: datetime) -> bool:
    """True when this fetch of the open pixel looks like MPP's prefetch, not a person: a
    bare `Mozilla/5.0` (or no) user agent from Apple's network, or a bare `Mozilla/5.0` within
    PREFETCH_SECONDS of the message leaving."""
    agent = (user_agent or "").strip().lower()
    if agent not in GENERIC_AGENTS:
        return False
    if _apple(ip or ""):
        return True
    soon = sent_at is not None and 0 <= (now - sent_at).total_seconds() <= PREFETCH_SECONDS
    return agent == "mozilla/5.0" and soon

"""Custom domains: what counts as a host a publication may claim, and the DNS proof that it
belongs to whoever claims it.

A domain serves a publication only once its owner has published a TXT record
`_hanji-verify.<host>` holding `hanji-verify=<token>` (the token is the domain row's own).
Without that proof anyone could claim a name they do not control, or one the instance itself
answers for (another publication's `<slug>.<base domain>`, `localhost`, an IP address).
"""

from __future__ import annotations

import ipaddress
import re

import idna
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

VERIFY_LABEL = "_hanji-verify"
VERIFY_PREFIX = "hanji-verify="
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
# Names that never reach a public DNS answer (RFC 6761, RFC 6762, the .internal TLD).
_RESERVED_SUFFIXES = ("localhost", "local", "internal", "invalid", "localdomain", "arpa")


def normalise_host(raw: str) -> str:
    """The host in its one stored form: lower-case A-labels (IDNA 2008, UTS 46), no final dot.

    Raises ValidationError with a sentence for the person who typed it."""
    text = (raw or "").strip()
    if not text:
        raise ValidationError(_("Enter a domain name, like news.example.com."))
    if any(ch.isspace() or ch in "<>\"'`/\\@:?#[]%*&;=," for ch in text):
        raise ValidationError(
            _("Enter only the domain name, like news.example.com (no spaces, https:// or paths).")
        )
    text = text.rstrip(".")
    try:
        host = idna.encode(text, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        raise ValidationError(_("%(host)s is not a valid domain name.") % {"host": text}) from None
    labels = host.split(".")
    if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise ValidationError(_("%(host)s is not a valid domain name.") % {"host": text})
    if labels[-1].isdigit() or _is_ip(host):
        raise ValidationError(_("Enter a domain name, not an IP address."))
    if labels[-1] in _RESERVED_SUFFIXES:
        raise ValidationError(_("%(host)s is not a public domain name.") % {"host": host})
    return host


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def clean_host(raw: str, publication) -> str:
    """A host `publication` may claim: valid, not the instance's, and not under the base
    domain unless it is the publication's own `<slug>.<base>`."""
    host = normalise_host(raw)
    base = settings.HANJI_BASE_HOST
    instance_hosts = {h.strip("[]").lower() for h in settings.HANJI_INSTANCE_HOSTS}
    if host in instance_hosts or host == base:
        raise ValidationError(_("%(host)s is this instance's own address.") % {"host": host})
    if host.endswith("." + base) and host != own_subdomain(publication):
        raise ValidationError(
            _("Addresses under %(base)s belong to the instance; yours is %(own)s.")
            % {"base": base, "own": own_subdomain(publication)}
        )
    return host


def own_subdomain(publication) -> str:
    return f"{publication.slug}.{settings.HANJI_BASE_HOST}"


def record_name(host: str) -> str:
    return f"{VERIFY_LABEL}.{host}"


def record_value(token: str) -> str:
    return f"{VERIFY_PREFIX}{token}"


def txt_values(name: str) -> list[str]:
    """The TXT strings published at `name` ([] when there are none or DNS does not answer).

    HANJI_DNS_NAMESERVERS (e.g. "127.0.0.1:5353") points the look-up at given servers;
    otherwise the system's resolver configuration is used."""
    import dns.exception
    import dns.resolver

    servers = [s for s in settings.HANJI_DNS_NAMESERVERS if s]
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [s.rpartition(":")[0] if ":" in s else s for s in servers]
        port = servers[0].rpartition(":")[2] if ":" in servers[0] else "53"
        resolver.port = int(port)
    resolver.lifetime = 4.0
    resolver.timeout = 2.0
    try:
        answer = resolver.resolve(name, "TXT", raise_on_no_answer=False)
    except (dns.exception.DNSException, OSError):
        return []
    values = []
    for record in answer.rrset or []:
        values.append(b"".join(record.strings).decode("utf-8", "replace"))
    return values

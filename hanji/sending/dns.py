"""The DNS records (SPF, DKIM, DMARC) that let mail providers trust a publication's email.

One function for `hanji dns` and the studio's newsletter settings, so both say the same.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

from hanji.sending import conf
from hanji.sending.dkim import public_key_b64
from hanji.sending.models import SendingSettings
from hanji.subscribers.models import Newsletter

# What an email service asks to be included in SPF (their own documentation).
SPF_INCLUDES = {
    "postmark": "spf.mtasv.net",
    "sendgrid": "sendgrid.net",
    "mailgun": "mailgun.org",
    "ses": "amazonses.com",
    "resend": "amazonses.com",
    "brevo": "spf.brevo.com",
    "mailersend": "_spf.mlsend.com",
}


class DNSRecord(NamedTuple):
    name: str  # fully qualified, with the final dot
    kind: str  # TXT, MX
    value: str  # unquoted; a TXT value over 255 characters is split when printed
    why: str


@dataclass
class DNSPlan:
    domain: str
    sender: str
    records: list[DNSRecord] = field(default_factory=list)
    # The email service that signs DKIM itself ("" when Hanji signs or nobody does yet).
    service_signs: str = ""
    dkim_missing: bool = False
    bounce_domain: str = ""


def dns_plan(publication, sending: SendingSettings | None = None) -> DNSPlan:
    """The records to publish for the publication's sending domain (its DKIM domain, else
    the domain of its first newsletter's sender, else of the instance's sender)."""
    if sending is None:
        sending = SendingSettings.objects.filter(publication=publication).first()
    newsletter = Newsletter.objects.filter(publication=publication).exclude(sender_email="").first()
    sender = newsletter.sender_email if newsletter else settings.HANJI_DEFAULT_FROM_EMAIL
    domain = ((sending.dkim_domain if sending else "") or sender.rpartition("@")[2]).lower()
    plan = DNSPlan(domain=domain, sender=sender)
    url = (sending.transport_url if sending else "") or settings.EMAIL_URL
    scheme = urlsplit(url).scheme if url else ""
    mechanisms = ["a", "mx"]
    if scheme in SPF_INCLUDES:
        mechanisms.append(f"include:{SPF_INCLUDES[scheme]}")
    elif scheme.startswith("smtp") and (host := urlsplit(url).hostname):
        mechanisms.append(f"a:{host}")
    plan.records.append(
        DNSRecord(
            f"{domain}.",
            "TXT",
            f"v=spf1 {' '.join(mechanisms)} ~all",
            _(
                "SPF: which servers may send for the domain (merge with an existing SPF "
                "record; a domain has only one)"
            ),
        )
    )
    if sending and sending.dkim_key_path and Path(sending.dkim_key_path).exists():
        key = public_key_b64(Path(sending.dkim_key_path).read_bytes())
        plan.records.append(
            DNSRecord(
                f"{sending.dkim_selector}._domainkey.{domain}.",
                "TXT",
                f"v=DKIM1; k=rsa; p={key}",
                _("DKIM: the public half of the signing key"),
            )
        )
    elif scheme in SPF_INCLUDES:
        plan.service_signs = scheme
    else:
        plan.dkim_missing = True
    report = (sending.unsubscribe_mailto if sending else "") or f"dmarc@{domain}"
    plan.records.append(
        DNSRecord(
            f"_dmarc.{domain}.",
            "TXT",
            f"v=DMARC1; p=none; rua=mailto:{report}; adkim=r; aspf=r",
            _("DMARC: what receivers do with mail that fails SPF and DKIM, and where to report"),
        )
    )
    plan.bounce_domain = conf.get("BOUNCE_DOMAIN")
    return plan

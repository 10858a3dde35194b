"""`hanji dns --publication SLUG`: the SPF, DKIM and DMARC records to publish."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand
from hanji.sending import conf
from hanji.sending.dkim import public_key_b64
from hanji.sending.management.commands.send import _publication
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


def _quoted(value: str) -> str:
    """A TXT value in 255-character strings, as DNS requires."""
    return " ".join(f'"{value[i : i + 255]}"' for i in range(0, len(value), 255))


class Command(HanjiCommand):
    help = gettext_lazy(
        "Print the DNS records (SPF, DKIM, DMARC) that let mail providers trust a publication's email."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--publication", help=_("publication slug"))
        parser.add_argument(
            "--generate-dkim",
            action="store_true",
            help=_("create a DKIM key (2048-bit RSA) under the data directory and use it"),
        )
        parser.add_argument("--selector", default="", help=_("DKIM selector (default: hanji)"))

    def handle(
        self, *, publication: str | None, generate_dkim: bool, selector: str, **options
    ) -> None:
        pub = _publication(publication)
        sending, _created = SendingSettings.objects.get_or_create(publication=pub)
        newsletter = Newsletter.objects.filter(publication=pub).exclude(sender_email="").first()
        sender = newsletter.sender_email if newsletter else settings.HANJI_DEFAULT_FROM_EMAIL
        domain = (sending.dkim_domain or sender.rpartition("@")[2]).lower()
        if selector:
            sending.dkim_selector = selector
        if generate_dkim:
            self._generate(pub.slug, sending)
        url = sending.transport_url or settings.EMAIL_URL
        scheme = urlsplit(url).scheme if url else ""
        mechanisms = ["a", "mx"]
        if scheme in SPF_INCLUDES:
            mechanisms.append(f"include:{SPF_INCLUDES[scheme]}")
        elif scheme.startswith("smtp") and (host := urlsplit(url).hostname):
            mechanisms.append(f"a:{host}")
        self.say(
            _("; DNS records for %(domain)s (sender %(sender)s)")
            % {"domain": domain, "sender": sender}
        )
        self.say(
            _(
                "; SPF: which servers may send for the domain (merge with an existing SPF record; a domain has only one)"
            )
        )
        self.say(f'{domain}.\tTXT\t"v=spf1 {" ".join(mechanisms)} ~all"')
        self.say(_("; DKIM: the public half of the signing key"))
        if sending.dkim_key_path and Path(sending.dkim_key_path).exists():
            key = public_key_b64(Path(sending.dkim_key_path).read_bytes())
            name = f"{sending.dkim_selector}._domainkey.{domain}."
            self.say(f"{name}\tTXT\t{_quoted(f'v=DKIM1; k=rsa; p={key}')}")
        elif scheme in SPF_INCLUDES:
            self.say(
                _("; %(service)s signs for you: copy the DKIM records from its dashboard")
                % {"service": scheme}
            )
        else:
            self.say(_("; no DKIM key yet: run again with --generate-dkim"))
        self.say(
            _("; DMARC: what receivers do with mail that fails SPF and DKIM, and where to report")
        )
        report = sending.unsubscribe_mailto or f"dmarc@{domain}"
        self.say(f'_dmarc.{domain}.\tTXT\t"v=DMARC1; p=none; rua=mailto:{report}; adkim=r; aspf=r"')
        if bounce := conf.get("BOUNCE_DOMAIN"):
            self.say(
                _("; bounces (VERP): mail for %(domain)s must reach `hanji bounces process`")
                % {"domain": bounce}
            )
            self.say(f"{bounce}.\tMX\t10 <{_('your mail server')}>.")

    def _generate(self, slug: str, sending: SendingSettings) -> None:
        folder = Path(settings.DATA_DIR) / "dkim"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{slug}.{sending.dkim_selector or 'hanji'}.pem"
        if not path.exists():
            try:
                from cryptography.hazmat.primitives import serialization
                from cryptography.hazmat.primitives.asymmetric import rsa

                key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
                pem = key.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                )
                path.write_bytes(pem)
            except ImportError:
                if not shutil.which("openssl"):
                    raise CommandError(
                        _("generating a key needs the cryptography package or the openssl command")
                    ) from None
                subprocess.run(
                    ["openssl", "genrsa", "-traditional", "-out", str(path), "2048"],
                    check=True,
                    capture_output=True,
                )
            path.chmod(0o600)
        sending.dkim_key_path = str(path)
        sending.save(update_fields=["dkim_key_path", "dkim_selector"])
        self.say(_("; DKIM key: %(path)s") % {"path": path})

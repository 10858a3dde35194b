"""`hanji dns --publication SLUG`: the SPF, DKIM and DMARC records to publish."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand
from hanji.sending.dns import DNSRecord, dns_plan
from hanji.sending.management.commands.send import publication_by_slug
from hanji.sending.models import SendingSettings, sending_settings


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
        pub = publication_by_slug(publication)
        sending = sending_settings(pub.pk)
        if selector:
            sending.dkim_selector = selector
        if generate_dkim:
            self._generate(pub.slug, sending)
        plan = dns_plan(pub, sending)
        self.say(
            _("; DNS records for %(domain)s (sender %(sender)s)")
            % {"domain": plan.domain, "sender": plan.sender}
        )
        spf, *others = plan.records
        self._record(spf)
        if plan.service_signs or plan.dkim_missing:
            self.say(_("; DKIM: the public half of the signing key"))
            if plan.service_signs:
                self.say(
                    _("; %(service)s signs for you: copy the DKIM records from its dashboard")
                    % {"service": plan.service_signs}
                )
            else:
                self.say(_("; no DKIM key yet: run again with --generate-dkim"))
        for record in others:
            self._record(record)
        if plan.bounce_domain:
            self.say(
                _("; bounces (VERP): mail for %(domain)s must reach `hanji bounces process`")
                % {"domain": plan.bounce_domain}
            )
            self.say(f"{plan.bounce_domain}.\tMX\t10 <{_('your mail server')}>.")

    def _record(self, record: DNSRecord) -> None:
        self.say(f"; {record.why}")
        self.say(f"{record.name}\t{record.kind}\t{_quoted(record.value)}")

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

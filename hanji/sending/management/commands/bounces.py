"""`hanji bounces process`: read bounce reports, complaints and unsubscribe mail.

    hanji bounces process < message.eml           (pipe from the mail server, one message)
    hanji bounces process --mailbox ~/Maildir     (a Maildir or an mbox file)

Recognised messages are acted on (and removed from a mailbox unless --keep); anything not
recognised is left where it was, or, from a pipe, kept under the data directory.
"""

from __future__ import annotations

import hashlib
import mailbox
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand
from hanji.sending.bounces import process


class Command(HanjiCommand):
    help = gettext_lazy(
        "Process bounce reports (DSN), complaints (ARF) and unsubscribe requests sent by mail."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        run = sub.add_parser(
            "process", help=_("Read one message from standard input, files, or a mailbox.")
        )
        run.add_argument("files", nargs="*", help=_("message files (default: standard input)"))
        run.add_argument("--mailbox", help=_("a Maildir directory or an mbox file"))
        run.add_argument(
            "--keep", action="store_true", help=_("leave recognised messages in the mailbox")
        )
        run.add_argument(
            "--envelope-to",
            default="",
            help=_("the address the message was delivered to (VERP), if the server passes it"),
        )

    def handle(
        self,
        *,
        action: str,
        files: list[str],
        mailbox: str | None,
        keep: bool,
        envelope_to: str,
        **options,
    ) -> None:
        counts: dict[str, int] = {}
        if mailbox:
            self._mailbox(Path(mailbox), keep, counts)
        elif files:
            for name in files:
                self._one(Path(name).read_bytes(), envelope_to, counts)
        else:
            self._one(sys.stdin.buffer.read(), envelope_to, counts)
        self.say(
            ", ".join(f"{kind}: {n}" for kind, n in sorted(counts.items())) or _("nothing to do")
        )

    def _one(
        self, raw: bytes, envelope_to: str, counts: dict[str, int], keep_unknown: bool = True
    ) -> bool:
        result = process(raw, envelope_to)
        counts[result.kind] = counts.get(result.kind, 0) + 1
        if not result.recognised and keep_unknown:
            folder = Path(settings.DATA_DIR) / "bounces" / "unrecognised"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{int(time.time())}-{hashlib.sha256(raw).hexdigest()[:12]}.eml"
            (folder / name).write_bytes(raw)
        return result.recognised

    def _mailbox(self, path: Path, keep: bool, counts: dict[str, int]) -> None:
        if path.is_dir():
            box = mailbox.Maildir(path, factory=None, create=False)
        elif path.is_file():
            box = mailbox.mbox(path, create=False)
        else:
            raise CommandError(_("no mailbox at %(path)s") % {"path": path})
        box.lock()
        try:
            for key in list(box.keys()):
                raw = box.get_bytes(key)
                if self._one(raw, "", counts, keep_unknown=False) and not keep:
                    box.remove(key)
            box.flush()
        finally:
            box.unlock()
            box.close()

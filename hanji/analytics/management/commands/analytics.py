"""`hanji analytics rebuild [--send ID ...]`: fill the email figures again from what is kept."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand, HanjiParser


class Command(HanjiCommand):
    help = gettext_lazy(
        "Analytics upkeep. rebuild: count every send's email figures again from its "
        "deliveries and the events still kept (for sends made before the figures were kept)."
    )

    def add_arguments(self, parser) -> None:
        sub = parser.add_subparsers(
            dest="action", metavar="ACTION", required=True, parser_class=HanjiParser
        )
        rebuild = sub.add_parser("rebuild", help=_("Count the sends' email figures again."))
        rebuild.add_argument(
            "--send", type=int, action="append", metavar="ID", help=_("Only this send.")
        )

    def handle(self, *, action: str, **options) -> None:
        from hanji.analytics.actions import rebuild_send_figures

        done = rebuild_send_figures(options.get("send"))
        self.stdout.write(_("Rebuilt the email figures of %(n)s sends.") % {"n": done})

"""`hanji web`: the HTTP server (granian, WSGI) serving hanji.wsgi:application."""

from __future__ import annotations

from django.db import connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import (
    HanjiCommand,
    add_address_arguments,
    ensure_port_free,
    positive_int,
)

# Python runs one thread at a time per process. Two threads overlap database and disk waits;
# more only contend for the interpreter lock: on the 2-core bench machine an uncached post
# page served ~308 requests/s with 2 threads per process and ~254 with 5 (bench/README.md).
DEFAULT_THREADS = 2


class Command(HanjiCommand):
    help = gettext_lazy(
        "Start the web server (granian) for the public pages, the studio and the admin. "
        "Production: put a reverse proxy with HTTPS in front and start workers with hanji worker."
    )
    requires_system_checks = "__all__"

    def add_arguments(self, parser) -> None:
        add_address_arguments(parser)
        parser.add_argument(
            "--workers",
            type=positive_int,
            default=1,
            help=_("Server processes; about one per CPU core (default: %(default)s)."),
        )
        parser.add_argument(
            "--threads",
            type=positive_int,
            default=DEFAULT_THREADS,
            help=_(
                "Request threads per process; each may hold a database connection "
                "(default here: %(default)s)."
            ),
        )
        parser.add_argument("--access-log", action="store_true", help=_("Log every request."))

    def handle(self, *, host: str, port: int, workers: int, threads: int, **options) -> None:
        from granian.constants import Interfaces
        from granian.server import Server

        ensure_port_free(host, port)
        shown = f"[{host}]" if ":" in host else host
        self.say(
            _("Hanji is listening on http://%(host)s:%(port)s/") % {"host": shown, "port": port}
        )
        # Server processes are forked from this one: no connection may be shared with them.
        connections.close_all()
        Server(
            "hanji.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            # Requests beyond the threads wait in granian, not inside Python.
            backpressure=threads,
            log_access=options["access_log"],
            log_level="warning" if options["verbosity"] < 2 else "info",
        ).serve()

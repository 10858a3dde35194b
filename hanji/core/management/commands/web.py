"""`hanji web`: the HTTP server (granian) serving Hanji through its RSGI front (hanji/rsgi.py)."""

from __future__ import annotations

import os
import sys

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
# Open connections per server process, idle or not (each costs a few kilobytes in granian and
# none of the request threads); under the usual limit of 1,024 open files per process.
CONNECTIONS_PER_WORKER = 1000
# A request's headers must arrive within this time, and a kept-alive connection may stay idle
# this long; browsers open a new connection without a sound when one was closed.
HEADER_READ_TIMEOUT_MS = 15_000


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
        ensure_port_free(host, port)
        shown = f"[{host}]" if ":" in host else host
        self.say(
            _("Hanji is listening on http://%(host)s:%(port)s/") % {"host": shown, "port": port}
        )
        sys.stdout.flush()
        sys.stderr.flush()
        connections.close_all()
        # This process has Django loaded only to check the arguments and the port. Replacing it
        # with granian's own small supervisor saves that memory for as long as the server runs
        # (about 70 MB); each server process then loads Hanji itself.
        os.environ["HANJI_WEB_THREADS"] = str(threads)
        os.execv(
            sys.executable,
            [sys.executable, "-m", "granian", *granian_arguments(host, port, workers, options)],
        )


def granian_arguments(host: str, port: int, workers: int, options: dict) -> list[str]:
    """granian serving Hanji's RSGI front (hanji/rsgi.py).

    Idle and slow clients must cost nothing: granian counts every open connection against
    --backpressure, idle keep-alive ones included, so the limit is set far above what browsers
    open (six each) and the request threads live in the front instead (HANJI_WEB_THREADS). A
    client that stops sending headers, or leaves a kept-alive connection idle, is closed after
    HEADER_READ_TIMEOUT_MS; the front times out bodies.
    """
    return [
        "--interface",
        "rsgi",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--backpressure",
        str(CONNECTIONS_PER_WORKER),
        "--http1-header-read-timeout",
        str(HEADER_READ_TIMEOUT_MS),
        "--access-log" if options["access_log"] else "--no-access-log",
        "--log-level",
        "warning" if options["verbosity"] < 2 else "info",
        "hanji.rsgi:application",
    ]

"""`hanji run`: migrate, then the web server and one worker together (one machine)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand, ensure_port_free, port_number

STOP_TIMEOUT = 30.0  # seconds the children get to finish what they are doing


def hanji_command() -> str:
    """How the operator typed the command, for hints (".venv/bin/hanji" under make run)."""
    argv0 = sys.argv[0] if sys.argv else ""
    if os.path.basename(argv0) == "hanji":
        relative = os.path.relpath(argv0)
        return "hanji" if relative.startswith("..") else relative
    return "hanji"


def database_label() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(db["NAME"])
        relative = os.path.relpath(name)
        return f"SQLite {name if relative.startswith('..') else relative}"
    return f"{connection.display_name} {db.get('NAME', '')}@{db.get('HOST') or 'localhost'}"


class Command(HanjiCommand):
    help = gettext_lazy(
        "Run Hanji on this machine: migrate the database, then start the web server and one "
        "worker together. Ctrl-C (or SIGTERM) stops both."
    )
    requires_system_checks = "__all__"

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help=_("Address to listen on (default: %(default)s)."),
        )
        parser.add_argument(
            "--port",
            type=port_number,
            default=8000,
            help=_("Port (default: %(default)s)."),
        )
        parser.add_argument(
            "--demo-if-empty",
            action="store_true",
            help=_(
                "When the database has no publication yet, create the demo publication and an "
                "admin account whose password is shown once (what make run does)."
            ),
        )

    def handle(self, *, host: str, port: int, demo_if_empty: bool, **options) -> None:
        ensure_port_free(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        self.say(_("Database ready: %(db)s") % {"db": database_label()})
        credentials = self._first_run(demo_if_empty)
        connections.close_all()
        if not os.environ.get("HANJI_BASE_URL"):
            # Links in emails and feeds point at the address this run serves.
            os.environ["HANJI_BASE_URL"] = self._base_url(host, port)

        children = {
            "web": self._start("web", "--host", host, "--port", str(port)),
            "worker": self._start("worker"),
        }
        stop = threading.Event()
        forced = threading.Event()

        def on_signal(signum, frame) -> None:
            if stop.is_set():
                forced.set()  # a second Ctrl-C: do not wait for the children
            stop.set()

        signal.signal(signal.SIGINT, on_signal)
        signal.signal(signal.SIGTERM, on_signal)

        if self._wait_until_listening(host, port, children["web"], stop):
            self._welcome(host, port, credentials)
        failed = None
        while not stop.is_set():
            for name, child in children.items():
                if child.poll() is not None:
                    failed = failed or (name, child.returncode)
                    stop.set()
            stop.wait(0.2)
        self.say(_("Stopping the web server and the worker …"))
        self._stop(children.values(), forced)
        if failed:
            name, code = failed
            if name == "web":
                message = _(
                    "the web server stopped unexpectedly (exit code %(code)s), so Hanji stopped"
                )
            else:
                message = _(
                    "the worker stopped unexpectedly (exit code %(code)s), so Hanji stopped"
                )
            raise CommandError(message % {"code": code})
        self.say(_("Stopped."))

    # --- first run ---------------------------------------------------------------------------

    def _first_run(self, demo_if_empty: bool) -> tuple[str, str] | None:
        from hanji.core import accounts
        from hanji.publications.models import Publication

        if not demo_if_empty or Publication.objects.exists():
            return None
        from hanji.core.demo import create_demo

        self.say(_("Empty database: creating the demo publication …"))
        publication = create_demo()
        if accounts.has_admin():
            return None
        password = accounts.generate_password()
        accounts.create_admin(accounts.FIRST_ADMIN_EMAIL, password, publication)
        return accounts.FIRST_ADMIN_EMAIL, password

    def _welcome(self, host: str, port: int, credentials: tuple[str, str] | None) -> None:
        from hanji.core.accounts import has_admin

        base = self._base_url(host, port)
        command = hanji_command()
        lines = [
            _("Hanji is running."),
            _("  Site:    %(url)s/") % {"url": base},
            _("  Studio:  %(url)s/studio/") % {"url": base},
        ]
        if credentials:
            lines += [
                _("  Sign in: %(email)s") % {"email": credentials[0]},
                _("  Password (shown only this once, keep it): %(password)s")
                % {"password": credentials[1]},
            ]
        elif has_admin():
            lines.append(
                _(
                    "  Sign in with your admin account (forgot the password? %(command)s changepassword EMAIL)"
                )
                % {"command": command}
            )
        else:
            lines.append(
                _("  No admin account yet: create one with  %(command)s createadmin")
                % {"command": command}
            )
        if not settings.EMAIL_URL:
            lines.append(_("  Email: no EMAIL_URL, so messages wait in the studio's outbox."))
        lines.append(_("  Stop with Ctrl-C."))
        rule = "─" * 64
        self.say("\n".join([rule, *lines, rule]), self.style.SUCCESS)

    @staticmethod
    def _base_url(host: str, port: int) -> str:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{port}"

    # --- children ----------------------------------------------------------------------------

    def _start(self, *args: str) -> subprocess.Popen:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        # Own process group: a Ctrl-C in the terminal reaches only this process, which then
        # asks each child exactly once to stop (a second signal would force the worker).
        return subprocess.Popen([sys.executable, "-m", "hanji", *args], env=env, process_group=0)

    def _wait_until_listening(self, host, port, web: subprocess.Popen, stop) -> bool:
        address = "127.0.0.1" if host == "0.0.0.0" else ("::1" if host == "::" else host)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not stop.is_set() and web.poll() is None:
            try:
                with socket.create_connection((address, port), timeout=0.5):
                    return True
            except OSError:
                stop.wait(0.1)
        return False

    def _stop(self, children, forced: threading.Event) -> None:
        children = list(children)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for child in children:
            while child.poll() is None and time.monotonic() < deadline and not forced.is_set():
                time.sleep(0.05)
            if child.poll() is None:
                child.kill()
                child.wait()

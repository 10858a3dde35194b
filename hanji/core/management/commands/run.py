"""`hanji run`: migrate, then the web server and one worker together (one machine)."""

from __future__ import annotations

import json
import os
import sys

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand, add_address_arguments, ensure_port_free


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
        add_address_arguments(parser)
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
        if not os.environ.get("HANJI_BASE_URL"):
            # Links in emails and feeds point at the address this run serves.
            os.environ["HANJI_BASE_URL"] = self._base_url(host, port)
        messages = {
            "welcome": self._welcome(host, port, credentials),
            "stopping": _("Stopping the web server and the worker …"),
            "stopped": _("Stopped."),
            "web_died": _("error: %(message)s")
            % {
                "message": _(
                    "the web server stopped unexpectedly (exit code %(code)s), so Hanji stopped"
                )
            },
            "worker_died": _("error: %(message)s")
            % {
                "message": _(
                    "the worker stopped unexpectedly (exit code %(code)s), so Hanji stopped"
                )
            },
        }
        self._become_supervisor(host, port, messages)

    def _become_supervisor(self, host: str, port: int, messages: dict[str, str]) -> None:
        """Replace this process (same pid) with hanji.core.supervisor, which needs no Django."""
        connections.close_all()
        read, write = os.pipe()
        with os.fdopen(write, "w", encoding="utf-8") as pipe:
            json.dump(messages, pipe)  # far below a pipe's buffer, so this never blocks
        os.set_inheritable(read, True)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(
            sys.executable,
            [
                sys.executable, "-m", "hanji.core.supervisor", "--messages-fd", str(read),
                "--host", host, "--port", str(port),
            ],
        )  # fmt: skip

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

    def _welcome(self, host: str, port: int, credentials: tuple[str, str] | None) -> str:
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
        return self.style.SUCCESS("\n".join([rule, *lines, rule]))

    @staticmethod
    def _base_url(host: str, port: int) -> str:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        shown = f"[{shown}]" if ":" in shown else shown
        return f"http://{shown}:{port}"

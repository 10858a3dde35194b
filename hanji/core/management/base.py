"""What every `hanji` command shares: one-line errors, the operator's language, small parsers."""

from __future__ import annotations

import argparse
import os
import socket
import sys

from django.conf import settings
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    handle_default_options,
)
from django.db import DatabaseError, connections
from django.utils import translation
from django.utils.translation import gettext as _


def cli_language() -> str:
    """HANJI_LANGUAGE, else the terminal's locale when it is Korean or English, else Korean."""
    choices = {code for code, _name in settings.LANGUAGES}
    if (wanted := os.environ.get("HANJI_LANGUAGE", "").lower()) in choices:
        return wanted
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            code = value.split(".")[0].split("_")[0].lower()
            return code if code in choices else settings.LANGUAGE_CODE
    return settings.LANGUAGE_CODE


class HanjiParser(CommandParser):
    def error(self, message: str):
        if not self.called_from_command_line:
            raise CommandError(message)
        # One line instead of argparse's usage block; --help has the rest.
        sys.stderr.write(
            _("%(prog)s: %(message)s (see %(prog)s --help)")
            % {"prog": self.prog, "message": message}
            + "\n"
        )
        sys.exit(2)


class HanjiCommand(BaseCommand):
    """A management command whose failures are one line on stderr and a non-zero exit."""

    # Most commands need no system checks; the servers turn them back on.
    requires_system_checks: list[str] | str = []

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        self.help = str(self.help)  # translated now, in the operator's language
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = HanjiParser  # same state, friendlier error(); subparsers inherit it
        return parser

    def execute(self, *args, **options):
        with translation.override(cli_language()):
            return super().execute(*args, **options)

    def run_from_argv(self, argv: list[str]) -> None:
        with translation.override(cli_language()):
            self._run_from_argv(argv)

    def _run_from_argv(self, argv: list[str]) -> None:
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        options = parser.parse_args(argv[2:])
        cmd_options = vars(options)
        args = cmd_options.pop("args", ())
        handle_default_options(options)
        try:
            self.execute(*args, **cmd_options)
        except CommandError as error:
            if options.traceback:
                raise
            self.fail_line(str(error))
            sys.exit(error.returncode)
        except KeyboardInterrupt:
            sys.exit(130)
        except DatabaseError as error:
            # Usually a database that is down or not migrated: say so, without a traceback.
            if options.traceback:
                raise
            text = str(error).strip()
            self.fail_line(
                _(
                    "the database refused: %(error)s (is it running and migrated? try: hanji migrate)"
                )
                % {"error": text.splitlines()[0] if text else error.__class__.__name__}
            )
            sys.exit(1)
        finally:
            connections.close_all()

    def fail_line(self, message: str) -> None:
        self.stderr.write(_("error: %(message)s") % {"message": message.strip()})

    def say(self, message: str = "", style=None) -> None:
        self.stdout.write(message, style_func=style)


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a port number: %s") % value) from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(_("a port is between 1 and 65535, not %s") % value)
    return port


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(_("not a whole number: %s") % value) from None
    if number < 1:
        raise argparse.ArgumentTypeError(_("must be 1 or more, not %s") % value)
    return number


def ensure_port_free(host: str, port: int) -> None:
    """A clear error before starting a server on a port something else already uses."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    probe = socket.socket(family, socket.SOCK_STREAM)
    probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        probe.bind((host, port))
    except OSError as error:
        raise CommandError(
            _("cannot listen on %(host)s:%(port)s (%(reason)s); choose another with --port")
            % {"host": host, "port": port, "reason": error.strerror or error}
        ) from None
    finally:
        probe.close()


def add_address_arguments(parser) -> None:
    """--host and --port, as `hanji run` and `hanji web` take them."""
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

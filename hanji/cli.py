"""The `hanji` command: a thin front for Hanji's management commands.

`hanji COMMAND …` is `django-admin COMMAND …` with Hanji's settings. What this module adds:
`hanji` and `hanji --help` list Hanji's own commands first, in plain words; an unknown
command is one line and exit status 2.
"""

from __future__ import annotations

import os
import sys

HELP_FLAGS = {"-h", "--help", "help"}


def _sections():
    """Hanji's commands in the order a newcomer needs them (translated at call time)."""
    from django.utils.translation import gettext as _

    return [
        (
            _("Run Hanji"),
            [
                ("run", _("Start the web server and a worker together (one machine; make run)")),
                ("web", _("Start only the web server (granian); --workers, --threads")),
                ("worker", _("Start a worker for background tasks and periodic jobs")),
            ],
        ),
        (
            _("Set up"),
            [
                ("migrate", _("Create or update the database tables")),
                ("createadmin", _("Create an administrator account for the studio")),
                ("demo", _("Create the Korean demo publication (safe to repeat)")),
                ("publication create", _("Create a publication: SLUG --name NAME")),
            ],
        ),
        (
            _("Write"),
            [
                ("post publish", _("Publish a Markdown file with front matter as a post")),
            ],
        ),
    ]


def _more_hanji_commands(listed: set[str]) -> list[tuple[str, str]]:
    """Commands that other Hanji apps add, with the first sentence of their help."""
    from django.core.management import get_commands, load_command_class

    more = []
    for name, app in sorted(get_commands().items()):
        if not str(app).startswith("hanji.") or name in listed:
            continue
        try:
            text = str(load_command_class(app, name).help or "")
        except Exception:  # a broken command must not break `hanji --help`
            text = ""
        more.append((name, text.split(". ")[0].strip().rstrip(".")))
    return more


def hanji_help() -> str:
    from django.utils.translation import gettext as _

    lines = [
        _("Hanji: newsletters and publishing you host yourself."),
        "",
        _("Usage: hanji COMMAND [options]    (hanji COMMAND --help explains one command)"),
    ]
    listed = set()
    for title, commands in _sections():
        lines += ["", title]
        for command, text in commands:
            listed.add(command.split()[0])
            lines.append(f"  {command:<20} {text}")
    more = _more_hanji_commands(listed)
    if more:
        lines += ["", _("More Hanji commands")]
        lines += [f"  {name:<20} {text}" for name, text in more]
    lines += [
        "",
        _(
            "Settings come from the environment: DATABASE_URL, REDIS_URL, EMAIL_URL, "
            "HANJI_BASE_URL, HANJI_DATA_DIR, SECRET_KEY."
        ),
        _("Django's own commands (shell, dbshell, changepassword …): hanji help --commands"),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanji.settings")
    argv = list(sys.argv[1:] if argv is None else argv)

    import django
    from django.core.management import execute_from_command_line, get_commands
    from django.utils import translation

    django.setup()
    from hanji.core.management.base import cli_language

    if not argv or (len(argv) == 1 and argv[0] in HELP_FLAGS):
        with translation.override(cli_language()):
            sys.stdout.write(hanji_help() + "\n")
        return
    if argv[0] in ("--version", "version"):
        from hanji import __version__

        sys.stdout.write(f"hanji {__version__}\n")
        return
    command = argv[0]
    if not command.startswith("-") and command not in get_commands():
        with translation.override(cli_language()):
            from django.utils.translation import gettext as _

            sys.stderr.write(
                _("hanji: there is no command %(command)s (see hanji --help)")
                % {"command": repr(command)}
                + "\n"
            )
        sys.exit(2)
    execute_from_command_line(["hanji", *argv])


if __name__ == "__main__":
    main()

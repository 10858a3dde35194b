"""The `hanji` command: a thin front for Hanji's management commands."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanji.settings")
    argv = list(sys.argv[1:] if argv is None else argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["hanji", *argv])


if __name__ == "__main__":
    main()

"""`hanji migrate`: Django's migrate, with Hanji's one-line errors (e.g. a database that is down)."""

from __future__ import annotations

from django.core.management.commands import migrate
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand


class Command(HanjiCommand, migrate.Command):
    help = gettext_lazy("Create or update the database tables (safe to run again).")
    requires_system_checks = migrate.Command.requires_system_checks

"""`hanji createadmin`: the instance's administrator (a superuser), or with --publication the
owner of one publication (who can open that publication only)."""

from __future__ import annotations

import getpass
import os

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand

PASSWORD_ENV = "HANJI_ADMIN_PASSWORD"


class Command(HanjiCommand):
    help = gettext_lazy(
        "Create the instance's administrator, who can open every publication, or with "
        "--publication the owner of that publication only. Both sign in to the studio with "
        "their email. Asks for the email and password, or takes --email and --password (or "
        "the HANJI_ADMIN_PASSWORD environment variable) with --no-input."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--email", help=_("The administrator's email address."))
        parser.add_argument(
            "--password",
            help=_(
                "The password (visible in the process list and shell history; "
                "prefer the prompt or HANJI_ADMIN_PASSWORD)."
            ),
        )
        parser.add_argument(
            "--publication",
            metavar="SLUG",
            help=_(
                "Make the owner of this publication instead (not an administrator of the instance)."
            ),
        )
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help=_("Ask nothing; fail if something is missing."),
        )

    def handle(self, *, email, password, publication, interactive, **options) -> None:
        from hanji.core import accounts
        from hanji.publications.models import Publication

        target = None
        if publication:
            target = Publication.objects.filter(slug=publication).first()
            if target is None:
                raise CommandError(
                    _("no publication with the slug %(slug)s") % {"slug": publication}
                )
        password = password or os.environ.get(PASSWORD_ENV) or None
        try:
            if interactive:
                email = email or self._ask_email(accounts)
                password = password or self._ask_password(accounts, email)
            if not email:
                raise CommandError(_("give the email with --email"))
            if not password:
                raise CommandError(
                    _("give the password with --password or %(env)s") % {"env": PASSWORD_ENV}
                )
            if target is None:
                user = accounts.create_admin(email, password)
            else:
                user = accounts.create_owner(email, password, target)
        except accounts.AccountError as error:
            raise CommandError(str(error)) from None
        except EOFError:
            raise CommandError(_("no input; use --no-input with --email and --password")) from None
        if target is None:
            message = _("Created the administrator %(email)s, who can open every publication.") % {
                "email": user.email
            }
        else:
            message = _(
                "Created %(email)s, the owner of %(name)s (not an administrator of the instance)."
            ) % {"email": user.email, "name": target.name}
        self.say(message, self.style.SUCCESS)

    def _ask_email(self, accounts) -> str:
        while True:
            email = input(_("Email: ")).strip()
            try:
                return accounts.check_email(email)
            except accounts.AccountError as error:
                self.stderr.write(str(error))

    def _ask_password(self, accounts, email: str) -> str:
        while True:
            password = getpass.getpass(_("Password: "))
            if password != getpass.getpass(_("Password (again): ")):
                self.stderr.write(_("The passwords differ; try again."))
                continue
            try:
                accounts.check_password(password, email)
            except accounts.AccountError as error:
                self.stderr.write(str(error))
                continue
            return password

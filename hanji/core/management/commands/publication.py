"""`hanji publication create SLUG --name NAME [--language ko|en]`."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand, HanjiParser


class Command(HanjiCommand):
    help = gettext_lazy("Manage publications: hanji publication create SLUG --name NAME")

    def add_arguments(self, parser) -> None:
        actions = parser.add_subparsers(
            dest="action", metavar="ACTION", required=True, parser_class=HanjiParser
        )
        create = actions.add_parser(
            "create",
            help=_("Create a publication."),
            description=_(
                "Create a publication. Its slug names it in addresses: "
                "<slug>.<base domain> and /p/<slug>/."
            ),
        )
        create.add_argument(
            "slug", help=_("Lower-case letters, digits and hyphens, e.g. weekly-tech.")
        )
        create.add_argument("--name", required=True, help=_("The name readers see."))
        create.add_argument(
            "--language",
            choices=["ko", "en"],
            default="ko",
            help=_("Language of its pages and emails (default: %(default)s)."),
        )
        create.add_argument(
            "--owner",
            metavar="EMAIL",
            help=_("Make this existing account its owner."),
        )

    def handle(self, *, action: str, **options) -> None:
        if action == "create":
            self.create(options["slug"], options["name"], options["language"], options["owner"])

    def create(self, slug: str, name: str, language: str, owner_email: str | None) -> None:
        from django.contrib.auth import get_user_model

        from hanji.publications.links import absolute_url
        from hanji.publications.models import Publication, Role, TeamMember
        from hanji.subscribers.actions import ensure_newsletter

        slug, name = slug.strip(), name.strip()
        if Publication.objects.filter(slug=slug).exists():
            raise CommandError(
                _("a publication with the slug %(slug)s already exists") % {"slug": slug}
            )
        owner = None
        if owner_email:
            owner = get_user_model().objects.filter(email__iexact=owner_email.strip()).first()
            if owner is None:
                raise CommandError(
                    _("no account with the email %(email)s") % {"email": owner_email}
                )
        publication = Publication(slug=slug, name=name, language=language)
        try:
            publication.full_clean()
        except ValidationError as error:
            field, messages = next(iter(error.message_dict.items()))
            label = Publication._meta.get_field(field).verbose_name if field != "__all__" else ""
            raise CommandError(
                f"{label}: {' '.join(messages)}" if label else " ".join(messages)
            ) from None
        publication.save()
        ensure_newsletter(publication)
        if owner is not None:
            TeamMember.objects.create(publication=publication, user=owner, role=Role.OWNER)
        self.say(
            _("Created the publication %(name)s: %(url)s")
            % {"name": publication.name, "url": absolute_url(publication, "site:home")},
            self.style.SUCCESS,
        )

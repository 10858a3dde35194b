"""`hanji demo`: the Korean demo publication."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from hanji.core.management.base import HanjiCommand


class Command(HanjiCommand):
    help = gettext_lazy(
        "Create the Korean demo publication (판교 위클리) with an author, categories, legal "
        "pages and seven posts with pictures. Running it again changes nothing."
    )

    def handle(self, **options) -> None:
        from hanji.core.demo import create_demo, demo_publication
        from hanji.publications.links import absolute_url

        if (publication := demo_publication()) is not None:
            self.say(
                _("The demo publication already exists: %(url)s")
                % {"url": absolute_url(publication, "site:home")}
            )
            return
        publication = create_demo()
        self.say(
            _("Created the demo publication %(name)s with %(count)s posts: %(url)s")
            % {
                "name": publication.name,
                "count": publication.posts.count(),
                "url": absolute_url(publication, "site:home"),
            },
            self.style.SUCCESS,
        )

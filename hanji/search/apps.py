from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SearchConfig(AppConfig):
    name = "hanji.search"
    label = "search"
    verbose_name = _("Search")

    def ready(self) -> None:
        from hanji.search import signals

        signals.connect()

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hanji.core"
    label = "core"
    verbose_name = "Hanji"

    def ready(self) -> None:
        from hanji.core import headers, pagecache
        from hanji.publications import signals  # noqa: F401

        pagecache.connect_signals()
        headers.connect_signals()

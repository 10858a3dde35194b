from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "hanji.studio"
    label = "studio"
    verbose_name = "Studio"

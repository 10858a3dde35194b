from django.apps import AppConfig


class SiteConfig(AppConfig):
    name = "hanji.site"
    label = "site"
    verbose_name = "Public site"

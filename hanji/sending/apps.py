from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "hanji.sending"
    label = "sending"
    verbose_name = _("Sending")

    def ready(self) -> None:
        from anymail.signals import tracking
        from django.db.models.signals import post_save

        from hanji.publications.models import Publication

        tracking.connect(_on_tracking, dispatch_uid="hanji.sending.webhooks")
        post_save.connect(
            _settings_for_new_publication,
            sender=Publication,
            weak=False,
            dispatch_uid="hanji.sending.settings",
        )


def _on_tracking(**kwargs) -> None:
    # Imported when an event arrives: the webhooks module loads the subscribers' actions and
    # the email composer, which a web process at rest does not need.
    from hanji.sending.webhooks import on_tracking

    on_tracking(**kwargs)


def _settings_for_new_publication(instance, created: bool, raw: bool = False, **kwargs) -> None:
    # Made with the publication, so that no page or send has to create it while reading.
    if created and not raw:
        from hanji.sending.models import SendingSettings

        SendingSettings.objects.get_or_create(publication=instance)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "hanji.sending"
    label = "sending"
    verbose_name = _("Sending")

    def ready(self) -> None:
        from anymail.signals import tracking

        tracking.connect(_on_tracking, dispatch_uid="hanji.sending.webhooks")


def _on_tracking(**kwargs) -> None:
    # Imported when an event arrives: the webhooks module loads the subscribers' actions and
    # the email composer, which a web process at rest does not need.
    from hanji.sending.webhooks import on_tracking

    on_tracking(**kwargs)

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SendingConfig(AppConfig):
    name = "hanji.sending"
    label = "sending"
    verbose_name = _("Sending")

    def ready(self) -> None:
        from anymail.signals import tracking

        from hanji.sending.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="hanji.sending.webhooks")

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "hanji.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from hanji.engagement import queries
        from hanji.engagement.models import EngagementSettings
        from hanji.posts.models import Post

        def forget_settings(**kwargs) -> None:
            queries.clear_caches()

        def forget_post(instance, **kwargs) -> None:
            queries.forget_post(instance.pk)

        # This process forgets at once; other processes within queries.TTL seconds.
        for signal in (post_save, post_delete):
            signal.connect(
                forget_settings,
                sender=EngagementSettings,
                weak=False,
                dispatch_uid=f"engagement-settings-{signal is post_save}",
            )
            signal.connect(
                forget_post,
                sender=Post,
                weak=False,
                dispatch_uid=f"engagement-post-{signal is post_save}",
            )

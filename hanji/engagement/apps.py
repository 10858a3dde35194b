from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class EngagementConfig(AppConfig):
    name = "hanji.engagement"
    label = "engagement"
    verbose_name = _("Engagement")

    def ready(self) -> None:
        from hanji.engagement import queries
        from hanji.engagement.models import EngagementSettings, Recommendation
        from hanji.posts.models import Post
        from hanji.publications.models import Domain, Publication

        def forget_settings(**kwargs) -> None:
            queries.clear_caches()

        def forget_post(instance, **kwargs) -> None:
            queries.forget_post(instance.pk)

        def forget_recommenders(sender, instance, **kwargs) -> None:
            # Pages of publications that recommend this one show its name, description and
            # address: a rename or a new domain must reach them too, not only its own pages.
            from hanji.core.pagecache import invalidate_publication

            changed = instance.pk if sender is Publication else instance.publication_id
            recommenders = Recommendation.objects.filter(recommended_id=changed)
            for publication_id in recommenders.values_list("publication_id", flat=True):
                invalidate_publication(publication_id)

        def settings_for_new_publication(instance, created, raw=False, **kwargs) -> None:
            # Made with the publication, so that no page has to create it while reading.
            if created and not raw:
                EngagementSettings.objects.get_or_create(publication=instance)

        post_save.connect(
            settings_for_new_publication,
            sender=Publication,
            weak=False,
            dispatch_uid="engagement-settings-for-new-publication",
        )
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
            for model in (Publication, Domain):
                signal.connect(
                    forget_recommenders,
                    sender=model,
                    weak=False,
                    dispatch_uid=f"engagement-recommended-{model.__name__}-{signal is post_save}",
                )

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from hanji.publications.models import Domain, Publication
from hanji.publications.queries import clear_lookup_cache


@receiver([post_save, post_delete], sender=Publication, dispatch_uid="pub-lookup-publication")
@receiver([post_save, post_delete], sender=Domain, dispatch_uid="pub-lookup-domain")
def _forget_lookups(**kwargs) -> None:
    clear_lookup_cache()

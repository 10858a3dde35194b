from django.conf import settings
from django.utils.functional import SimpleLazyObject, empty

from hanji.core.pagecache import publication_cached

NAVIGATION_CATEGORIES = 5


def _site_chrome(publication) -> dict:
    """What the header and the subscribe box of every public page show."""

    def build() -> dict:
        return {
            "categories": list(publication.categories.all()[:NAVIGATION_CATEGORIES]),
            "newsletters": list(publication.newsletters.all()),
        }

    return publication_cached(publication.pk, "chrome", build)


def publication(request) -> dict:
    current = getattr(request, "publication", None)
    if isinstance(current, SimpleLazyObject) and current._wrapped is not empty:
        # Already loaded (the language middleware reads it): templates read it 30-40 times a
        # page, each time through the lazy proxy otherwise.
        current = current._wrapped
    return {
        "publication": current,
        # Lazy: pages that show no header or subscribe box (feeds, the studio) pay nothing.
        "chrome": SimpleLazyObject(lambda: _site_chrome(current)) if current is not None else None,
        "HANJI_BASE_URL": settings.HANJI_BASE_URL,
    }

"""Absolute URLs of a publication's pages, for emails, feeds and tasks (no request needed)."""

from __future__ import annotations

from django.conf import settings
from django.urls import get_script_prefix, reverse, set_script_prefix

from hanji.publications.models import Publication


def publication_base_url(publication: Publication) -> str:
    """Its primary custom domain, else `/p/<slug>` under HANJI_BASE_URL (works without DNS)."""
    host = next((d.host for d in publication.domains.all() if d.is_primary), None)
    if host:
        scheme = "https" if settings.HANJI_BASE_URL.startswith("https") else "http"
        return f"{scheme}://{host}"
    return f"{settings.HANJI_BASE_URL}/p/{publication.slug}"


def absolute_url(publication: Publication, viewname: str, **kwargs) -> str:
    """`reverse(viewname)` on the publication's base URL, whatever the current request."""
    saved = get_script_prefix()
    set_script_prefix("/")
    try:
        path = reverse(viewname, kwargs=kwargs or None)
    finally:
        set_script_prefix(saved)
    return publication_base_url(publication) + path

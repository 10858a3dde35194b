"""Scope every request to one publication (or to the instance itself)."""

from __future__ import annotations

from functools import partial

from django.http import HttpRequest, HttpResponse
from django.urls import get_script_prefix, set_script_prefix
from django.utils.functional import SimpleLazyObject

from hanji.core.pagecache import is_anonymous_read, publication_cached
from hanji.publications.models import Publication
from hanji.publications.queries import resolve

# Paths that belong to the instance whatever the host (health checks come by IP).
INSTANCE_PATHS = ("/healthz", "/static/", "/media/")


def _load(publication_id: int, shared: bool) -> Publication:
    """The publication row; for anonymous reads from the shared cache (saving the publication
    invalidates it with its pages)."""
    if shared:
        return publication_cached(
            publication_id, "publication", lambda: Publication.objects.get(pk=publication_id)
        )
    return Publication.objects.get(pk=publication_id)


class PublicationMiddleware:
    """Sets `request.publication_id` and a lazy `request.publication`.

    Under a path prefix (/p/<slug>/…) the prefix is moved from `path_info` into the script
    prefix, so the same URL patterns serve both forms and `reverse()` keeps the prefix.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
        host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        path = request.path_info
        if path.startswith(INSTANCE_PATHS):
            resolved = None
        else:
            resolved = resolve(host, path)
        request.publication_id = resolved.publication_id if resolved else None
        request.unknown_host = bool(resolved and resolved.unknown_host)
        pub_id = request.publication_id
        request.publication = (
            SimpleLazyObject(partial(_load, pub_id, is_anonymous_read(request))) if pub_id else None
        )
        if request.unknown_host:
            from hanji.site.views import unknown_host

            return unknown_host(request)
        if not (resolved and resolved.prefix):
            return self.get_response(request)
        old_prefix = get_script_prefix()
        request.path_info = path[len(resolved.prefix) :] or "/"
        set_script_prefix(old_prefix.rstrip("/") + resolved.prefix + "/")
        try:
            return self.get_response(request)
        finally:
            set_script_prefix(old_prefix)

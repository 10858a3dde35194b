from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

INSTANCE_UI_PREFIXES = ("/studio", "/admin")


class PublicationLanguageMiddleware:
    """A publication's pages speak its language; the studio follows the reader's browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        publication = getattr(request, "publication", None)
        zone = None
        if publication is not None and not request.path_info.startswith(INSTANCE_UI_PREFIXES):
            language, zone = publication.language, publication.time_zone
        else:
            language = translation.get_language_from_request(request)
        request.LANGUAGE_CODE = language
        # Overrides, not activations: the thread serves the next request (or test) in the
        # language and time zone it had before this one.
        with translation.override(language), timezone.override(zone):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

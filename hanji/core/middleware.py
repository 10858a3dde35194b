from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

INSTANCE_UI_PREFIXES = ("/studio", "/admin", "/engagement/studio")


def chosen_language(request: HttpRequest) -> str | None:
    """The language picked with the language switch (Django's set_language cookie), if any."""
    code = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return code if code in dict(settings.LANGUAGES) else None


class PublicationLanguageMiddleware:
    """The language switch's choice first; otherwise a publication's pages speak its language
    and the studio (the comment moderation screen included) follows the browser."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        publication = getattr(request, "publication", None)
        zone = None
        if publication is not None and not request.path_info.startswith(INSTANCE_UI_PREFIXES):
            language, zone = publication.language, publication.time_zone
        else:
            language = translation.get_language_from_request(request)
        language = chosen_language(request) or language
        request.LANGUAGE_CODE = language
        # Overrides, not activations: the thread serves the next request (or test) in the
        # language and time zone it had before this one.
        with translation.override(language), timezone.override(zone):
            response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response

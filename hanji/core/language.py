"""The language switch of the studio and of readers' pages.

Django's `set_language`, minus its CSRF token: readers' pages are served from the anonymous
page cache, which holds no per-reader token, so the switch is a plain GET form (choosing a
language changes nothing but how the next pages read). The choice is kept in Django's
language cookie; `hanji.core.middleware` puts it before the publication's language and the
browser's.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next", "") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return target


@require_safe
@never_cache
def choose_language(request: HttpRequest) -> HttpResponse:
    """`?language=ko|en&next=/path`: remember the language, then go back to the page."""
    response = HttpResponseRedirect(_safe_next(request))
    language = request.GET.get("language", "")
    if language in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            language,
            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 24 * 3600,
            path=settings.LANGUAGE_COOKIE_PATH,
            domain=settings.LANGUAGE_COOKIE_DOMAIN,
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        )
    return response

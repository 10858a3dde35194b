"""The one way Hanji sets its own cookies: HttpOnly, SameSite=Lax, and Secure whenever the
instance is served over https (HANJI_BASE_URL), like Django's session, CSRF, language and
messages cookies (settings.py sets those from the same flag)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse


def set_cookie(response: HttpResponse, name: str, value: str, *, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )

"""Decorators every studio view goes through: signed in, never cached, one permission check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from hanji.studio.accounts import touch_session
from hanji.studio.queries import Access, get_access


def forbidden(request: HttpRequest) -> HttpResponse:
    return render(request, "studio/forbidden.html", status=403)


def studio_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in; never cached; a role that is too low sees a 403 page, not data."""

    @wraps(view)
    @login_required
    @never_cache
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        touch_session(request)
        try:
            return view(request, *args, **kwargs)
        except PermissionDenied:
            return forbidden(request)

    return wrapper


def publication_view(capability: str = "view"):
    """A view of one publication (`slug` in the URL): the permission-checked getter runs
    first and the view receives its Access instead of the slug."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        @studio_view
        def wrapper(request: HttpRequest, slug: str, *args, **kwargs) -> HttpResponse:
            access = get_access(request.user, slug, capability)
            request.access = access
            return view(request, access, *args, **kwargs)

        # Who may open it, for tests/security/test_every_studio_url.py (read off the URL conf).
        wrapper.hanji_capability = capability
        return wrapper

    return decorate


def context(access: Access, **extra) -> dict:
    return {"access": access, "pub": access.publication, "can": access.capabilities, **extra}

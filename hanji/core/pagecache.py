"""The anonymous page cache.

A reader without a session cookie gets the page from the shared cache (Redis with REDIS_URL,
files on one machine). Each publication has a generation token; saving anything that shows
on its pages (models with `invalidates_pages = True`) replaces the token, which makes every
cached page of that publication stale at once. One round-trip serves a hit: the token and
the page are read together and compared.
"""

from __future__ import annotations

import hashlib
import itertools
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.exceptions import MiddlewareNotUsed
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpRequest, HttpResponse

from hanji.core.csp import nonce_was_used

CACHEABLE_QUERY_KEYS = {"page"}
STORED_HEADERS = ("Content-Type", "Content-Language", "Link", "X-Robots-Tag")


def _generation_key(publication_id: int) -> str:
    return f"pg:{publication_id}"


def invalidate_publication(publication_id: int | None) -> None:
    """Make every cached page and value of the publication stale.

    Done at once and again when the surrounding transaction commits: a request that rebuilt
    a value between the two (reading the rows as they were before the commit) stored it under
    the first new generation, which the second one retires.
    """
    if not publication_id:
        return
    cache.set(_generation_key(publication_id), uuid.uuid4().hex, None)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(
            lambda: cache.set(_generation_key(publication_id), uuid.uuid4().hex, None)
        )


def _generation(found: dict, publication_id: int) -> str:
    """The generation read with `get_many`; a missing one (never set, or evicted by the file
    cache's culling) is created, so nothing is ever stored under "no generation", where it
    would match again after a later eviction."""
    generation = found.get(_generation_key(publication_id))
    if generation is None:
        key = _generation_key(publication_id)
        cache.add(key, uuid.uuid4().hex, None)
        generation = cache.get(key)
    return generation


def publication_cached(
    publication_id: int,
    name: str,
    build: Callable[[], Any],
    keep_none: bool = True,
    still_valid: Callable[[Any], bool] | None = None,
) -> Any:
    """`build()`, kept in the shared cache until the publication's pages are invalidated.

    For what the public pages show (navigation, the subscribe box's newsletters, a post with
    its authors and tags): one cache round trip instead of a query each. The value is stored
    with the generation it was built under, so a value built from data an edit has since
    changed never matches. `keep_none=False` stores nothing when `build()` finds nothing;
    `still_valid(value)` may retire a stored value early (a scheduled post falling due).
    """
    generation_key, key = _generation_key(publication_id), f"pc:{publication_id}:{name}"
    found = cache.get_many([generation_key, key])
    generation, stored = _generation(found, publication_id), found.get(key)
    if stored is not None and stored[0] == generation:
        if still_valid is None or still_valid(stored[1]):
            return stored[1]
    value = build()
    if value is not None or keep_none:
        cache.set(key, (generation, value), settings.HANJI_PAGE_CACHE_SECONDS)
    return value


def _page_key(request: HttpRequest) -> str:
    # The reader's language choice (the language switch's cookie) is part of the page.
    language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")[:8]
    raw = f"{request.get_host()}|{request.get_full_path()}|{request.method == 'HEAD'}|{language}"
    return (
        f"pp:{request.publication_id}:{hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()}"
    )


def is_anonymous_read(request: HttpRequest) -> bool:
    """A GET or HEAD of a public page by a reader without a session: what it shows may come
    from the shared cache (writes, the studio and signed-in readers always read the database)."""
    return (
        request.method in ("GET", "HEAD")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path_info.startswith(("/studio", "/admin", "/account"))
    )


def _cacheable_request(request: HttpRequest) -> bool:
    return (
        getattr(request, "publication_id", None) is not None
        and is_anonymous_read(request)
        and set(request.GET) <= CACHEABLE_QUERY_KEYS
    )


def _cacheable_response(request: HttpRequest, response: HttpResponse) -> bool:
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code in (200, 404)
        and not nonce_was_used(request)
        and not response.streaming
        and not response.cookies
        and "private" not in cache_control
        and "no-store" not in cache_control
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response):
        if not settings.HANJI_PAGE_CACHE:
            raise MiddlewareNotUsed("HANJI_PAGE_CACHE is off")
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _cacheable_request(request):
            return self.get_response(request)
        generation_key, page_key = _generation_key(request.publication_id), _page_key(request)
        found = cache.get_many([generation_key, page_key])
        generation = _generation(found, request.publication_id)
        stored = found.get(page_key)
        if stored is not None and stored[0] == generation:
            _gen, status, headers, content = stored
            response = HttpResponse(content, status=status)
            for name, value in headers:
                response[name] = value
            response["X-Hanji-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if _cacheable_response(request, response):
            headers = [(h, response[h]) for h in STORED_HEADERS if h in response]
            cache.set(
                page_key,
                (generation, response.status_code, headers, response.content),
                settings.HANJI_PAGE_CACHE_SECONDS,
            )
            response["X-Hanji-Cache"] = "miss"
        return response


def _publication_id_of(instance) -> int | None:
    from hanji.publications.models import Publication

    if isinstance(instance, Publication):
        return instance.pk
    return getattr(instance, "publication_id", None)


def _on_change(sender, instance, **kwargs) -> None:
    if getattr(sender, "invalidates_pages", False):
        invalidate_publication(_publication_id_of(instance))


def connect_signals() -> None:
    """Per model that shows on public pages, not for every model: a post_delete receiver for
    all senders would keep Django from deleting any queryset in one statement (it would load
    and signal each row: the purge of a day's million raw visitors took two minutes)."""
    from django.apps import apps

    for model in apps.get_models():
        if getattr(model, "invalidates_pages", False):
            uid = f"hanji.pagecache.{model._meta.label}"
            post_save.connect(_on_change, sender=model, dispatch_uid=uid)
            post_delete.connect(_on_change, sender=model, dispatch_uid=uid)
    m2m_changed.connect(_on_m2m, dispatch_uid="hanji.pagecache.m2m")


def _on_m2m(sender, instance, **kwargs) -> None:
    if getattr(type(instance), "invalidates_pages", False):
        invalidate_publication(_publication_id_of(instance))


class FileCache(FileBasedCache):
    """Django's file cache (the default cache: shared by every process of one machine) with
    less culling. The stock backend lists its whole directory on every write to see whether
    it holds more than MAX_ENTRIES files: about 1 ms a write at 100 files and 11 ms at 5,000
    on the bench machine, and every page-cache miss writes a page plus, after a change, the
    shared values the page read. Here each process looks every CULL_EVERY writes, so the
    directory may pass MAX_ENTRIES by that many files per process before it is culled.
    """

    CULL_EVERY = 64

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._writes = itertools.count()

    def _cull(self) -> None:
        if next(self._writes) % self.CULL_EVERY == 0:
            super()._cull()

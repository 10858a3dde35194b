"""The outbox: every email Hanji would have sent when no EMAIL_URL is set.

Each publication's outbox is a screen of that publication, behind the "outbox" capability like
every other screen (admins and owners: it holds readers' confirmation and sign-in links). The
instance's outbox, every email including the studio's own sign-in links, is for superusers.
Both show a message the same way; only where the messages come from differs.
"""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from hanji.core.emailkinds import kind_choices, kind_filter
from hanji.core.emailparts import split_message
from hanji.core.models import OutboxMessage
from hanji.studio.pages import keyset_page
from hanji.studio.queries import (
    Access,
    get_outbox_message,
    instance_outbox_for_user,
    outbox_for_access,
)
from hanji.studio.views.base import context, publication_view, studio_view

OUTBOX_PAGE = 50

# What the HTML part of an email may do inside the studio: show itself, its styles and its
# images, nothing else. `sandbox` gives it an opaque origin, so it cannot read the studio.
EMAIL_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; "
    "style-src 'unsafe-inline' https: http:; font-src https: http: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


@require_safe
@publication_view("outbox")
def outbox(request: HttpRequest, access: Access) -> HttpResponse:
    home = reverse("studio:outbox", args=[access.publication.slug])
    return _list(request, outbox_for_access(access), context(access, outbox_url=home))


@require_safe
@publication_view("outbox")
def outbox_message(request: HttpRequest, access: Access, pk: int, part: str = "") -> HttpResponse:
    message = get_outbox_message(outbox_for_access(access), pk)
    home = reverse("studio:outbox", args=[access.publication.slug])
    return _show(request, message, part, context(access, outbox_url=home))


@require_safe
@studio_view
def instance_outbox(request: HttpRequest) -> HttpResponse:
    messages = instance_outbox_for_user(request.user)
    return _list(request, messages, {"outbox_url": reverse("studio:instance_outbox")})


@require_safe
@studio_view
def instance_outbox_message(request: HttpRequest, pk: int, part: str = "") -> HttpResponse:
    message = get_outbox_message(instance_outbox_for_user(request.user), pk)
    return _show(request, message, part, {"outbox_url": reverse("studio:instance_outbox")})


def _list(request: HttpRequest, messages: QuerySet[OutboxMessage], extra: dict) -> HttpResponse:
    """Newest first; `q` finds a recipient or a subject, `kind` keeps one kind of email."""
    query = request.GET.get("q", "").strip()[:200]
    if query:
        messages = messages.filter(Q(to__icontains=query) | Q(subject__icontains=query))
    kind = request.GET.get("kind", "")
    if kind and (condition := kind_filter(kind)) is not None:
        messages = messages.filter(condition)
    page = keyset_page(request, messages, size=OUTBOX_PAGE, by="created_at")
    return render(
        request,
        "studio/outbox.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "kinds": kind_choices(),
            "filtered": bool(query or kind),
            **extra,
        },
    )


# The open-tracking pixel of a post's email (hanji.sending's /e/o/<token>.gif). Shown in the
# studio it would count the creator's look as a reader's open, so the outbox leaves it out.
OPEN_PIXEL = re.compile(r"<img\b[^>]*/e/o/[^>]*>", re.IGNORECASE)
# Its click links (/e/c/<token>/<position>/) still lead to the post's links but carry the
# outbox mark, so the creator trying a link is not counted as a reader's click.
CLICK_LINK = re.compile(r"(/e/c/[^\s\"'<>?#/]+/\d+/)(?=[\"'])")


def _show(request: HttpRequest, message: OutboxMessage, part: str, extra: dict) -> HttpResponse:
    """The message page (`part` ""), its HTML part alone for the sandboxed frame ("html"),
    or the message as it would have left, to open in a mail program ("raw")."""
    if part == "raw":
        response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
        response["Content-Disposition"] = f'attachment; filename="hanji-outbox-{message.pk}.eml"'
        response["X-Content-Type-Options"] = "nosniff"
        return response
    parts = split_message(bytes(message.raw))
    if part == "html":
        if parts.html is None:
            raise Http404
        html = CLICK_LINK.sub(r"\1?outbox", OPEN_PIXEL.sub("", parts.html))
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        response["Content-Security-Policy"] = EMAIL_CSP
        response["X-Frame-Options"] = "SAMEORIGIN"
        response["Referrer-Policy"] = "no-referrer"
        response["X-Content-Type-Options"] = "nosniff"
        return response
    context = {"message": message, "parts": parts, **extra}
    return render(request, "studio/outbox_message.html", context)

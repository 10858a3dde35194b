"""The outbox: every email Hanji would have sent when no EMAIL_URL is set (owners and admins)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from hanji.core.emailparts import split_message
from hanji.core.queries import get_outbox_message_for_user, outbox_for_user
from hanji.studio.views.base import studio_view

OUTBOX_PAGE = 50

# What the HTML part of an email may do inside the studio: show itself, its styles and its
# images, nothing else. `sandbox` gives it an opaque origin, so it cannot read the studio.
EMAIL_CSP = (
    "sandbox; default-src 'none'; img-src https: http: data:; "
    "style-src 'unsafe-inline' https: http:; font-src https: http: data:; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)


@require_safe
@studio_view
def outbox(request: HttpRequest) -> HttpResponse:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        raise Http404 from None
    paginator = Paginator(outbox_for_user(request.user).order_by("-created_at", "-id"), OUTBOX_PAGE)
    if number < 1 or (number > paginator.num_pages):
        raise Http404
    return render(request, "studio/outbox.html", {"page": paginator.page(number)})


@require_safe
@studio_view
def outbox_message(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_outbox_message_for_user(request.user, pk)
    parts = split_message(bytes(message.raw))
    return render(request, "studio/outbox_message.html", {"message": message, "parts": parts})


@require_safe
@studio_view
def outbox_message_html(request: HttpRequest, pk: int) -> HttpResponse:
    """The HTML part alone, for the sandboxed frame on the message page."""
    message = get_outbox_message_for_user(request.user, pk)
    html = split_message(bytes(message.raw)).html
    if html is None:
        raise Http404
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = EMAIL_CSP
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@studio_view
def outbox_message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    """The message as it would have left, to open in a mail program (.eml)."""
    message = get_outbox_message_for_user(request.user, pk)
    response = HttpResponse(bytes(message.raw), content_type="message/rfc822")
    response["Content-Disposition"] = f'attachment; filename="hanji-outbox-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    return response

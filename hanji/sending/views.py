"""Tracking: the open pixel and click redirects. Both are signed per recipient; a click goes
only to a link the post itself contained (looked up by position, never taken from the URL)."""

from __future__ import annotations

import base64

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from hanji.sending import events
from hanji.sending.models import SendingSettings, SendLink
from hanji.sending.personalize import track_signer

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def _reader(request: HttpRequest, token: str) -> tuple[int, int, int] | None:
    """(publication, send, subscriber) of a tracking token valid for this publication."""
    publication_id = getattr(request, "publication_id", None)
    if not publication_id:
        return None
    try:
        value = track_signer(publication_id).unsign(token)
        send_id, subscriber_id = (int(part) for part in value.split("."))
    except (signing.BadSignature, ValueError):
        return None
    return publication_id, send_id, subscriber_id


def _tracking(publication_id: int, kind: str) -> bool:
    options = SendingSettings.objects.filter(publication_id=publication_id).first()
    return options is None or getattr(options, kind)


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    reader = _reader(request, token)
    if reader and _tracking(reader[0], "track_opens"):
        events.opened(reader[1], reader[2], reader[0])
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
def click(request: HttpRequest, token: str, position: int) -> HttpResponse:
    reader = _reader(request, token)
    if reader is None:
        raise Http404
    publication_id, send_id, subscriber_id = reader
    link = SendLink.objects.filter(
        send_id=send_id, position=position, send__publication_id=publication_id
    ).first()
    if link is None:
        raise Http404
    if _tracking(publication_id, "track_clicks"):
        events.clicked(send_id, subscriber_id, publication_id, position)
    response = HttpResponseRedirect(link.url)
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # the services cannot send a CSRF token; hooks.receive checks their proof
def service_hook(request: HttpRequest, rest: str) -> HttpResponse:
    from hanji.sending import hooks

    return hooks.receive(request, rest)

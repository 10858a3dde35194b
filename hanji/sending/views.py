"""Tracking: the open pixel and click redirects. Both are signed per recipient; a click goes
only to a link the post itself contained (looked up by position, never taken from the URL).

Not counted: a request marked as coming from the studio's outbox (which rewrites the links
of the message it shows), and the publication's own team signed in. Opens that look like
Apple's Mail Privacy Protection are counted apart (hanji.analytics.machine)."""

from __future__ import annotations

import base64

from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from hanji.analytics.machine import is_machine_open
from hanji.analytics.sources import tag_email_link
from hanji.core.ratelimit import client_ip
from hanji.publications.links import publication_base_url
from hanji.publications.queries import is_team_member
from hanji.sending import events
from hanji.sending.models import Delivery, SendingSettings, SendLink
from hanji.sending.personalize import track_signer

# The studio's outbox adds this to the tracking links of the message it shows.
OUTBOX_MARK = "outbox"
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


def _counted(request: HttpRequest, publication_id: int) -> bool:
    """Not the outbox, nor the publication's own team looking at its message."""
    if OUTBOX_MARK in request.GET:
        return False
    return not is_team_member(getattr(request, "user", None), publication_id)


def _machine(request: HttpRequest, send_id: int, subscriber_id: int) -> bool:
    sent_at = (
        Delivery.objects.filter(send_id=send_id, subscriber_id=subscriber_id)
        .values_list("sent_at", flat=True)
        .first()
    )
    agent = request.META.get("HTTP_USER_AGENT", "")
    return is_machine_open(agent, client_ip(request), sent_at, timezone.now())


@never_cache
def open_pixel(request: HttpRequest, token: str) -> HttpResponse:
    reader = _reader(request, token)
    if reader and _tracking(reader[0], "track_opens") and _counted(request, reader[0]):
        publication_id, send_id, subscriber_id = reader
        machine = _machine(request, send_id, subscriber_id)
        events.opened(send_id, subscriber_id, publication_id, machine=machine)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, private"
    return response


@never_cache
def click(request: HttpRequest, token: str, position: int) -> HttpResponse:
    reader = _reader(request, token)
    if reader is None:
        raise Http404
    publication_id, send_id, subscriber_id = reader
    link = (
        SendLink.objects.filter(
            send_id=send_id, position=position, send__publication_id=publication_id
        )
        .select_related("send__newsletter", "send__publication")
        .first()
    )
    if link is None:
        raise Http404
    if _tracking(publication_id, "track_clicks") and _counted(request, publication_id):
        events.clicked(send_id, subscriber_id, publication_id, position)
    send = link.send
    site = publication_base_url(send.publication)
    response = HttpResponseRedirect(tag_email_link(link.url, site, send.newsletter.slug))
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt  # the services cannot send a CSRF token; hooks.receive checks their proof
def service_hook(request: HttpRequest, rest: str) -> HttpResponse:
    from hanji.sending import hooks

    return hooks.receive(request, rest)

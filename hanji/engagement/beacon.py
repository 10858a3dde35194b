"""The view beacon: one small POST per page view, answered with the post's live counts.

The post page comes from the anonymous cache, so what is per visitor (counting the view, the
visitor's own like) cannot be in it; the page's script posts here once per view. For a reader
who is not signed in and a public post, BeaconMiddleware answers before sessions, CSRF and
the language middleware run: no database query, no cache write, one line appended to the
spool. Everything else (signed-in readers, posts for subscribers) takes the ordinary view.
"""

from __future__ import annotations

import json
import re

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from hanji.analytics import sources
from hanji.core import cookies
from hanji.core.csp import HEADER as CSP_HEADER
from hanji.core.ratelimit import client_ip
from hanji.engagement import counting, queries
from hanji.publications.queries import is_team_member
from hanji.subscribers.models import Subscriber

BEACON_PATH = re.compile(r"^/engagement/(\d{1,18})/beacon/$")
# Set when a browser likes something, so beacons of browsers that never liked anything (most
# of them) need no query to say "not liked".
LIKED_HINT = "hanji_lk"
# Where this browser first came from (a first-party cookie, set here from the first external
# referrer or UTM landing it beacons): the subscribe form reads it to attribute a sign-up.
SOURCE_COOKIE = "hanji_src"
SOURCE_DAYS = 30


def view_source(request: HttpRequest) -> sources.Source:
    """Where this view came from: the script posts document.referrer (r) and the landing
    URL's query string (q)."""
    return sources.classify(
        request.POST.get("r", ""), request.POST.get("q", ""), (request.get_host(),)
    )


def remember_source(request: HttpRequest, response: HttpResponse, source: sources.Source) -> None:
    """First touch: kept once, for SOURCE_DAYS, only for an external referrer or a UTM."""
    if SOURCE_COOKIE in request.COOKIES:
        return
    if source.channel in (sources.DIRECT, sources.INTERNAL) and not source.utm_source:
        return
    cookies.set_cookie(
        response, SOURCE_COOKIE, sources.cookie_value(source), max_age=SOURCE_DAYS * 24 * 3600
    )


def same_origin(request: HttpRequest) -> bool:
    """Browsers say where a request comes from; a beacon from another site is refused."""
    site = request.META.get("HTTP_SEC_FETCH_SITE")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.META.get("HTTP_ORIGIN")
    if origin:
        return origin.split("://", 1)[-1] == request.get_host()
    return True


def _json(status: int, body: str) -> HttpResponse:
    # Not JsonResponse: this answer is small and hot, and its body is made with one format.
    response = HttpResponse(body, content_type="application/json", status=status)
    response["Cache-Control"] = "no-store"
    # Data, not a document: a fixed policy, so the CSP middleware builds none per beacon.
    response[CSP_HEADER] = "default-src 'none'; frame-ancestors 'none'"
    return response


def _refuse(status: int) -> HttpResponse:
    return _json(status, '{"ok": false}')


def answer(request: HttpRequest, post_id: int, reader: Subscriber | None) -> HttpResponse:
    gate = queries.post_gate(post_id)
    if gate is None or gate.publication_id != getattr(request, "publication_id", None):
        return _refuse(404)
    if not queries.may_read(gate.visibility, reader, post_id):
        # The page showed this reader the post's preview (a paid or subscribers-only post):
        # the beacon is expected there, and counts nothing it may not read. No error, no body.
        return HttpResponse(status=204)
    if not same_origin(request):
        return _refuse(403)
    # Email clients load images, never run scripts; a beacon fetched as an image is not a view.
    if request.META.get("HTTP_SEC_FETCH_DEST", "empty") not in ("empty", ""):
        return _refuse(403)
    visitor, new_visitor = counting.visitor_id(request)
    options = queries.engagement_settings(gate.publication_id)
    counted = False
    source = view_source(request)
    if (
        options.count_views
        and not counting.is_bot(request.META.get("HTTP_USER_AGENT", ""))
        and not counting.is_prefetch(request)
        and not is_team_member(getattr(request, "user", None), gate.publication_id)
    ):
        client = counting.client_tag(client_ip(request))
        counting.record_view(post_id, visitor, client, source=source.token())
        counted = True
    liked = False
    if reader is not None or LIKED_HINT in request.COOKIES:
        liked = queries.liked_by(post_id, reader, visitor if reader is None else "")
    labels = gate.labels
    body = json.dumps(
        {
            "ok": True,
            "counted": counted,
            "views": gate.view_count,
            "views_label": labels["views_label"],
            "likes": gate.like_count,
            "likes_label": labels["likes_label"],
            "liked": liked,
            "like_label": labels["liked"] if liked else labels["like"],
        },
        ensure_ascii=False,
    )
    response = _json(200, body)
    if new_visitor:
        counting.set_visitor_cookie(response, visitor)
    remember_source(request, response, source)
    return response


class BeaconMiddleware:
    """Answers beacons of readers who are not signed in before the rest of the stack.

    Sits right after PublicationMiddleware (which has set request.publication_id from its
    in-process cache). A beacon that needs to know the reader (a session cookie is present,
    or the post is not public) goes on to the ordinary view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path_info.endswith("/beacon/"):
            match = BEACON_PATH.match(request.path_info)
            if match and settings.SESSION_COOKIE_NAME not in request.COOKIES:
                gate = queries.post_gate(int(match[1]))
                if gate is None or gate.visibility == "public":
                    return answer(request, int(match[1]), None)
        return self.get_response(request)

"""Membership pages (thin: parse → get → act → render) and the providers' webhooks."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from hanji.memberships import events

PROVIDERS = ("stripe", "portone")


@csrf_exempt  # providers cannot send a CSRF token; their signature is the proof
@require_POST
def webhook(request: HttpRequest, provider: str) -> HttpResponse:
    if request.publication is None or provider not in PROVIDERS:
        raise Http404
    status, outcome = events.receive(request.publication, provider, request.body, request.headers)
    response = HttpResponse(outcome, status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


def plans(request):  # replaced below by the checkout views
    raise Http404


checkout = portone_complete = checkout_done = account = plans

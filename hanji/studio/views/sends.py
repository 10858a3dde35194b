"""Sends: the list, live progress (polled as JSON, no reload), pause, resume, cancel, and the
record of each delivery."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from hanji.core.params import parse_int
from hanji.sending.actions import SendError, cancel_send, pause_send, resume_send
from hanji.sending.models import Send
from hanji.sending.queries import get_send_for_publication, progress, recipients_of, sends_of
from hanji.studio.pages import keyset_page
from hanji.studio.queries import Access
from hanji.studio.views.base import context, publication_view

PAGE = 50
DELIVERIES_PAGE = 100


def _send(access: Access, send_id: int) -> Send:
    try:
        return get_send_for_publication(access.publication, send_id)
    except Send.DoesNotExist:
        raise Http404 from None


def progress_data(send: Send) -> dict:
    p = progress(send)
    percent = (
        100 if p.total and p.done >= p.total else (int(100 * p.done / p.total) if p.total else 0)
    )
    return {
        "state": p.state,
        "state_label": str(dict(Send._meta.get_field("state").choices).get(p.state, p.state)),
        "reason": p.reason,
        "total": p.total,
        "sent": p.sent,
        "failed": p.failed,
        "skipped": p.skipped,
        "remaining": p.remaining,
        "held": p.held,
        "rate": round(p.rate, 1),
        "eta": formats.date_format(timezone.localtime(p.eta), "H:i:s") if p.eta else "",
        "percent": percent,
        "transport_error": p.transport_error,
        "active": send.is_active,
    }


@require_safe
@publication_view("send")
def send_list(request: HttpRequest, access: Access) -> HttpResponse:
    page = keyset_page(request, sends_of(access.publication), size=PAGE, by="created_at")
    return render(request, "studio/sends.html", context(access, sends=page.rows, page=page))


@require_safe
@publication_view("send")
def send_detail(request: HttpRequest, access: Access, send_id: int) -> HttpResponse:
    send = _send(access, send_id)
    after_id = parse_int(request.GET.get("after"), low=0, default=0)
    deliveries = list(recipients_of(send).filter(id__gt=after_id)[: DELIVERIES_PAGE + 1])
    return render(
        request,
        "studio/send.html",
        context(
            access,
            send=send,
            figures=progress_data(send),
            deliveries=deliveries[:DELIVERIES_PAGE],
            next_after=deliveries[DELIVERIES_PAGE - 1].pk
            if len(deliveries) > DELIVERIES_PAGE
            else None,
        ),
    )


@require_safe
@publication_view("send")
def send_progress(request: HttpRequest, access: Access, send_id: int) -> JsonResponse:
    send = _send(access, send_id)
    return JsonResponse(progress_data(send))


@require_POST
@publication_view("send")
def send_control(request: HttpRequest, access: Access, send_id: int, action: str) -> HttpResponse:
    send = _send(access, send_id)
    try:
        if action == "pause":
            changed = pause_send(
                send.pk, _("Paused by %(name)s") % {"name": request.user.get_username()}
            )
        elif action == "resume":
            changed = resume_send(send.pk)
        elif action == "cancel":
            changed = cancel_send(send.pk)
        else:
            raise Http404
    except SendError as error:
        messages.error(request, str(error))
        return redirect("studio:send_detail", access.publication.slug, send.pk)
    if not changed:
        messages.error(request, _("The send is not in a state where that can be done."))
    return redirect("studio:send_detail", access.publication.slug, send.pk)

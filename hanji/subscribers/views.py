"""Subscribe, confirm, unsubscribe and preferences: the reader's side of the list.

The subscribe form sits on cached pages, so it carries no CSRF token: the view is
csrf_exempt and protected by a honeypot, rate limits and double opt-in (docs/decisions.md).
Link pages (confirm, unsubscribe) answer GET with a page and change state only on POST, so
a mail scanner that opens every link changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from hanji.analytics.queries import signup_origin
from hanji.core import ratelimit
from hanji.core.tokens import BadToken, read_token
from hanji.publications.models import Publication
from hanji.subscribers import actions
from hanji.subscribers.addresses import InvalidEmail, display_email
from hanji.subscribers.forms import NewslettersForm, SubscribeForm
from hanji.subscribers.links import PREFERENCES, read_unsubscribe_token
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus
from hanji.subscribers.queries import newsletters_of, subscriber_newsletter_ids
from hanji.subscribers.sessions import start_reader_session

# Per client address: this many subscribe requests per window, whatever the addresses.
SUBSCRIBE_LIMIT, SUBSCRIBE_PERIOD = 10, 600


def publication_of(request: HttpRequest) -> Publication:
    if request.publication is None:
        raise Http404
    return request.publication


def request_info(request: HttpRequest, channel: str) -> actions.RequestInfo:
    return actions.RequestInfo(
        ip=ratelimit.client_ip(request) if request.META.get("REMOTE_ADDR") else None,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:500],
        channel=channel,
    )


def too_many(request: HttpRequest) -> HttpResponse:
    response = render(request, "subscribers/too_many.html", status=429)
    response["Retry-After"] = str(SUBSCRIBE_PERIOD)
    return response


def bad_link(request: HttpRequest, error: BadToken) -> HttpResponse:
    """One clear page for tampered, expired and used links; nothing has changed."""
    reason = "used" if isinstance(error, actions.TokenUsed) else str(error)
    return render(request, "subscribers/bad_link.html", {"reason": reason}, status=400)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    publication = publication_of(request)
    newsletters = list(newsletters_of(publication))
    if request.method == "GET":
        return render(
            request, "subscribers/subscribe.html", {"form": SubscribeForm(newsletters=newsletters)}
        )
    form = SubscribeForm(request.POST, newsletters=newsletters)
    if not ratelimit.allow(
        "subscribe-ip", ratelimit.client_ip(request), limit=SUBSCRIBE_LIMIT, period=SUBSCRIBE_PERIOD
    ):
        return too_many(request)
    if form.is_robot:
        # Answer as if it worked: a robot learns nothing, and nobody is mailed.
        return render(request, "subscribers/check_email.html", {"email": ""})
    if not form.is_valid():
        return render(request, "subscribers/subscribe.html", {"form": form}, status=400)
    data = form.cleaned_data
    origin = signup_origin(request, publication)
    try:
        actions.subscribe(
            publication,
            data["email"],
            name=data["name"],
            newsletter_ids=data["newsletters"],
            advertising=data["advertising"],
            info=request_info(request, request.META.get("HTTP_REFERER", "form")[:200] or "form"),
            next_path=data["next"],
            kind=origin.kind,
            post=origin.post,
            source=origin.source,
        )
    except InvalidEmail as error:  # pragma: no cover - the form checked it already
        form.add_error("email", error.message)
        return render(request, "subscribers/subscribe.html", {"form": form}, status=400)
    # The same answer whether the address was new, pending, active or suppressed.
    return render(request, "subscribers/check_email.html", {"email": display_email(data["email"])})


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    publication = publication_of(request)
    try:
        subscriber, payload = actions.read_confirm_token(publication, token)
    except BadToken as error:
        return bad_link(request, error)
    if request.method == "GET":
        newsletters = Newsletter.objects.filter(publication=publication, pk__in=payload[2])
        return render(
            request,
            "subscribers/confirm.html",
            {"email": display_email(subscriber.email), "newsletters": newsletters},
        )
    try:
        subscriber = actions.confirm_subscription(
            publication, token, request_info(request, "confirm link")
        )
    except BadToken as error:
        return bad_link(request, error)
    # The link proved the mailbox, as a sign-in link does: the reader is signed in here and
    # may comment at once, without waiting for a second email.
    start_reader_session(request, publication, subscriber)
    return render(
        request,
        "subscribers/confirmed.html",
        {
            "email": display_email(subscriber.email),
            "newsletters": newsletters_of(publication).filter(subscriptions__subscriber=subscriber),
            "preferences_url": actions_preferences_path(publication, subscriber),
            "next": actions.confirm_next(payload),
        },
    )


def actions_preferences_path(publication: Publication, subscriber: Subscriber) -> str:
    from hanji.subscribers.links import preferences_url

    return preferences_url(publication, subscriber.pk)


def _read_link(purpose: str, publication: Publication, token: str) -> list:
    return read_token(purpose, publication.pk, token)


@transaction.atomic
def _leave(
    subscriber: Subscriber,
    newsletter: Newsletter | None,
    info: actions.RequestInfo,
    send_id: int | None,
) -> None:
    """Unsubscribe; when the link came in a send's message, that send caused it."""
    from hanji.sending.events import unsubscribed

    if actions.unsubscribe(subscriber, newsletter, info):
        unsubscribed(send_id, subscriber.pk, info.channel)


@csrf_exempt  # RFC 8058: mail providers POST with no token or cookie; the link is the secret
@never_cache
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    publication = publication_of(request)
    try:
        subscriber_id, newsletter_id, send_id = read_unsubscribe_token(publication.pk, token)
    except BadToken as error:
        if request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click":
            return HttpResponse(status=400)
        return bad_link(request, error)
    subscriber = Subscriber.objects.filter(publication=publication, pk=subscriber_id).first()
    newsletter = (
        Newsletter.objects.filter(publication=publication, pk=newsletter_id).first()
        if newsletter_id
        else None
    )
    one_click = request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    if subscriber is None:
        # Deleted meanwhile: nothing left to mail, so the unsubscribe has nothing to do.
        return (
            HttpResponse(status=200)
            if one_click
            else render(request, "subscribers/unsubscribed.html", {"everything": True})
        )
    info = request_info(request, "one-click" if one_click else "unsubscribe link")
    if one_click:
        _leave(subscriber, newsletter, info, send_id)
        return HttpResponse(status=200)
    # Only what the page's form offers, as its choice says: a POST that names neither (no
    # body, a scanner, another form) is shown the page again, never taken as "everything".
    choices = ("newsletter", "all") if newsletter else ("all",)
    scope = request.POST.get("scope")
    if request.method == "POST" and scope in choices:
        everything = scope == "all"
        _leave(subscriber, None if everything else newsletter, info, send_id)
        return render(
            request,
            "subscribers/unsubscribed.html",
            {
                "everything": everything,
                "newsletter": newsletter,
                # Other newsletters still arrive: one more button stops them too.
                "others": not everything and subscriber.subscriptions.exists(),
                "preferences_url": actions_preferences_path(publication, subscriber),
            },
        )
    return render(
        request,
        "subscribers/unsubscribe.html",
        {
            "email": display_email(subscriber.email),
            "newsletter": newsletter,
            "already": subscriber.status in (SubscriberStatus.UNSUBSCRIBED,),
        },
        status=400 if request.method == "POST" else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    """The page every email links to: choose newsletters, withdraw advertising consent."""
    publication = publication_of(request)
    try:
        (subscriber_id,) = _read_link(PREFERENCES, publication, token)
    except (BadToken, TypeError, ValueError) as error:
        return bad_link(request, error if isinstance(error, BadToken) else BadToken("invalid"))
    subscriber = Subscriber.objects.filter(publication=publication, pk=subscriber_id).first()
    if subscriber is None:
        return bad_link(request, BadToken("gone"))
    newsletters = list(newsletters_of(publication))
    saved = False
    info = request_info(request, "preferences link")
    if request.method == "POST":
        form = NewslettersForm(request.POST, newsletters=newsletters)
        if request.POST.get("withdraw_advertising"):
            actions.withdraw_advertising(subscriber, info)
            saved = True
        elif form.is_valid():
            actions.set_newsletters(subscriber, form.cleaned_data["newsletters"], info)
            saved = True
        subscriber.refresh_from_db()
    form = NewslettersForm(
        initial={"newsletters": list(subscriber_newsletter_ids(subscriber))},
        newsletters=newsletters,
    )
    return render(
        request,
        "subscribers/preferences.html",
        {
            "subscriber": subscriber,
            "email": display_email(subscriber.email),
            "form": form,
            "saved": saved,
            "complained": subscriber.status == SubscriberStatus.COMPLAINED,
        },
    )

"""The reader's account under /account/: magic-link sign-in (no passwords), newsletter
choices, email change confirmed at the new address, JSON export, delete.

A reader is signed in to one publication at a time per key: the session holds the
subscriber id under `hanji.reader.<publication id>`. The session lasts SESSION_COOKIE_AGE
(180 days) and signing out removes the key.
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from hanji.core import ratelimit
from hanji.core.nextpath import safe_next
from hanji.core.tokens import BadToken
from hanji.subscribers import actions
from hanji.subscribers.addresses import InvalidEmail, display_email
from hanji.subscribers.forms import ChangeEmailForm, NewslettersForm, SignInForm
from hanji.subscribers.models import SubscriberStatus
from hanji.subscribers.queries import newsletters_of, subscriber_newsletter_ids
from hanji.subscribers.sessions import end_reader_session, signed_in_reader, start_reader_session
from hanji.subscribers.views import bad_link, publication_of, request_info, too_many

SIGN_IN_LIMIT, SIGN_IN_PERIOD = 10, 600


def _account_page(request, publication, subscriber, **extra) -> HttpResponse:
    newsletters = list(newsletters_of(publication))
    context = {
        "subscriber": subscriber,
        "email": display_email(subscriber.email),
        "newsletters_form": NewslettersForm(
            initial={"newsletters": list(subscriber_newsletter_ids(subscriber))},
            newsletters=newsletters,
        ),
        "email_form": ChangeEmailForm(),
        "complained": subscriber.status == SubscriberStatus.COMPLAINED,
        **extra,
    }
    return render(request, "subscribers/account.html", context, status=extra.get("status", 200))


@never_cache
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Signed in: the account page. Otherwise the sign-in form (POST mails a link that comes
    back to `next`, the page the reader came from)."""
    publication = publication_of(request)
    subscriber = signed_in_reader(request, publication)
    next_path = safe_next(request.POST.get("next") or request.GET.get("next"))
    if subscriber is not None and request.method == "GET":
        if next_path:
            return redirect(next_path)  # already signed in: straight back
        return _account_page(request, publication, subscriber, message=request.GET.get("done"))
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if not ratelimit.allow(
            "sign-in-ip", ratelimit.client_ip(request), limit=SIGN_IN_LIMIT, period=SIGN_IN_PERIOD
        ):
            return too_many(request)
        if form.is_valid():
            try:
                actions.request_sign_in(
                    publication,
                    form.cleaned_data["email"],
                    request_info(request, "sign-in"),
                    next_path=next_path,
                )
            except InvalidEmail:  # pragma: no cover - the form checked it
                pass
            # The same answer whether the address subscribes here or not.
            return render(
                request,
                "subscribers/check_email.html",
                {"email": display_email(form.cleaned_data["email"]), "sign_in": True},
            )
    return render(
        request,
        "subscribers/sign_in.html",
        {"form": form, "next": next_path},
        status=400 if form.errors else 200,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, token: str) -> HttpResponse:
    publication = publication_of(request)
    try:
        subscriber = actions.read_sign_in_token(publication, token)
    except BadToken as error:
        return bad_link(request, error)
    if request.method == "GET":
        return render(
            request, "subscribers/sign_in_confirm.html", {"email": display_email(subscriber.email)}
        )
    try:
        subscriber = actions.sign_in(publication, token, request_info(request, "sign-in link"))
    except BadToken as error:
        return bad_link(request, error)
    start_reader_session(request, publication, subscriber)
    # A reader sent to sign in from a page (the membership checkout) goes back to it.
    back = safe_next(request.session.pop("hanji_after_sign_in", ""))
    return redirect(actions.sign_in_next(publication, token) or back or "subscribers:account")


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    publication = publication_of(request)
    end_reader_session(request, publication)
    next_path = safe_next(request.POST.get("next"))
    return redirect(next_path or "subscribers:account")


def _reader_or_redirect(request: HttpRequest):
    publication = publication_of(request)
    subscriber = signed_in_reader(request, publication)
    return publication, subscriber


@never_cache
@require_POST
def newsletters(request: HttpRequest) -> HttpResponse:
    publication, subscriber = _reader_or_redirect(request)
    if subscriber is None:
        return redirect("subscribers:account")
    form = NewslettersForm(request.POST, newsletters=list(newsletters_of(publication)))
    info = request_info(request, "account")
    if request.POST.get("withdraw_advertising"):
        actions.withdraw_advertising(subscriber, info)
    elif form.is_valid():
        actions.set_newsletters(subscriber, form.cleaned_data["newsletters"], info)
    return redirect(reverse("subscribers:account") + "?done=saved")


@never_cache
@require_POST
def change_email(request: HttpRequest) -> HttpResponse:
    publication, subscriber = _reader_or_redirect(request)
    if subscriber is None:
        return redirect("subscribers:account")
    form = ChangeEmailForm(request.POST)
    if not form.is_valid():
        return _account_page(request, publication, subscriber, email_form_errors=form, status=400)
    try:
        actions.request_email_change(subscriber, form.cleaned_data["email"])
    except InvalidEmail as error:  # pragma: no cover - the form checked it
        return HttpResponse(str(error.message), status=400)
    return _account_page(
        request,
        publication,
        subscriber,
        message="email-sent",
        new_email=display_email(form.cleaned_data["email"]),
    )


@never_cache
@require_http_methods(["GET", "POST"])
def email_change(request: HttpRequest, token: str) -> HttpResponse:
    publication = publication_of(request)
    if request.method == "GET":
        try:
            new_email = actions.read_email_change_token(publication, token)
        except (BadToken, TypeError, ValueError) as error:
            return bad_link(request, error if isinstance(error, BadToken) else BadToken("invalid"))
        return render(
            request, "subscribers/email_change_confirm.html", {"email": display_email(new_email)}
        )
    try:
        subscriber = actions.confirm_email_change(
            publication, token, request_info(request, "email change link")
        )
    except actions.EmailTaken:
        return render(request, "subscribers/email_taken.html", status=409)
    except (BadToken, TypeError, ValueError) as error:
        return bad_link(request, error if isinstance(error, BadToken) else BadToken("invalid"))
    return render(
        request, "subscribers/email_changed.html", {"email": display_email(subscriber.email)}
    )


@never_cache
def export(request: HttpRequest) -> HttpResponse:
    publication, subscriber = _reader_or_redirect(request)
    if subscriber is None:
        return redirect("subscribers:account")
    data = actions.export_data(subscriber)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = (
        f'attachment; filename="{publication.slug}-my-data-{stamp}.json"'
    )
    return response


@never_cache
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest) -> HttpResponse:
    publication, subscriber = _reader_or_redirect(request)
    if subscriber is None:
        return redirect("subscribers:account")
    if request.method == "GET":
        return render(
            request, "subscribers/delete.html", {"email": display_email(subscriber.email)}
        )
    actions.delete_subscriber(subscriber, request_info(request, "account"))
    end_reader_session(request, publication)
    return render(request, "subscribers/deleted.html", {"message": _("Your data is deleted.")})

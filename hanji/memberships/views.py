"""Membership pages (thin: parse → get → act → render) and the providers' webhooks."""

from __future__ import annotations

import logging
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from hanji.core.csp import allow_more
from hanji.core.params import parse_int
from hanji.engagement.readers import current_reader
from hanji.memberships import actions, events, queries
from hanji.memberships.models import Checkout, CheckoutStatus, Period
from hanji.memberships.providers import ProviderError, get_provider
from hanji.posts.models import Post
from hanji.subscribers.sessions import start_reader_session

logger = logging.getLogger(__name__)
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


def _publication(request: HttpRequest):
    if request.publication is None:
        raise Http404
    return request.publication


def _safe_next(request: HttpRequest, value: str) -> str:
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts=None):
        return value[:300]
    return ""


@never_cache
@require_http_methods(["GET"])
def plans(request: HttpRequest) -> HttpResponse:
    """Tiers and prices; the signed-in reader chooses one, sees the renewal terms, accepts."""
    publication = _publication(request)
    options = queries.settings_of(publication)
    reader = current_reader(request) if request.session.session_key else None
    back = _safe_next(request, request.GET.get("next", ""))
    post_id = parse_int(request.GET.get("post") or "0", default=0)
    if reader is None:
        # After the magic link the reader comes back here, then to the post.
        here = reverse("memberships:plans") + (f"?next={back}&post={post_id}" if back else "")
        request.session["hanji_after_sign_in"] = here
    member = queries.member_of(reader) if reader else None
    return render(
        request,
        "memberships/plans.html",
        {
            "tiers": list(queries.paid_tiers(publication).filter(active=True)),
            "ready": queries.paid_ready(publication, options),
            "reader": reader,
            "member": member if member and member.has_access() else None,
            "next": back,
            "post_id": post_id or "",
            "renewals": queries.renewal_dates(),
            "terms_version": options.terms_version,
        },
    )


@never_cache
@require_POST
def checkout(request: HttpRequest) -> HttpResponse:
    publication = _publication(request)
    reader = current_reader(request)
    if reader is None:
        return redirect("subscribers:account")
    tier = (
        queries.paid_tiers(publication)
        .filter(pk=parse_int(request.POST.get("tier") or "0", default=0))
        .first()
    )
    period = request.POST.get("period", "")
    post = (
        Post.objects.published()
        .filter(publication=publication, pk=parse_int(request.POST.get("post") or "0", default=0))
        .first()
    )
    back = _safe_next(request, request.POST.get("next", ""))
    if tier is None or period not in Period.values:
        messages.error(request, _("Choose a tier and a period."))
        return redirect("memberships:plans")
    try:
        order = actions.open_checkout(
            reader,
            tier,
            period,
            accepted_terms=request.POST.get("accept_terms") == "1",
            language=get_language() or "",
            return_path=back,
            source_post=post,
            coupon_code=request.POST.get("coupon", "")[:40],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(reverse("memberships:plans") + (f"?next={back}" if back else ""))
    provider = get_provider(order.provider, queries.settings_of(publication))
    done = request.build_absolute_uri(reverse("memberships:checkout_done", args=[order.order_id]))
    try:
        start = provider.start_checkout(
            order,
            success_url=done,
            cancel_url=request.build_absolute_uri(reverse("memberships:plans")),
        )
    except Exception:  # the provider is down or refused: say so, keep the reader's choice
        logger.exception("could not start a %s checkout", order.provider)
        messages.error(request, _("The payment service did not answer. Please try again."))
        return redirect("memberships:plans")
    if start.redirect_url:
        return redirect(start.redirect_url)
    return _portone_page(
        request,
        "memberships/portone_checkout.html",
        {
            "order": order,
            "request_params": start.browser,
            "complete_url": reverse("memberships:portone_complete", args=[order.order_id]),
        },
    )


def _portone_page(request: HttpRequest, template: str, values: dict) -> HttpResponse:
    """A page that opens PortOne's payment window: its script, and the card companies'
    pages it frames, allowed by this page's own policy (hanji.core.csp)."""
    sdk_url = settings.HANJI_PORTONE_BROWSER_SDK
    response = render(request, template, {**values, "sdk_url": sdk_url})
    sdk = urlsplit(sdk_url)
    sdk_origin = f"{sdk.scheme}://{sdk.netloc}"
    return allow_more(
        request,
        response,
        script_src=[sdk_origin],
        connect_src=[sdk_origin, "https://*.portone.io"],
        frame_src=["https:"],
    )


def _order_of(request: HttpRequest, order_id: str) -> Checkout:
    reader = current_reader(request)
    order = (
        Checkout.objects.filter(publication=_publication(request), order_id=order_id)
        .select_related("tier", "subscriber")
        .first()
    )
    if order is None or reader is None or order.subscriber_id != reader.pk:
        raise Http404
    return order


@never_cache
@require_POST
def portone_complete(request: HttpRequest, order_id: str) -> HttpResponse:
    """The browser got a billing key: the server charges and checks, then grants."""
    order = _order_of(request, order_id)
    billing_key = request.POST.get("billing_key", "").strip()[:200]
    if not billing_key:
        return JsonResponse({"ok": False, "message": _("The card was not registered.")}, status=400)
    provider = get_provider("portone", queries.settings_of(order.publication))
    try:
        with transaction.atomic():
            order = Checkout.objects.select_for_update().get(pk=order.pk)
            member = provider.complete_checkout(order, billing_key)
    except ProviderError:
        member = None
    if member is None:
        return JsonResponse(
            {"ok": False, "message": _("The payment did not go through. No money was taken.")},
            status=402,
        )
    return JsonResponse({"ok": True, "next": _landing(order)})


def _landing(order: Checkout) -> str:
    if order.return_path:
        return order.return_path
    if order.source_post_id:
        return reverse("site:post", kwargs={"slug": order.source_post.slug})
    return reverse("memberships:account")


@never_cache
@require_http_methods(["GET"])
def checkout_done(request: HttpRequest, order_id: str) -> HttpResponse:
    """Back from Stripe Checkout: ask Stripe (server to server) how the session ended."""
    order = _order_of(request, order_id)
    if order.status == CheckoutStatus.OPEN and order.provider == "stripe":
        provider = get_provider("stripe", queries.settings_of(order.publication))
        try:
            with transaction.atomic():
                provider.settle_checkout(order)
        except Exception:
            logger.exception("could not read Stripe checkout %s", order.order_id)
        order.refresh_from_db()
    if order.status == CheckoutStatus.PAID:
        messages.success(request, _("Welcome! Your membership is active."))
        return redirect(_landing(order))
    return render(request, "memberships/pending.html", {"order": order})


@never_cache
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    publication = _publication(request)
    reader = current_reader(request)
    if reader is None:
        request.session["hanji_after_sign_in"] = reverse("memberships:account")
        return redirect("subscribers:account")
    member = queries.member_of(reader)
    if request.method == "POST" and member is not None:
        what = request.POST.get("do", "")
        try:
            url = actions.change_membership(
                member, what, request.POST.get("period", ""), request.build_absolute_uri()
            )
        except (ValidationError, ProviderError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
            return redirect("memberships:account")
        if url:
            return redirect(url)
        messages.success(request, _("Saved."))
        return redirect("memberships:account")
    return render(
        request,
        "memberships/account.html",
        {
            "member": member,
            "payments": list(member.payments.all()[:24]) if member else [],
            "next_charge": queries.next_charge(member) if member else None,
            "provider": member.provider if member else "",
            "publication": publication,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def card(request: HttpRequest) -> HttpResponse:
    """A PortOne member changes their card: the page asks PortOne's window for a new
    billing key (requestIssueBillingKey); the POST hands it to the server, which checks it
    with PortOne before it replaces the old one."""
    reader = current_reader(request)
    member = queries.member_of(reader) if reader is not None else None
    if member is None or member.provider != "portone" or member.status == "ended":
        raise Http404
    if request.method == "POST":
        try:
            actions.change_card(member, request.POST.get("billing_key", "")[:200])
        except (ValidationError, ProviderError) as error:
            logger.info("card change of member %s refused: %s", member.pk, error)
            return JsonResponse(
                {
                    "ok": False,
                    "message": _("The new card was not registered. Your card is unchanged."),
                },
                status=400,
            )
        messages.success(request, _("Your new card is registered."))
        return JsonResponse({"ok": True, "next": reverse("memberships:account")})
    provider = get_provider("portone", queries.settings_of(member.publication))
    issue_id = f"card-{member.pk}-{secrets.token_hex(6)}"
    start = provider.start_card_change(member, issue_id)
    return _portone_page(
        request,
        "memberships/portone_card.html",
        {"member": member, "request_params": start.browser, "complete_url": request.path},
    )


# --- gifts -------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def gift(request: HttpRequest) -> HttpResponse:
    """Buy a membership for someone else: the signed-in buyer chooses tier, months and the
    recipient; the provider takes one payment; the recipient gets a link."""
    from hanji.memberships import gifts

    publication = _publication(request)
    reader = current_reader(request) if request.session.session_key else None
    if reader is None:
        request.session["hanji_after_sign_in"] = reverse("memberships:gift")
    if request.method == "POST" and reader is not None:
        tier = (
            queries.paid_tiers(publication)
            .filter(pk=parse_int(request.POST.get("tier") or "0", default=0))
            .first()
        )
        try:
            if tier is None:
                raise ValidationError(_("This tier is not offered."))
            order = gifts.open_gift(
                reader,
                tier,
                parse_int(request.POST.get("months") or "0", default=0),
                request.POST.get("recipient", ""),
                request.POST.get("message", ""),
                language=get_language() or "",
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("memberships:gift")
        provider = get_provider(order.provider, queries.settings_of(publication))
        done = request.build_absolute_uri(reverse("memberships:gift_done", args=[order.order_id]))
        start = provider.start_gift(
            order, success_url=done, cancel_url=request.build_absolute_uri()
        )
        if start.redirect_url:
            return redirect(start.redirect_url)
        return _portone_page(
            request,
            "memberships/portone_gift.html",
            {"order": order, "request_params": start.browser, "done_url": done},
        )
    return render(
        request,
        "memberships/gift.html",
        {
            "tiers": list(queries.paid_tiers(publication).filter(active=True)),
            "ready": queries.paid_ready(publication),
            "reader": reader,
            "months": gifts.MONTHS,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def gift_done(request: HttpRequest, order_id: str) -> HttpResponse:
    """Back from paying for a gift: the provider is asked (server to server) whether it was paid."""
    from hanji.memberships.models import Gift, GiftStatus

    reader = current_reader(request)
    order = (
        Gift.objects.filter(publication=_publication(request), order_id=order_id)
        .select_related("tier", "publication", "buyer")
        .first()
    )
    if order is None or reader is None or order.buyer_id != reader.pk:
        raise Http404
    if order.status == GiftStatus.OPEN:
        provider = get_provider(order.provider, queries.settings_of(order.publication))
        try:
            with transaction.atomic():
                provider.settle_gift(order)
        except Exception:
            logger.exception("could not settle gift %s", order.order_id)
        order.refresh_from_db()
    return render(request, "memberships/gift_done.html", {"order": order})


@never_cache
@require_http_methods(["GET", "POST"])
def gift_redeem(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners open links); POST redeems, once, and signs in."""
    from hanji.memberships import gifts

    publication = _publication(request)
    try:
        order = gifts.gift_from_token(publication, token)
    except ValidationError as error:
        return render(
            request, "memberships/gift_redeem.html", {"error": " ".join(error.messages)}, status=400
        )
    if request.method == "GET":
        return render(request, "memberships/gift_redeem.html", {"order": order})
    try:
        member = gifts.redeem(publication, token)
    except ValidationError as error:
        return render(
            request,
            "memberships/gift_redeem.html",
            {"order": order, "error": " ".join(error.messages)},
            status=409,
        )
    start_reader_session(request, publication, member.subscriber)
    messages.success(request, _("Your gift membership has started."))
    return redirect("memberships:account")

"""The creator's membership screens in the studio: overview and figures, members (keyset
pages, CSV), tiers, comps, and billing settings. Thin views over queries, stats and actions."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from hanji.core.params import parse_int
from hanji.memberships import actions, queries, stats
from hanji.memberships.forms import BillingForm, TierForm
from hanji.memberships.models import MembershipSettings, MemberStatus, Tier
from hanji.publications.links import absolute_url
from hanji.studio.pages import keyset_page
from hanji.studio.queries import Access
from hanji.studio.views.base import context, publication_view
from hanji.studio.views.plumbing import csv_download
from hanji.subscribers.exporter import neutralize
from hanji.subscribers.models import Subscriber


@require_safe
@publication_view("subscribers")
def overview(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    tiers = list(Tier.objects.filter(publication=publication))
    figures = stats.overview_figures(publication)
    counts = figures["counts"]
    table = [(t, [(s, counts.get((t.pk, s), 0)) for s in MemberStatus.values]) for t in tiers]
    revenue = figures["monthly_revenue"]
    peak = max([amount for rows in revenue.values() for _m, amount in rows] or [0]) or 1
    return render(
        request,
        "memberships/studio/overview.html",
        context(
            access,
            statuses=MemberStatus.choices,
            table=table,
            revenue=figures["recurring"],
            movement=figures["movement"],
            chart={
                c: [(m, a, round(100 * a / peak)) for m, a in rows] for c, rows in revenue.items()
            },
            failed=list(stats.failed_payments(publication, 20)),
            per_post=figures["per_post"],
            ready=queries.paid_ready(publication),
        ),
    )


@require_safe
@publication_view("subscribers")
def member_list(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    tier = parse_int(request.GET.get("tier") or "0", default=0)
    status = request.GET.get("status", "")
    status = status if status in MemberStatus.values else ""
    page = keyset_page(
        request,
        stats.members_of(publication, tier=tier, status=status).select_related(
            "subscriber", "tier"
        ),
    )
    return render(
        request,
        "memberships/studio/members.html",
        context(
            access,
            members=page.rows,
            page=page,
            tiers=Tier.objects.filter(publication=publication),
            statuses=MemberStatus.choices,
            params={"tier": tier, "status": status},
        ),
    )


@require_safe
@publication_view("subscribers")
def member_export(request: HttpRequest, access: Access) -> StreamingHttpResponse:
    publication = access.publication

    def rows():
        yield [
            "email",
            "tier",
            "status",
            "period",
            "amount",
            "currency",
            "started_at",
            "period_end",
        ]
        before = None
        while True:
            page = stats.members_page(publication, before_id=before, size=1000)
            for m in page:
                yield [
                    neutralize(m.subscriber.email),
                    neutralize(m.tier.name),
                    m.status,
                    m.period,
                    m.amount,
                    m.currency,
                    m.started_at.isoformat(),
                    m.current_period_end.isoformat() if m.current_period_end else "",
                ]
            if len(page) < 1000:
                return
            before = page[-1].pk

    return csv_download(rows(), f"{publication.slug}-members.csv")


@require_http_methods(["GET", "POST"])
@publication_view("settings")
def tiers(request: HttpRequest, access: Access, tier_id: int | None = None) -> HttpResponse:
    publication = access.publication
    tier = get_object_or_404(Tier, publication=publication, pk=tier_id) if tier_id else None
    form = TierForm(request.POST or None, instance=tier or Tier(publication=publication))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_tier(
                publication,
                tier=tier,
                name=data["name"],
                slug=data["slug"],
                monthly_price=data["monthly_price"],
                yearly_price=data["yearly_price"],
                currency=data["currency"],
                benefits=data["benefits"],
                trial_days=data["trial_days"],
                active=data["active"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("memberships_studio:tiers", slug=publication.slug)
    return render(
        request,
        "memberships/studio/tiers.html",
        context(
            access,
            form=form,
            editing=tier,
            tiers=Tier.objects.filter(publication=publication),
        ),
    )


@require_POST
@publication_view("settings")
def comp(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    email = request.POST.get("email", "").strip()
    subscriber = Subscriber.objects.filter(publication=publication, email__iexact=email).first()
    try:
        if subscriber is None:
            raise ValidationError(_("Nobody with that address subscribes here."))
        if request.POST.get("do") == "revoke":
            actions.revoke(subscriber)
        else:
            tier = get_object_or_404(
                Tier,
                publication=publication,
                pk=parse_int(request.POST.get("tier") or "0", default=0),
            )
            actions.grant_comp(subscriber, tier)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Saved."))
    return redirect("memberships_studio:members", slug=publication.slug)


@require_http_methods(["GET", "POST"])
@publication_view("billing")
def billing(request: HttpRequest, access: Access) -> HttpResponse:
    publication = access.publication
    options = MembershipSettings.objects.filter(publication=publication).first() or (
        MembershipSettings(publication=publication)
    )
    form = BillingForm(
        request.POST if request.POST.get("section") == "billing" else None, instance=options
    )
    if request.method == "POST":
        if request.POST.get("section") == "billing" and form.is_valid():
            try:
                actions.update_billing(publication, form.cleaned_data)
            except ValidationError as refused:
                form.add_error(None, refused)
            else:
                messages.success(request, _("Saved."))
                return redirect("memberships_studio:billing", slug=publication.slug)
        if request.POST.get("section") == "switch":
            try:
                if request.POST.get("on") == "1":
                    actions.turn_on_paid(publication)
                else:
                    actions.turn_off_paid(publication)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Saved."))
            return redirect("memberships_studio:billing", slug=publication.slug)
    return render(
        request,
        "memberships/studio/billing.html",
        context(
            access,
            screen="billing",
            form=form,
            options=options,
            missing=queries.missing_for_paid(publication, options),
            provider_ready=queries.provider_ready(options),
            hooks={
                p: absolute_url(publication, "memberships:webhook", provider=p)
                for p in ("stripe", "portone")
            },
        ),
    )


@require_http_methods(["GET", "POST"])
@publication_view("settings")
def coupons(request: HttpRequest, access: Access) -> HttpResponse:
    from hanji.memberships.forms import CouponForm
    from hanji.memberships.models import Coupon

    publication = access.publication
    form = CouponForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.save_coupon(
                publication,
                code=data["code"],
                kind=data["kind"],
                value=data["value"],
                months=data["months"],
                max_redemptions=data["max_redemptions"],
                expires_at=data["expires_at"],
                currency=data["currency"] or "",
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("memberships_studio:coupons", slug=publication.slug)
    return render(
        request,
        "memberships/studio/coupons.html",
        context(
            access,
            form=form,
            coupons=Coupon.objects.filter(publication=publication).order_by("-id"),
        ),
    )

"""Verified provider events become member changes here, for both providers.

    receive(publication, provider, body, headers) -> (HTTP status, outcome)

1. The provider verifies the signature (a bad, missing, stale or unsigned call, or one with
   no secret configured, changes nothing and answers 400).
2. The event id is recorded once (ProviderEvent is unique): a duplicate or a replay answers
   200 and changes nothing.
3. The provider's handler re-reads what it needs from the provider's API (the current
   subscription or payment), so events that come out of order leave the state right.
Steps 2 and 3 share one transaction: if the handler fails (the API is down), the event is
not recorded and the provider's retry is handled in full later.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from hanji.analytics.signups import count_paid_signup
from hanji.memberships import states
from hanji.memberships.models import (
    Checkout,
    CheckoutStatus,
    Coupon,
    Member,
    MemberStatus,
    Payment,
    PaymentStatus,
    Period,
    ProviderEvent,
    TrialUse,
)
from hanji.memberships.providers import BadSignature, ProviderError, get_provider

logger = logging.getLogger(__name__)


def receive(publication, provider_name: str, body: bytes, headers) -> tuple[int, str]:
    from hanji.memberships.queries import settings_of

    try:
        provider = get_provider(provider_name, settings_of(publication))
        event = provider.verify_webhook(body, headers)
    except BadSignature as error:
        logger.warning(
            "refused a %s webhook for publication %s: %s", provider_name, publication.pk, error
        )
        return 400, "bad signature"
    except ProviderError:
        return 404, "unknown provider"
    try:
        with transaction.atomic():
            record = ProviderEvent.objects.create(
                publication=publication,
                provider=provider_name,
                event_id=event.id,
                kind=event.kind[:100],
            )
            outcome = provider.handle(publication, event)
            ProviderEvent.objects.filter(pk=record.pk).update(outcome=outcome[:200])
    except IntegrityError:
        return 200, "duplicate"
    logger.info("%s webhook %s %s: %s", provider_name, event.kind, event.id, outcome)
    return 200, outcome


@transaction.atomic
def grant_from_checkout(
    checkout: Checkout,
    *,
    trial: bool,
    period_end: datetime | None,
    customer: str = "",
    subscription: str = "",
    billing_key: str = "",
) -> Member:
    """The membership a paid (or trial) checkout buys; run once per checkout."""
    member = Member.objects.select_for_update().filter(subscriber_id=checkout.subscriber_id)
    member = member.first() or Member(
        publication_id=checkout.publication_id, subscriber_id=checkout.subscriber_id
    )
    if checkout.status == CheckoutStatus.PAID and member.pk:
        return member
    member.tier_id, member.period = checkout.tier_id, checkout.period
    member.amount, member.currency = checkout.amount, checkout.currency
    member.provider, member.provider_customer = checkout.provider, customer
    member.provider_subscription, member.billing_key = subscription, billing_key
    member.terms_version, member.terms_accepted_at = (
        checkout.terms_version,
        checkout.terms_accepted_at,
    )
    member.language, member.source_post_id = checkout.language, checkout.source_post_id
    member.discounted_amount, member.discount_charges_left = _discount(checkout, trial)
    states.apply(member, "start", trial=trial, period_end=period_end)
    count_paid_signup(member)
    Checkout.objects.filter(pk=checkout.pk).update(status=CheckoutStatus.PAID)
    checkout.status = CheckoutStatus.PAID
    if trial:
        email = member.subscriber.email.lower()
        TrialUse.objects.get_or_create(publication_id=checkout.publication_id, email=email)
    return member


def _discount(checkout: Checkout, trial: bool) -> tuple[int | None, int | None]:
    """(discounted price, charges left at it after this one) of a checkout's coupon. The
    redemption is counted here, when it is paid for, not when a checkout is opened."""
    coupon = checkout.coupon
    if coupon is None:
        return None, None
    counted = (
        Coupon.objects.filter(pk=coupon.pk)
        .filter(Q(max_redemptions__isnull=True) | Q(redeemed__lt=F("max_redemptions")))
        .update(redeemed=F("redeemed") + 1)
    )
    if not counted:  # the last one went to someone else while this reader paid: honoured
        Coupon.objects.filter(pk=coupon.pk).update(redeemed=F("redeemed") + 1)
        logger.info("coupon %s redeemed past its limit by checkout %s", coupon.pk, checkout.pk)
    if coupon.months is None:
        return coupon.discounted(checkout.amount), None
    charges = coupon.months if checkout.period == Period.MONTH else -(-coupon.months // 12)
    left = max(0, charges - (0 if trial else 1))
    return (coupon.discounted(checkout.amount), left) if left else (None, None)


def set_price(member: Member, amount: int, discounted: int | None) -> None:
    """The price a provider that owns the schedule (Stripe) charges the member now; its
    discount is counted there, so no charges are counted here."""
    if (member.amount, member.discounted_amount, member.discount_charges_left) == (
        amount,
        discounted,
        None,
    ):
        return
    member.amount, member.discounted_amount, member.discount_charges_left = (
        amount,
        discounted,
        None,
    )
    if member.pk:
        member.save(
            update_fields=["amount", "discounted_amount", "discount_charges_left", "updated_at"]
        )


def sync_status(member: Member, target: str, period_end: datetime | None, cancelling: bool) -> str:
    """Bring `member` to the provider's current word: target is trialing, active, past_due
    or ended; `cancelling` says it ends at the period's end."""
    s = MemberStatus
    if target == "ended":
        if member.status != s.ENDED:
            states.apply(member, "end", period_end=period_end)
        return "ended"
    if member.status in (s.ENDED, s.COMPED, s.GIFT):
        states.apply(member, "start", trial=target == "trialing", period_end=period_end)
    if target == "past_due":
        if member.status in states.ALLOWED["payment_failed"]:
            states.apply(member, "payment_failed", period_end=period_end)
    elif member.status == s.PAST_DUE or (member.status in (s.TRIALING,) and target == "active"):
        states.apply(member, "renewed", period_end=period_end)
    elif period_end is not None and member.current_period_end != period_end:
        member.current_period_end = period_end
        member.save(update_fields=["current_period_end", "updated_at"])
    if cancelling and member.status != s.CANCELLING and target != "past_due":
        states.apply(member, "cancel")
    elif not cancelling and member.status == s.CANCELLING:
        states.apply(member, "resume")
    return member.status


def record_payment(
    member: Member,
    payment_id: str,
    *,
    amount: int,
    currency: str,
    status: str,
    period_end: datetime | None = None,
    failure: str = "",
) -> tuple[Payment, bool]:
    """A receipt or a failed charge, once per provider payment id: (payment, created)."""
    payment, created = Payment.objects.get_or_create(
        provider=member.provider,
        provider_payment_id=payment_id,
        defaults={
            "publication_id": member.publication_id,
            "member": member,
            "amount": amount,
            "currency": currency,
            "status": status,
            "period_end": period_end,
            "failure": failure[:300],
            "created_at": timezone.now(),
        },
    )
    if not created and payment.status != status and status == PaymentStatus.REFUNDED:
        Payment.objects.filter(pk=payment.pk).update(status=status)
    return payment, created

"""Changes to tiers and members. Member status changes go through hanji.memberships.states."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.core.changes import apply_changes
from hanji.memberships import states
from hanji.memberships.access import forget_access
from hanji.memberships.models import (
    Checkout,
    Coupon,
    CouponKind,
    Currency,
    Member,
    MembershipSettings,
    MemberStatus,
    Period,
    PostTier,
    Tier,
    TrialUse,
)
from hanji.subscribers.models import Subscriber

logger = logging.getLogger(__name__)


def save_tier(
    publication,
    *,
    name: str,
    slug: str,
    monthly_price: int = 0,
    yearly_price: int = 0,
    currency: str = Currency.KRW,
    benefits: str = "",
    trial_days: int = 0,
    is_free: bool = False,
    tier: Tier | None = None,
    active: bool | None = None,
) -> Tier:
    """Create or edit a tier. Members already on it keep the price they signed up at
    (Member.amount); a new price applies to new members only. `active` None leaves it."""
    if currency not in Currency.values:
        raise ValidationError(_("Choose KRW or USD."))
    if not is_free and (monthly_price <= 0 and yearly_price <= 0):
        raise ValidationError(_("A paid tier needs a monthly or a yearly price."))
    if monthly_price < 0 or yearly_price < 0 or trial_days < 0:
        raise ValidationError(_("Prices and trial days cannot be negative."))
    tier = tier or Tier(publication=publication)
    tier.name, tier.slug, tier.currency = name.strip(), slug.strip(), currency
    tier.monthly_price, tier.yearly_price = (0, 0) if is_free else (monthly_price, yearly_price)
    tier.benefits, tier.trial_days, tier.is_free = benefits, trial_days, is_free
    if active is not None:
        tier.active = active
    tier.full_clean(exclude=["publication"])
    tier.save()
    return tier


def limit_post_to_tiers(post, tiers: list[Tier]) -> None:
    """Open a paid post to these tiers only (an empty list: every paid tier)."""
    if any(t.publication_id != post.publication_id or t.is_free for t in tiers):
        raise ValidationError(_("Only this publication's paid tiers can be chosen."))
    with transaction.atomic():
        PostTier.objects.filter(post=post).exclude(tier__in=tiers).delete()
        for tier in tiers:
            PostTier.objects.get_or_create(post=post, tier=tier)


def grant_comp(subscriber: Subscriber, tier: Tier, until: datetime | None = None) -> Member:
    """A complimentary membership, granted by the creator (no payment, no provider)."""
    if tier.publication_id != subscriber.publication_id or tier.is_free:
        raise ValidationError(_("Choose a paid tier of this publication."))
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(subscriber=subscriber).first() or Member(
            publication_id=subscriber.publication_id, subscriber=subscriber
        )
        if member.pk and member.status in states.PAYING and member.has_access():
            raise ValidationError(_("This reader already pays for a membership."))
        member.tier, member.amount, member.currency = tier, 0, tier.currency
        states.apply(member, "comp", period_end=until)
        if until is None:
            Member.objects.filter(pk=member.pk).update(current_period_end=None)
            member.current_period_end = None
    forget_access(subscriber)
    logger.info("membership comped: subscriber %s tier %s", subscriber.pk, tier.pk)
    return member


def revoke(subscriber: Subscriber) -> Member | None:
    """End a membership now (support work, comps). A paying member's subscription at the
    provider is not touched here; cancel it there first."""
    with transaction.atomic():
        member = Member.objects.select_for_update().filter(subscriber=subscriber).first()
        if member is None or member.status == MemberStatus.ENDED:
            return member
        states.apply(member, "end")
    forget_access(subscriber)
    return member


def cancel_at_period_end(member: Member) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status == MemberStatus.CANCELLING:
            return member
        if member.status not in states.ALLOWED["cancel"]:
            raise ValidationError(_("This membership cannot be cancelled."))
        return states.apply(member, "cancel")


def resume(member: Member) -> Member:
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        if member.status != MemberStatus.CANCELLING:
            raise ValidationError(_("Only a cancelled membership can be resumed."))
        if member.current_period_end and member.current_period_end <= timezone.now():
            raise ValidationError(_("This membership has already ended; subscribe again."))
        return states.apply(member, "resume")


def open_checkout(
    subscriber: Subscriber,
    tier: Tier,
    period: str,
    *,
    accepted_terms: bool,
    language: str = "",
    return_path: str = "",
    source_post=None,
    coupon_code: str = "",
) -> Checkout:
    """A reader's order before paying: the price is fixed here (from the tier as it is now)
    and the acceptance of the recurring-payment terms is recorded with their version."""
    from hanji.memberships.queries import member_of, paid_ready, settings_of

    publication = subscriber.publication
    options = settings_of(publication)
    if not paid_ready(publication, options):
        raise ValidationError(_("This publication does not take payments yet."))
    if tier.publication_id != publication.pk or tier.is_free or not tier.active:
        raise ValidationError(_("This tier is not offered."))
    if period not in Period.values or tier.price(period) <= 0:
        raise ValidationError(_("This tier has no price for that period."))
    if not accepted_terms:
        raise ValidationError(_("Please read and accept the recurring-payment terms."))
    member = member_of(subscriber)
    if member is not None and member.has_access() and member.status != MemberStatus.ENDED:
        raise ValidationError(_("You are already a member."))
    coupon = find_coupon(publication, coupon_code, tier) if coupon_code.strip() else None
    trial_taken = TrialUse.objects.filter(
        publication=publication, email=subscriber.email.lower()
    ).exists()
    return Checkout.objects.create(
        publication=publication,
        subscriber=subscriber,
        tier=tier,
        period=period,
        amount=tier.price(period),
        currency=tier.currency,
        provider=options.provider,
        order_id=f"hanji-{secrets.token_hex(12)}",
        return_path=return_path[:300],
        source_post=source_post,
        terms_version=options.terms_version or "1",
        terms_accepted_at=timezone.now(),
        language=language[:8],
        trial_days=0 if trial_taken else tier.trial_days,
        coupon=coupon,
        first_amount=coupon.discounted(tier.price(period)) if coupon else None,
    )


def turn_on_paid(publication) -> None:
    """Switch paid tiers on; refused while the business information, the terms or the
    payment provider's settings are incomplete (each missing item is named)."""
    from hanji.memberships.queries import missing_for_paid, provider_ready, settings_of

    options = settings_of(publication)
    missing = missing_for_paid(publication, options)
    if missing:
        raise ValidationError(
            _("Fill these in before taking payments: %(fields)s") % {"fields": ", ".join(missing)}
        )
    if not provider_ready(options):
        raise ValidationError(_("Choose a payment provider and enter its keys first."))
    options.paid_enabled = True
    options.save()


def turn_off_paid(publication) -> None:
    """Stop taking new payments (members keep what they paid for)."""
    MembershipSettings.objects.filter(publication=publication).update(paid_enabled=False)


BILLING_FIELDS = [
    "provider",
    "past_due_grace_days",
    "mail_order_office",
    "hosting_provider",
    "terms_version",
    "stripe_publishable_key",
    "stripe_secret_key",
    "stripe_webhook_secret",
    "portone_store_id",
    "portone_channel_key",
    "portone_api_secret",
    "portone_webhook_secret",
]


def update_billing(publication, changes: dict) -> list[str]:
    """The payment provider, its keys and the legal extras (the row is made on first save).
    Raises ValidationError."""
    options = MembershipSettings.objects.filter(publication=publication).first() or (
        MembershipSettings(publication=publication)
    )
    return apply_changes(options, changes, BILLING_FIELDS)


def change_membership(member: Member, what: str, period: str, return_url: str) -> str:
    """The reader's own changes from the account page; returns a URL to go to, or "".
    Stripe is told first and its answer read back; for PortOne, Hanji is the schedule."""
    from hanji.memberships.providers import get_provider
    from hanji.memberships.queries import settings_of

    provider = (
        get_provider(member.provider, settings_of(member.publication)) if member.provider else None
    )
    if what == "card":
        if provider is None:
            raise ValidationError(_("There is no card on this membership."))
        return provider.manage_url(member, return_url)
    if what in ("cancel", "resume"):
        if provider is not None:
            provider.set_cancel_at_period_end(member, what == "cancel")
        (cancel_at_period_end if what == "cancel" else resume)(member)
        return ""
    if what == "switch":
        if period not in Period.values or period == member.period:
            raise ValidationError(_("Choose the other period."))
        amount = member.tier.price(period)
        if amount <= 0:
            raise ValidationError(_("This tier has no price for that period."))
        if provider is not None:
            provider.switch_period(member, period, amount)
        member.period, member.amount = period, amount
        member.save(update_fields=["period", "amount", "updated_at"])
        return ""
    raise ValidationError(_("Unknown request."))


def change_card(member: Member, billing_key: str) -> None:
    """A PortOne member's new card: the browser's billing key is checked with PortOne (issued,
    this store, this member), replaces the old one, and the old one is deleted at PortOne.
    ValidationError or ProviderError when it is refused; then nothing changed."""
    from hanji.memberships.providers import get_provider
    from hanji.memberships.queries import settings_of

    billing_key = billing_key.strip()
    if member.provider != "portone" or member.status == MemberStatus.ENDED:
        raise ValidationError(_("There is no card on this membership."))
    if not billing_key:
        raise ValidationError(_("The card was not registered."))
    provider = get_provider("portone", settings_of(member.publication))
    provider.check_billing_key(member, billing_key)
    with transaction.atomic():
        locked = Member.objects.select_for_update().get(pk=member.pk)
        old = locked.billing_key
        if old == billing_key:
            return
        locked.billing_key = billing_key
        locked.save(update_fields=["billing_key", "updated_at"])
    member.billing_key = billing_key
    logger.info("member %s changed their card", member.pk)
    if old:
        provider.delete_billing_key(old)  # never charged again either way


def find_coupon(publication, code: str, tier: Tier) -> Coupon:
    """The coupon a reader typed, if it may still be used; else a clear reason."""
    coupon = Coupon.objects.filter(publication=publication, code__iexact=code.strip()).first()
    if coupon is None:
        raise ValidationError(_("There is no coupon with that code."))
    if coupon.expires_at is not None and coupon.expires_at <= timezone.now():
        raise ValidationError(_("This coupon has expired."))
    if coupon.max_redemptions is not None and coupon.redeemed >= coupon.max_redemptions:
        raise ValidationError(_("This coupon has been used as many times as it can be."))
    if coupon.kind == CouponKind.AMOUNT and coupon.currency != tier.currency:
        raise ValidationError(_("This coupon is for prices in another currency."))
    return coupon


def save_coupon(
    publication,
    *,
    code: str,
    kind: str,
    value: int,
    months: int | None = None,
    max_redemptions: int | None = None,
    expires_at=None,
    currency: str = "",
) -> Coupon:
    if kind not in CouponKind.values:
        raise ValidationError(_("Choose percent or amount off."))
    if value <= 0 or (kind == CouponKind.PERCENT and value > 100):
        raise ValidationError(_("A percent is between 1 and 100; an amount is more than 0."))
    if kind == CouponKind.AMOUNT and currency not in Currency.values:
        raise ValidationError(_("An amount off needs its currency."))
    coupon = Coupon(
        publication=publication,
        code=code.strip(),
        kind=kind,
        value=value,
        months=months,
        max_redemptions=max_redemptions,
        expires_at=expires_at,
        currency=currency if kind == CouponKind.AMOUNT else "",
    )
    coupon.full_clean(exclude=["publication"])
    coupon.save()
    return coupon

"""Changes to tiers and members. Member status changes go through hanji.memberships.states."""

from __future__ import annotations

import logging
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.memberships import states
from hanji.memberships.access import forget_access
from hanji.memberships.models import (
    Currency,
    Member,
    MemberStatus,
    PostTier,
    Tier,
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
) -> Tier:
    """Create or edit a tier. Members already on it keep the price they signed up at
    (Member.amount); a new price applies to new members only."""
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

"""Gift memberships: the buyer pays once (months × the monthly price, or the yearly price for
12 months), the recipient gets an emailed link and redeems it once.

    open_gift(buyer, tier, months, recipient_email)   the order, before paying
    mark_paid(gift)                                    after the provider confirmed; emails the link
    redeem(publication, token)                         once; a second time says so
"""

from __future__ import annotations

import logging
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.analytics.models import SignupKind
from hanji.analytics.signups import count_gained, record_signup
from hanji.core import emails
from hanji.core.tokens import BadToken, make_token, read_token
from hanji.memberships import states
from hanji.memberships.models import Gift, GiftStatus, Member, MemberStatus, Tier
from hanji.memberships.providers.portone import period_after
from hanji.publications.links import absolute_url
from hanji.subscribers import counts
from hanji.subscribers.models import Subscriber, SubscriberStatus

logger = logging.getLogger(__name__)
GIFT = "gift"
MONTHS = (1, 3, 6, 12)
REDEEM_MAX_AGE = 365 * 86400


def price(tier: Tier, months: int) -> int:
    if months == 12 and tier.yearly_price:
        return tier.yearly_price
    return tier.monthly_price * months


def open_gift(
    buyer: Subscriber,
    tier: Tier,
    months: int,
    recipient_email: str,
    message: str = "",
    language: str = "",
) -> Gift:
    from hanji.memberships.queries import paid_ready, settings_of

    publication = buyer.publication
    options = settings_of(publication)
    if not paid_ready(publication, options):
        raise ValidationError(_("This publication does not take payments yet."))
    if tier.publication_id != publication.pk or tier.is_free or not tier.active:
        raise ValidationError(_("This tier is not offered."))
    if months not in MONTHS or price(tier, months) <= 0:
        raise ValidationError(_("Choose 1, 3, 6 or 12 months."))
    try:
        validate_email(recipient_email.strip())
    except ValidationError:
        raise ValidationError(_("Enter the recipient's email address.")) from None
    return Gift.objects.create(
        publication=publication,
        buyer=buyer,
        tier=tier,
        months=months,
        amount=price(tier, months),
        currency=tier.currency,
        recipient_email=recipient_email.strip().lower(),
        message=message.strip()[:500],
        provider=options.provider,
        order_id=f"gift-{secrets.token_hex(12)}",
        language=language[:8],
    )


def redeem_token(gift: Gift) -> str:
    return make_token(GIFT, gift.publication_id, [gift.pk])


def mark_paid(gift: Gift) -> bool:
    """The provider confirmed the payment (server side): once, then the recipient is told."""
    done = Gift.objects.filter(pk=gift.pk, status=GiftStatus.OPEN).update(status=GiftStatus.PAID)
    if not done:
        return False
    gift.status = GiftStatus.PAID
    url = absolute_url(gift.publication, "memberships:gift_redeem", token=redeem_token(gift))
    transaction.on_commit(
        lambda: emails.send(
            "membership-gift",
            gift.recipient_email,
            {
                "tier": gift.tier.name,
                "months": gift.months,
                "redeem_url": url,
                "gift_message": gift.message,
            },
            gift.publication,
            language=gift.language,
        )
    )
    return True


def gift_from_token(publication, token: str) -> Gift:
    try:
        (gift_id,) = read_token(GIFT, publication.pk, token, max_age=REDEEM_MAX_AGE)
    except (BadToken, ValueError):
        raise ValidationError(_("This gift link is not valid.")) from None
    gift = Gift.objects.select_related("tier").filter(pk=gift_id, publication=publication).first()
    if gift is None:
        raise ValidationError(_("This gift link is not valid."))
    return gift


@transaction.atomic
def redeem(publication, token: str) -> Member:
    """Once: the recipient becomes a gift member for the months bought (added to the end of a
    gift or comp they already have). A second redemption is refused, with its reason."""
    gift = gift_from_token(publication, token)
    gift = Gift.objects.select_for_update().get(pk=gift.pk)
    if gift.status == GiftStatus.REDEEMED:
        raise ValidationError(_("This gift has already been redeemed."))
    if gift.status != GiftStatus.PAID:
        raise ValidationError(_("This gift has not been paid for yet."))
    now = timezone.now()
    subscriber, created = Subscriber.objects.get_or_create(
        publication=publication,
        email=gift.recipient_email,
        defaults={"status": SubscriberStatus.ACTIVE, "created_at": now, "confirmed_at": now},
    )
    if created:
        counts.added(publication.pk, SubscriberStatus.ACTIVE)
        record_signup(subscriber, SignupKind.GIFT)
        count_gained(subscriber)
    member = Member.objects.select_for_update().filter(subscriber=subscriber).first()
    if member is not None and member.status in states.PAYING and member.has_access(now):
        raise ValidationError(
            _("You already pay for a membership here; the gift can be redeemed after it ends.")
        )
    start = now
    if member is not None and member.status in (MemberStatus.GIFT, MemberStatus.COMPED):
        start = max(now, member.current_period_end or now)
    member = member or Member(publication=publication, subscriber=subscriber)
    member.tier, member.amount, member.currency, member.provider = gift.tier, 0, gift.currency, ""
    end = start
    for _month in range(gift.months):
        end = period_after(end, "month")
    states.apply(member, "gift", period_end=end, now=now)
    Gift.objects.filter(pk=gift.pk).update(
        status=GiftStatus.REDEEMED, redeemed_by=member, redeemed_at=now
    )
    return member

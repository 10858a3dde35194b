"""Reads: who is a member with access, settings, the numbers the studio shows."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from hanji.memberships.models import Member, MembershipSettings, MemberStatus, PostTier, Tier
from hanji.posts.models import Visibility
from hanji.subscribers.models import Subscriber, SubscriberStatus

DEFAULT_GRACE_DAYS = 7


def settings_of(publication) -> MembershipSettings:
    found = MembershipSettings.objects.filter(publication=publication).first()
    return found or MembershipSettings(publication=publication)


def grace_days(publication_id: int) -> int:
    value = (
        MembershipSettings.objects.filter(publication_id=publication_id)
        .values_list("past_due_grace_days", flat=True)
        .first()
    )
    return DEFAULT_GRACE_DAYS if value is None else value


def with_access(now: datetime | None = None, grace: int = DEFAULT_GRACE_DAYS) -> Q:
    """Members whose membership opens paid content at `now` (Member.has_access as a filter)."""
    now = now or timezone.now()
    s = MemberStatus
    return (
        Q(status__in=(s.ACTIVE, s.TRIALING))
        | Q(status=s.COMPED, current_period_end__isnull=True)
        | Q(status__in=(s.COMPED, s.CANCELLING, s.GIFT), current_period_end__gt=now)
        | Q(status=s.PAST_DUE, past_due_since__gt=now - timedelta(days=grace))
    )


def paid_tiers(publication) -> QuerySet[Tier]:
    return Tier.objects.filter(publication=publication, is_free=False)


def email_tiers(post) -> dict[int, str]:
    """{tier id: slug} of the members who get a post's paid email variant."""
    limited = PostTier.objects.filter(post_id=post.pk).values_list("tier_id", "tier__slug")
    if post.visibility == Visibility.PAID and (found := dict(limited)):
        return found
    return dict(paid_tiers(post.publication_id).values_list("id", "slug"))


def paying_subscribers(publication, post=None) -> QuerySet[Subscriber]:
    """Active subscribers whose membership opens `post` in full (any paid tier without a post),
    for the paid email variant (hanji.sending.recipients)."""
    members = Member.objects.filter(publication=publication, tier__is_free=False).filter(
        with_access(grace=grace_days(publication.pk))
    )
    if post is not None:
        members = members.filter(tier_id__in=list(email_tiers(post)))
    return Subscriber.objects.filter(
        publication=publication,
        status=SubscriberStatus.ACTIVE,
        pk__in=members.values("subscriber_id"),
    )


def member_of(subscriber: Subscriber) -> Member | None:
    return Member.objects.filter(subscriber=subscriber).select_related("tier").first()


def missing_for_paid(publication, options: MembershipSettings | None = None) -> list[str]:
    """What Korean e-commerce law (전자상거래법 제10조) asks to show before paid tiers can be
    turned on, as the names of the fields still empty."""
    from django.utils.translation import gettext as _

    options = options or settings_of(publication)
    needed = [
        (publication.company_name, _("company name")),
        (publication.representative, _("representative")),
        (publication.address, _("address")),
        (publication.phone, _("phone")),
        (publication.contact_email, _("contact email")),
        (publication.business_number, _("business registration number")),
        (publication.mail_order_number, _("mail-order business report number")),
        (options.mail_order_office, _("office that issued the mail-order report number")),
        (options.hosting_provider, _("hosting provider")),
        (publication.terms.strip(), _("terms of service")),
        (publication.privacy.strip(), _("privacy policy")),
        (publication.recurring_terms.strip(), _("recurring-payment terms")),
    ]
    return [label for value, label in needed if not value]


def provider_ready(options: MembershipSettings) -> bool:
    if options.provider == "stripe":
        return bool(options.stripe_secret_key and options.stripe_webhook_secret)
    if options.provider == "portone":
        return bool(
            options.portone_api_secret
            and options.portone_webhook_secret
            and options.portone_store_id
            and options.portone_channel_key
        )
    return False


def paid_ready(publication, options: MembershipSettings | None = None) -> bool:
    """Paid tiers are on: switched on, a provider set up, and nothing the law asks missing."""
    options = options or settings_of(publication)
    return (
        options.paid_enabled
        and provider_ready(options)
        and not missing_for_paid(publication, options)
    )


def renewal_dates(now: datetime | None = None) -> dict[str, datetime]:
    from hanji.memberships.providers.portone import period_after

    now = now or timezone.now()
    return {"month": period_after(now, "month"), "year": period_after(now, "year")}


def next_charge(member: Member) -> tuple[datetime, int, str] | None:
    """(when, amount, currency) of the member's next charge, or None when none is coming."""
    if member.status not in (MemberStatus.ACTIVE, MemberStatus.TRIALING, MemberStatus.PAST_DUE):
        return None
    when = member.next_retry_at if member.status == MemberStatus.PAST_DUE else None
    when = when or member.current_period_end
    return (when, member.amount, member.currency) if when else None

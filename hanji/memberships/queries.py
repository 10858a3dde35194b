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

"""The one access function: what a reader may read of a post. Every channel asks it (the web
page, the email variants, RSS and Atom, search, meta tags and JSON-LD, the view beacon,
comments), so "who may read this" is decided in exactly one place.

    can_read(reader, post) -> bool        the whole post (past the paywall divider)?
    visible_body(reader, post) -> str     the body HTML this reader may be shown

`reader` is the signed-in Subscriber of the post's publication, or None for anyone else.
A reader who may not read the whole post gets the part above the paywall divider (nothing
when there is none); members-only blocks are kept only for the readers they name, wherever
they stand in the body.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from hanji.posts.body import filter_blocks, split_at_paywall
from hanji.posts.models import Post, Visibility
from hanji.subscribers.models import Subscriber, SubscriberStatus


@dataclass(frozen=True, slots=True)
class ReaderAccess:
    confirmed: bool  # a confirmed (active) subscriber
    tier_ids: frozenset[int] = frozenset()  # paid tiers open to this reader right now
    tier_slugs: frozenset[str] = frozenset()

    @property
    def paid(self) -> bool:
        return bool(self.tier_ids)


ANONYMOUS = ReaderAccess(confirmed=False)
_CACHE_ATTRIBUTE = "_hanji_access"


def reader_access(reader: Subscriber | None) -> ReaderAccess:
    """What this reader's subscription and membership open now (one query, kept on the
    subscriber object for the rest of the request)."""
    if reader is None:
        return ANONYMOUS
    cached = reader.__dict__.get(_CACHE_ATTRIBUTE)
    if cached is not None:
        return cached
    from hanji.memberships.models import Member, MemberStatus
    from hanji.memberships.queries import DEFAULT_GRACE_DAYS, grace_days

    confirmed = reader.status == SubscriberStatus.ACTIVE
    member = Member.objects.filter(subscriber_id=reader.pk).select_related("tier").first()
    access = ReaderAccess(confirmed=confirmed)
    past_due = member is not None and member.status == MemberStatus.PAST_DUE
    grace = grace_days(reader.publication_id) if past_due else DEFAULT_GRACE_DAYS
    if (
        member is not None
        and not member.tier.is_free
        and member.tier.publication_id == reader.publication_id
        and member.has_access(timezone.now(), grace)
    ):
        access = ReaderAccess(confirmed, frozenset({member.tier_id}), frozenset({member.tier.slug}))
    reader.__dict__[_CACHE_ATTRIBUTE] = access
    return access


def forget_access(reader: Subscriber) -> None:
    reader.__dict__.pop(_CACHE_ATTRIBUTE, None)


def post_tier_ids(post_id: int) -> frozenset[int]:
    """The tiers a paid post is limited to; empty means every paid tier."""
    from hanji.memberships.models import PostTier

    return frozenset(PostTier.objects.filter(post_id=post_id).values_list("tier_id", flat=True))


def may_read(access: ReaderAccess, visibility: str, post_id: int | None) -> bool:
    if visibility == Visibility.PUBLIC:
        return True
    if visibility == Visibility.SUBSCRIBERS:
        return access.confirmed or access.paid
    if not access.paid:
        return False
    allowed = post_tier_ids(post_id) if post_id else frozenset()
    return not allowed or bool(access.tier_ids & allowed)


def may_see_block(access: ReaderAccess, kind: str, tier_slug: str) -> bool:
    if kind == "subscribers":
        return access.confirmed or access.paid
    if kind == "members":
        return access.paid
    if kind == "tier":
        return tier_slug in access.tier_slugs
    return False


def can_read(reader: Subscriber | None, post) -> bool:
    """Whether `reader` may read the whole of `post` (a Post, or anything with `pk`,
    `publication_id` and `visibility`)."""
    if reader is not None and reader.publication_id != post.publication_id:
        reader = None  # a reader of another publication is nobody here
    return may_read(reader_access(reader), post.visibility, post.pk)


def body_for(access: ReaderAccess, post, whole: bool | None = None) -> tuple[str, bool]:
    """(the body HTML `access` may see, whether it was cut at the paywall)."""
    if whole is None:
        whole = may_read(access, post.visibility, post.pk)
    body, cut = post.body, False
    if not whole:
        free, rest = split_at_paywall(body)
        body, cut = (free if rest or free != body else ""), True
    return filter_blocks(body, lambda kind, slug: may_see_block(access, kind, slug)), cut


def visible_body(reader: Subscriber | None, post) -> str:
    """The body HTML `reader` may be shown of `post` (see the module's docstring)."""
    if reader is not None and reader.publication_id != post.publication_id:
        reader = None
    return body_for(reader_access(reader), post)[0]


def public_body(post) -> str:
    """What anyone may see: for feeds, previews, search snippets and meta descriptions."""
    return body_for(ANONYMOUS, post)[0]


def readable_posts(reader: Subscriber | None, publication) -> QuerySet[Post]:
    """The publication's posts `reader` may read whole: `can_read` as a query (search)."""
    from django.db.models import Exists, OuterRef, Q

    from hanji.memberships.models import PostTier

    if reader is not None and reader.publication_id != publication.pk:
        reader = None
    access = reader_access(reader)
    allowed = Q(visibility=Visibility.PUBLIC)
    if access.confirmed or access.paid:
        allowed |= Q(visibility=Visibility.SUBSCRIBERS)
    if access.paid:
        limited = PostTier.objects.filter(post=OuterRef("pk"))
        open_to_reader = limited.filter(tier_id__in=access.tier_ids)
        allowed |= Q(visibility=Visibility.PAID) & (~Exists(limited) | Exists(open_to_reader))
    return Post.objects.filter(publication=publication).filter(allowed)


def without_blocks(post) -> str:
    """The body with every members-only block taken out (what search may quote to readers
    who may read the whole post: a block's text, such as a chat room's password, is never
    found or quoted)."""
    return filter_blocks(post.body, lambda kind, slug: False)


def differs_by_reader(post) -> bool:
    """Whether readers may see different versions of this post's page."""
    from hanji.posts.body import has_blocks

    return post.visibility != Visibility.PUBLIC or has_blocks(post.body)


def email_access(post, paid: bool) -> ReaderAccess:
    """Whom an email variant is written for. Every recipient is a confirmed subscriber; the
    paid variant goes to the members who may read the whole post (hanji.memberships.queries.
    paying_subscribers), so it may hold only what all of them may see: a `{tier:SLUG}` block
    stays only when every such member is of that tier."""
    if not paid:
        return ReaderAccess(confirmed=True)
    from hanji.memberships.queries import email_tiers

    tiers = email_tiers(post)
    slugs = frozenset(tiers.values()) if len(tiers) == 1 else frozenset()
    return ReaderAccess(True, frozenset(tiers), slugs)


def email_body(post, paid: bool) -> tuple[str, bool]:
    """(the body of the free or paid email variant, whether it was cut at the paywall)."""
    return body_for(email_access(post, paid), post)

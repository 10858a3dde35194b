"""Reads over subscribers: segments, recipients of a send, permission-checked getters."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import BooleanField, Exists, Func, OuterRef, QuerySet

from hanji.publications.models import Publication
from hanji.subscribers import figures
from hanji.subscribers.models import (
    Newsletter,
    Segment,
    Subscriber,
    SubscriberStatus,
    Subscription,
)


class HasAnyTag(Func):
    """True when the JSON list in `tags` holds any of the given strings.

    PostgreSQL keeps JSONField as jsonb, where `?|` tests array elements and the GIN index
    `subscriber_tags` answers it; SQLite reads the list with json_each. (Django's has_any_keys
    means object keys on SQLite, not elements.)
    """

    output_field = BooleanField()

    def __init__(self, field: str, tags: Sequence[str]):
        self.tags = [str(tag) for tag in tags]
        super().__init__(field)

    def as_sql(self, compiler, connection, **extra):  # SQLite and others
        column, params = compiler.compile(self.source_expressions[0])
        marks = ", ".join(["%s"] * len(self.tags))
        # A row can only hold a tag whose JSON string is in its text: instr() rules most rows
        # out before json_each parses any (2-5x faster over a million). Django writes the
        # list with non-ASCII escaped, an import writes it as is, so both spellings are looked
        # for.
        needles = sorted(
            {json.dumps(tag, ensure_ascii=ascii) for tag in self.tags for ascii in (True, False)}
        )
        found = " OR ".join([f"instr({column}, %s) > 0"] * len(needles))
        sql = (
            f"(({found}) AND "
            f"EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value IN ({marks})))"
        )
        found_params = [value for needle in needles for value in (*params, needle)]
        return sql, (*found_params, *params, *self.tags)

    def as_postgresql(self, compiler, connection, **extra):
        column, params = compiler.compile(self.source_expressions[0])
        return f"({column} ?| %s::text[])", (*params, self.tags)


def subscribers_of(publication: Publication) -> QuerySet[Subscriber]:
    return Subscriber.objects.filter(publication=publication)


def publication_zone(publication: Publication) -> ZoneInfo:
    return zone_named(publication.time_zone)


def zone_named(name: str) -> ZoneInfo:
    """A publication's time zone by its stored name (the site's when empty or unknown)."""
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def signup_bounds(
    publication: Publication, first_day: date | None, last_day: date | None
) -> tuple[datetime | None, datetime | None]:
    """Signup-date filters mean whole days in the publication's time zone, both included.

    Returns the instants for `filter_subscribers`: the start of `first_day` and the start of
    the day after `last_day` (excluded). A reader who signed up at 23:30 in Seoul on the 1st
    (14:30 UTC) signed up on the 1st; one at 00:30 on the 2nd (15:30 UTC on the 1st) did not.
    """
    zone = publication_zone(publication)

    def start(day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=zone)

    return (
        start(first_day) if first_day else None,
        start(last_day + timedelta(days=1)) if last_day else None,
    )


def filter_subscribers(
    queryset: QuerySet[Subscriber],
    *,
    statuses: Sequence[str] = (),
    newsletter: Newsletter | int | None = None,
    tags: Sequence[str] = (),
    signed_up_after: datetime | None = None,
    signed_up_before: datetime | None = None,
    source: str = "",
) -> QuerySet[Subscriber]:
    """The one place that turns segment criteria into a filter (segments, export, studio).

    `signed_up_after` is included and `signed_up_before` excluded; callers that filter by
    days get both from `signup_bounds`.
    """
    if statuses:
        queryset = queryset.filter(status__in=list(statuses))
    tags = [tag for tag in tags if tag]
    if tags:
        # Before the newsletter: SQLite tests the conditions in this order, and the tags'
        # text test rules most rows out for less than the subscription look-up costs.
        queryset = queryset.filter(HasAnyTag("tags", tags))
    if newsletter is not None:
        newsletter_id = newsletter if isinstance(newsletter, int) else newsletter.pk
        # A semi-join (EXISTS) never multiplies rows and uses the unique
        # (newsletter, subscriber) index on both databases.
        queryset = queryset.filter(
            Exists(
                Subscription.objects.filter(
                    newsletter_id=newsletter_id, subscriber_id=OuterRef("pk")
                )
            )
        )
    if signed_up_after:
        queryset = queryset.filter(created_at__gte=signed_up_after)
    if signed_up_before:
        queryset = queryset.filter(created_at__lt=signed_up_before)
    if source:
        queryset = queryset.filter(source=source)
    return queryset


def filter_by_segment(
    queryset: QuerySet[Subscriber], segment: Segment, publication: Publication
) -> QuerySet[Subscriber]:
    """Narrow `queryset` by the segment's criteria (its days in `publication`'s time zone)."""
    after, before = signup_bounds(publication, segment.signed_up_from, segment.signed_up_until)
    return filter_subscribers(
        queryset,
        statuses=segment.statuses or (),
        newsletter=segment.newsletter_id,
        tags=segment.tags or (),
        signed_up_after=after,
        signed_up_before=before,
        source=segment.source,
    )


def segment_queryset(segment: Segment) -> QuerySet[Subscriber]:
    """Every subscriber of the segment's publication that the segment's filter selects."""
    publication = segment.publication
    return filter_by_segment(subscribers_of(publication), segment, publication)


def segment_count(segment: Segment) -> int:
    return segment_queryset(segment).count()


def segment_counts(publication: Publication, segments: list[Segment]) -> dict[int, int]:
    """{segment id: subscribers in it}, cached until the subscribers or segments change
    (`figures.forget`); a page of segments counts only those not counted since."""
    by_id = {segment.pk: segment for segment in segments}
    return figures.segment_counts(
        publication.pk, by_id, lambda segment_id: segment_count(by_id[segment_id])
    )


def segment_recipients(
    publication: Publication, newsletter: Newsletter, segment: Segment | None = None
) -> QuerySet[Subscriber]:
    """Active subscribers of `newsletter` (in `segment`, when given), ordered by id.

    The sending engine snapshots its deliveries from this, so suppressed addresses and
    readers who left the newsletter never appear. A segment of another publication selects
    nobody rather than leaking across publications.
    """
    if newsletter.publication_id != publication.pk:
        return Subscriber.objects.none()
    queryset = filter_subscribers(
        subscribers_of(publication), statuses=[SubscriberStatus.ACTIVE], newsletter=newsletter
    )
    if segment is not None:
        if segment.publication_id != publication.pk:
            return Subscriber.objects.none()
        # The segment's own statuses still apply (a segment of "pending" selects no one).
        queryset = filter_by_segment(queryset, segment, publication)
    recipients = RecipientQuerySet(model=Subscriber, query=queryset.order_by("id").query)
    recipients.fast_count = (publication, newsletter, segment)
    return recipients


class RecipientQuerySet(QuerySet):
    """What segment_recipients returns: its own `.count()` takes the fast path of
    `recipient_count`. Any further filter makes a new queryset without it (Django's _clone
    does not copy the attribute), which counts the ordinary way."""

    fast_count: tuple | None = None

    def count(self) -> int:
        if self.fast_count is not None and self._result_cache is None:
            return recipient_count(*self.fast_count)
        return super().count()


def newsletters_of(publication: Publication) -> QuerySet[Newsletter]:
    return Newsletter.objects.filter(publication=publication)


def subscriber_newsletter_ids(subscriber: Subscriber) -> set[int]:
    return set(subscriber.subscriptions.values_list("newsletter_id", flat=True))


def get_subscriber_for_publication(publication: Publication, subscriber_id: int) -> Subscriber:
    """The subscriber `subscriber_id` only if it belongs to `publication` (else DoesNotExist)."""
    return Subscriber.objects.get(publication=publication, pk=subscriber_id)


def _narrows(segment: Segment | None, newsletter: Newsletter) -> bool:
    """Does the segment select fewer than all active subscribers of the newsletter?"""
    if segment is None:
        return False
    statuses = set(segment.statuses or ())
    return bool(
        (statuses and SubscriberStatus.ACTIVE not in statuses)
        or (segment.newsletter_id and segment.newsletter_id != newsletter.pk)
        or segment.tags
        or segment.signed_up_from
        or segment.signed_up_until
        or segment.source
    )


def recipient_count(
    publication: Publication, newsletter: Newsletter, segment: Segment | None = None
) -> int:
    """`segment_recipients(...).count()`, fast for the common case shown before a send.

    Counting every active subscriber of a newsletter by joining a million subscriptions with
    a million subscribers takes 300+ ms on PostgreSQL. Instead: the newsletter's
    subscriptions (one index-only range) less those whose subscriber is not active (found
    from the few non-active subscribers through the (publication, status) index).
    """
    if newsletter.publication_id != publication.pk or (
        segment is not None and segment.publication_id != publication.pk
    ):
        return 0
    if _narrows(segment, newsletter):
        return QuerySet.count(segment_recipients(publication, newsletter, segment))
    total = Subscription.objects.filter(newsletter=newsletter).count()
    inactive = Subscription.objects.filter(
        newsletter=newsletter,
        subscriber__publication=publication,
        subscriber__status__in=[s for s in SubscriberStatus.values if s != SubscriberStatus.ACTIVE],
    ).count()
    return total - inactive

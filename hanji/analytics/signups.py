"""Sign-ups and departures, kept as they happen: called by the subscribers' actions
(subscribe, confirm, unsubscribe, suppress, delete, import) and the memberships' grant and gift
redemption, inside their transactions. SubscriberDay and PostDay.signups are never recounted by
scanning subscribers (rebuild_signups can, once, for data older than these tables)."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from datetime import date, datetime

from django.conf import settings
from django.utils import timezone

from hanji.analytics import sources
from hanji.analytics.actions import upsert_add
from hanji.analytics.models import PostDay, SignupKind, SignupSource, SubscriberDay
from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.subscribers.models import Subscriber

KIND_OF_SOURCE = {"form": "other", "import": "import", "api": "api", "admin": "studio"}


def local_day(publication: Publication, when: datetime | None = None) -> date:
    zone = zoneinfo.ZoneInfo(publication.time_zone or settings.TIME_ZONE)
    return (when or timezone.now()).astimezone(zone).date()


def record_signup(
    subscriber: Subscriber,
    kind: str,
    *,
    post: Post | None = None,
    source: sources.Source | None = None,
) -> SignupSource:
    """Where a new subscriber came from (first touch: a later sign-up form changes nothing).
    `post` must be a post of the subscriber's publication (anything else is dropped)."""
    found = SignupSource.objects.filter(subscriber=subscriber).first()
    if found is not None:
        return found
    if kind not in SignupKind.values:
        kind = SignupKind.OTHER
    if post is not None and post.publication_id != subscriber.publication_id:
        post = None
    source = source or sources.Source()
    return SignupSource.objects.create(
        subscriber=subscriber,
        publication_id=subscriber.publication_id,
        kind=kind,
        post=post,
        channel=source.channel,
        referrer_host=source.host,
        utm_source=source.utm_source,
        utm_medium=source.utm_medium,
        utm_campaign=source.utm_campaign,
        created_at=timezone.now(),
    )


def _kind_and_post(subscriber: Subscriber) -> tuple[str, int | None]:
    row = SignupSource.objects.filter(subscriber=subscriber).values_list("kind", "post_id")
    found = row.first()
    if found is not None:
        return found
    return KIND_OF_SOURCE.get(subscriber.source, SignupKind.OTHER), None


def count_gained(subscriber: Subscriber) -> None:
    """The subscriber has just become active (confirmed, signed in, came back): one more
    gained today for their kind of form, and a sign-up for the post they subscribed on."""
    publication = subscriber.publication
    day = local_day(publication)
    kind, post_id = _kind_and_post(subscriber)
    upsert_add(
        SubscriberDay._meta.db_table,
        ["publication_id", "day", "kind"],
        ["gained", "lost"],
        [(publication.pk, day, kind, 1, 0)],
    )
    first_time = SignupSource.objects.filter(subscriber=subscriber, gained_on__isnull=True)
    if post_id is not None and first_time.update(gained_on=day):
        # Only the first confirmation is the post's sign-up; coming back later is not.
        upsert_add(
            PostDay._meta.db_table,
            ["post_id", "day"],
            ["views", "visitors", "signups", "paid_signups"],
            [(post_id, day, 0, 0, 1, 0)],
        )
    else:
        first_time.update(gained_on=day)


def count_lost(subscriber: Subscriber) -> None:
    """The subscriber was active and has just left (unsubscribed, bounced, complained,
    deleted): one more lost today for their kind of form."""
    kind, _post = _kind_and_post(subscriber)
    upsert_add(
        SubscriberDay._meta.db_table,
        ["publication_id", "day", "kind"],
        ["gained", "lost"],
        [(subscriber.publication_id, local_day(subscriber.publication), kind, 0, 1)],
    )


def count_imported(publication: Publication, created: int) -> None:
    """An import added `created` active subscribers (no SignupSource row each: an import
    of a million rows must stay one COPY; their kind is read from Subscriber.source)."""
    if created > 0:
        upsert_add(
            SubscriberDay._meta.db_table,
            ["publication_id", "day", "kind"],
            ["gained", "lost"],
            [(publication.pk, local_day(publication), SignupKind.IMPORT, created, 0)],
        )


def count_paid_signup(member) -> None:
    """A membership has just started: a paid sign-up for the post it was bought from (the
    checkout's post, else the post the reader first subscribed on)."""
    post_id = member.source_post_id
    if post_id is None:
        post_id = _kind_and_post(member.subscriber)[1]
    if post_id is None:
        return
    upsert_add(
        PostDay._meta.db_table,
        ["post_id", "day"],
        ["views", "visitors", "signups", "paid_signups"],
        [(post_id, local_day(member.subscriber.publication), 0, 0, 0, 1)],
    )


def rebuild_signups(publication: Publication) -> int:
    """Recount SubscriberDay and PostDay.signups of one publication from its subscribers
    (once, for data made before these aggregates existed). Returns the days written."""
    from django.db import transaction

    from hanji.subscribers.models import SubscriberStatus

    gained: Counter = Counter()
    lost: Counter = Counter()
    post_signups: Counter = Counter()
    kinds = dict(
        SignupSource.objects.filter(publication=publication).values_list("subscriber_id", "kind")
    )
    posts = dict(
        SignupSource.objects.filter(publication=publication, post__isnull=False).values_list(
            "subscriber_id", "post_id"
        )
    )
    rows = Subscriber.objects.filter(publication=publication, confirmed_at__isnull=False)
    for pk, source, status, confirmed_at, left_at in rows.values_list(
        "pk", "source", "status", "confirmed_at", "unsubscribed_at"
    ).iterator(chunk_size=5000):
        kind = kinds.get(pk) or KIND_OF_SOURCE.get(source, SignupKind.OTHER)
        day = local_day(publication, confirmed_at)
        gained[(day, kind)] += 1
        if pk in posts:
            post_signups[(posts[pk], day)] += 1
        if status != SubscriberStatus.ACTIVE and left_at is not None:
            lost[(local_day(publication, left_at), kind)] += 1
    with transaction.atomic():
        SubscriberDay.objects.filter(publication=publication).delete()
        SubscriberDay.objects.bulk_create(
            [
                SubscriberDay(
                    publication=publication, day=d, kind=k, gained=gained[(d, k)], lost=lost[(d, k)]
                )
                for d, k in sorted(set(gained) | set(lost))
            ],
            batch_size=1000,
        )
        PostDay.objects.filter(post__publication=publication).update(signups=0)
        upsert_add(
            PostDay._meta.db_table,
            ["post_id", "day"],
            ["views", "visitors", "signups", "paid_signups"],
            [(p, d, 0, 0, n, 0) for (p, d), n in sorted(post_signups.items())],
        )
    return len(set(gained) | set(lost))

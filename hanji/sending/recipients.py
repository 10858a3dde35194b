"""Where recipients come from (listmonk's first interface): the snapshot taken when a send is
prepared, and the check made again right before each message leaves."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from hanji.subscribers.models import Subscriber, SubscriberStatus, Subscription
from hanji.subscribers.queries import segment_recipients


def snapshot(send) -> QuerySet[Subscriber]:
    """Who a send goes to: active subscribers of its newsletter (and segment), ordered by id,
    less anyone who already received this post by an earlier send."""
    from hanji.sending.models import Delivery, DeliveryState

    recipients = segment_recipients(send.publication, send.newsletter, send.segment)
    already = Delivery.objects.filter(
        subscriber=OuterRef("pk"), send__post_id=send.post_id, state=DeliveryState.SENT
    )
    return recipients.exclude(Exists(already)).order_by("id")


def paid_subscribers(publication, post=None) -> QuerySet[Subscriber] | None:
    """Subscribers who get the paid variant of `post`: the members whose tier opens it in
    full (hanji.memberships.access decides; see its `email_access`)."""
    from hanji.memberships.queries import paying_subscribers

    return paying_subscribers(publication, post)


@dataclass(frozen=True, slots=True)
class Recipient:
    id: int
    email: str
    name: str
    night_consent: bool


def still_receiving(subscriber_ids: Iterable[int], newsletter_id: int) -> dict[int, Recipient]:
    """Of these subscribers, those who may be mailed this newsletter right now: status active
    and still subscribed. One query per chunk, made right before the chunk leaves, so an
    unsubscribe committed during a send stops mail to that address. (Plain SQL: it runs for
    every few dozen messages, and building it through the ORM cost more than running it.)"""
    ids = list(subscriber_ids)
    if not ids:
        return {}
    subscriber = connection.ops.quote_name(Subscriber._meta.db_table)
    subscription = connection.ops.quote_name(Subscription._meta.db_table)
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT s.id, s.email, s.name, s.night_consent_at FROM {subscriber} s"
        f" WHERE s.id IN ({marks}) AND s.status = %s AND EXISTS (SELECT 1 FROM {subscription} n"
        " WHERE n.newsletter_id = %s AND n.subscriber_id = s.id)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*ids, SubscriberStatus.ACTIVE.value, newsletter_id])
        rows = cursor.fetchall()
    return {row[0]: Recipient(row[0], row[1], row[2], row[3] is not None) for row in rows}

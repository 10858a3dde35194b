"""Preparing a send: compile its message once, then one Delivery row per recipient.

Rows are inserted set-based (INSERT … SELECT) in keyset pages of the recipient query, each
page its own short transaction, so no transaction is held for the whole list and a
preparation cut short resumes where it stopped (ON CONFLICT DO NOTHING on the unique pair).
"""

from __future__ import annotations

import logging

from django.db import connection, transaction

from hanji.sending import clock, conf, recipients, transitions
from hanji.sending.compose import MessageTooLarge, compile_send
from hanji.sending.models import Delivery, Send, SendLink
from hanji.sending.transitions import PREPARE_LEASE

logger = logging.getLogger(__name__)


def prepare(send_id: int) -> bool:
    """Prepare a send if it is due and nobody else is preparing it; True when it is ready to
    send (state `sending`)."""
    if not transitions.take_preparation(send_id):
        return False
    send = Send.objects.select_related("publication", "post", "newsletter", "segment").get(
        pk=send_id
    )
    paused = transitions.publication_paused(send.publication_id)
    if paused:
        transitions.pause(send_id, paused)
        return False
    if send.compiled is None:
        try:
            compiled = compile_send(send)
        except MessageTooLarge as error:
            transitions.fail(send_id, str(error))
            return False
        with transaction.atomic():
            SendLink.objects.filter(send=send).delete()
            SendLink.objects.bulk_create(
                SendLink(send=send, position=i, url=url) for i, url in enumerate(compiled["links"])
            )
            Send.objects.filter(pk=send_id).update(
                compiled=compiled, message_bytes=compiled["size"]
            )
    insert_deliveries(send)
    total = Delivery.objects.filter(send_id=send_id).count()
    if not transitions.start_sending(send_id, total):
        return False  # paused or cancelled while preparing
    logger.info("send %s prepared: %s deliveries", send_id, total)
    return True


def insert_deliveries(send: Send, page: int | None = None) -> int:
    """One Delivery per recipient, by keyset pages; returns the rows inserted."""
    page = page or conf.get("PREPARE_PAGE")
    queryset = recipients.snapshot(send)
    table = connection.ops.quote_name(Delivery._meta.db_table)
    now = connection.ops.adapt_datetimefield_value(clock.now())
    last = (
        Delivery.objects.filter(send=send)
        .order_by("-subscriber_id")
        .values_list("subscriber_id", flat=True)
        .first()
        or 0
    )
    inserted = 0
    while True:
        ids = queryset.filter(pk__gt=last).values("id")[:page]
        sql, params = ids.query.sql_with_params()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(r.id) FROM ({sql}) r", params)
            upper = cursor.fetchone()[0]
            if upper is None:
                break
            cursor.execute(
                f"INSERT INTO {table} (send_id, subscriber_id, state, paid, attempts,"
                " next_attempt_at, claimed_by, error, provider_message_id)"
                f" SELECT %s, r.id, 'pending', %s, 0, %s, '', '', '' FROM ({sql}) r"
                " WHERE r.id <= %s ON CONFLICT (send_id, subscriber_id) DO NOTHING",
                [send.pk, False, now, *params, upper],
            )
            inserted += max(cursor.rowcount, 0)
            Send.objects.filter(pk=send.pk).update(prepare_lease_until=clock.now() + PREPARE_LEASE)
        last = upper
    paid = recipients.paid_subscribers(send.publication, send.post)
    if paid is not None:
        Delivery.objects.filter(send=send, subscriber__in=paid.values("pk")).update(paid=True)
    return inserted

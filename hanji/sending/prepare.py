"""Preparing a send: compile its message once, then one Delivery row per recipient.

Rows are inserted set-based (INSERT … SELECT) in keyset pages of the recipient query, each
page its own short transaction, so no transaction is held for the whole list and a
preparation cut short resumes where it stopped (ON CONFLICT DO NOTHING on the unique pair).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils.translation import gettext

from hanji.sending import clock, conf, recipients
from hanji.sending.compose import MessageTooLarge, compile_send
from hanji.sending.models import Delivery, Send, SendingSettings, SendLink, SendState

logger = logging.getLogger(__name__)
PREPARE_LEASE = timedelta(minutes=5)


def take_preparation(send_id: int) -> bool:
    """Claim the preparation of a due send (one conditional UPDATE): True for the one caller
    that gets it, whatever the number of workers and periodic jobs racing for it."""
    now = clock.now()
    return bool(
        Send.objects.filter(pk=send_id)
        .filter(
            Q(state=SendState.SCHEDULED, scheduled_at__lte=now)
            | Q(state=SendState.PREPARING, prepare_lease_until__lt=now)
        )
        .update(state=SendState.PREPARING, prepare_lease_until=now + PREPARE_LEASE)
    )


def _set_state(send_id: int, state: str, reason: str = "", only_from=SendState.PREPARING) -> bool:
    return bool(
        Send.objects.filter(pk=send_id, state=only_from).update(state=state, state_reason=reason)
    )


def prepare(send_id: int) -> bool:
    """Prepare a send if it is due and nobody else is preparing it; True when it is ready to
    send (state `sending`)."""
    if not take_preparation(send_id):
        return False
    send = Send.objects.select_related("publication", "post", "newsletter", "segment").get(
        pk=send_id
    )
    options, _ = SendingSettings.objects.get_or_create(publication=send.publication)
    if options.paused_at:
        _set_state(send_id, SendState.PAUSED, options.paused_reason)
        return False
    if send.compiled is None:
        try:
            compiled = compile_send(send)
        except MessageTooLarge as error:
            limit = conf.get("MAX_MESSAGE_BYTES")
            reason = gettext(
                "The email would be %(size)s bytes, over the limit of %(limit)s bytes. "
                "Shorten the post or move part of it to the web."
            ) % {"size": error.args[0], "limit": limit}
            _set_state(send_id, SendState.FAILED, reason)
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
    Send.objects.filter(pk=send_id).update(total=total, prepared_at=clock.now())
    if not _set_state(send_id, SendState.SENDING):
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

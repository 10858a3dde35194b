"""A send whose last rows went out is marked sent even when the loop that sent them could not
say so: its slice ended with them in flight, or it died after recording them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from hanji.sending import actions
from hanji.sending.loop import SendLoop
from hanji.sending.models import Delivery, Send
from hanji.sending.prepare import insert_deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture
def all_sent(publication, newsletter, make_post, make_subscribers):
    make_subscribers(5)
    send = Send.objects.create(
        publication=publication, post=make_post(), newsletter=newsletter, subject="x",
        scheduled_at=timezone.now(), state="sending", wake_at=timezone.now(),
    )  # fmt: skip
    insert_deliveries(send)
    Delivery.objects.filter(send=send).update(state="sent", sent_at=timezone.now())
    return send


def test_the_watcher_finishes_a_send_with_nothing_left(all_sent):
    assert actions.watch_send(all_sent.pk, all_sent.wake_at.isoformat()) == "finished"
    all_sent.refresh_from_db()
    assert all_sent.state == "sent" and all_sent.sent_count == 5


def test_the_watcher_leaves_a_send_with_rows_due_later(all_sent):
    Delivery.objects.filter(pk=Delivery.objects.filter(send=all_sent).first().pk).update(
        state="pending", next_attempt_at=timezone.now() + timedelta(hours=9)
    )
    assert actions.watch_send(all_sent.pk, all_sent.wake_at.isoformat()) == "watching"
    all_sent.refresh_from_db()
    assert all_sent.state == "sending"


def test_a_slice_that_ends_after_the_last_rows_finishes_the_send(all_sent):
    SendLoop(all_sent.pk)._continue_later()
    all_sent.refresh_from_db()
    assert all_sent.state == "sent" and all_sent.sent_count == 5

"""The night hold is decided where messages leave: nothing of an advertising send checked
before 21:00 Seoul leaves after it, for readers without night-time consent (controlled clock).
Held messages stop NIGHT_MARGIN_SECONDS (5) before 21:00, time for a chunk to go through."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hanji.sending.loop import night_starts
from hanji.sending.models import Delivery
from hanji.subscribers.models import Subscriber

SEOUL = ZoneInfo("Asia/Seoul")
CHECKED = datetime(2026, 11, 30, 20, 59, 59, tzinfo=SEOUL)
EARLIER = datetime(2026, 11, 30, 20, 59, 40, tzinfo=SEOUL)
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=SEOUL)


@pytest.fixture
def readers(make_subscribers):
    readers = make_subscribers(4)
    # reader0 agreed to advertising at night; the others did not.
    Subscriber.objects.filter(pk=readers[0].pk).update(night_consent_at=timezone.now())
    return readers


def stepping_clock(monkeypatch, *, first: datetime, step: timedelta) -> list[datetime]:
    """The first reading (the chunk's check before it is queued) says `first`; every later
    one (the hand-off to the connection, the recording) says `step` later."""
    readings: list[datetime] = []

    def now() -> datetime:
        readings.append(first if not readings else first + step)
        return readings[-1]

    monkeypatch.setattr("hanji.sending.clock.now", now)
    return readings


def assert_held_until_morning(send, readers, mail_to) -> None:
    # Only the reader with night-time consent got it; the others wait for 08:00.
    assert mail_to.recipients() == ["reader0@example.org"]
    held = Delivery.objects.filter(send=send, state="pending")
    assert sorted(held.values_list("subscriber_id", flat=True)) == [r.pk for r in readers[1:]]
    assert {d.next_attempt_at for d in held} == {MORNING}
    assert set(held.values_list("attempts", flat=True)) == {0}


def test_a_chunk_checked_at_20_59_59_never_leaves_at_21_00_01(
    mail_to, readers, make_post, send_now, monkeypatch
):
    readings = stepping_clock(monkeypatch, first=CHECKED, step=timedelta(seconds=2))
    send = send_now(make_post(), is_advertising=True)
    assert readings[0] == CHECKED
    assert_held_until_morning(send, readers, mail_to)


def test_a_chunk_checked_in_the_evening_is_held_where_it_is_handed_to_its_connection(
    mail_to, readers, make_post, send_now, monkeypatch
):
    """Checked at 20:59:40 (day), it waited in the queue until 20:59:58: it does not leave."""
    readings = stepping_clock(monkeypatch, first=EARLIER, step=timedelta(seconds=18))
    send = send_now(make_post(), is_advertising=True)
    assert readings[:2] == [EARLIER, EARLIER + timedelta(seconds=18)]
    assert_held_until_morning(send, readers, mail_to)


def test_the_same_chunk_leaves_when_it_reaches_its_connection_in_time(
    mail_to, readers, make_post, send_now, monkeypatch
):
    stepping_clock(monkeypatch, first=EARLIER, step=timedelta(seconds=1))
    send = send_now(make_post(), is_advertising=True)
    assert send.state == "sent"
    assert sorted(mail_to.recipients()) == sorted(r.email for r in readers)


def test_a_send_that_is_not_advertising_is_never_held(
    mail_to, readers, make_post, send_now, monkeypatch
):
    stepping_clock(monkeypatch, first=CHECKED, step=timedelta(seconds=2))
    send = send_now(make_post())
    assert send.state == "sent" and len(mail_to.recipients()) == 4


def test_the_night_starts_at_the_next_21_in_seoul():
    assert night_starts(CHECKED) == datetime(2026, 11, 30, 21, 0, tzinfo=SEOUL)
    late = datetime(2026, 11, 30, 21, 30, tzinfo=SEOUL)
    assert night_starts(late) == datetime(2026, 12, 1, 21, 0, tzinfo=SEOUL)

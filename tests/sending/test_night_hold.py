"""The night hold (off by default, turned on here) is decided where messages leave: nothing of an advertising send checked
before 21:00 Seoul leaves after it, for readers without night-time consent (controlled clock).
Held messages stop NIGHT_MARGIN_SECONDS (5) before 21:00, time for a chunk to go through."""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from datetime import time as dtime
from types import SimpleNamespace
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hanji.sending.loop import night_starts
from hanji.sending.models import Delivery, SendingSettings
from hanji.subscribers.models import Subscriber

SEOUL = ZoneInfo("Asia/Seoul")


def next_evening(after: datetime) -> datetime:
    """The first 20:59:59 Seoul after `after`: the fixed times of these tests come from the
    real now, so they hold on any day of any year (a fixed date froze the suite once its
    day had passed: the post was published after the clock's time, the send never came due)."""
    local = after.astimezone(SEOUL)
    evening = datetime.combine(local.date(), dtime(20, 59, 59), SEOUL)
    return evening if evening > local else evening + timedelta(days=1)


class Evening(NamedTuple):
    checked: datetime  # 20:59:59 Seoul
    earlier: datetime  # 20:59:40
    morning: datetime  # 08:00 the next day


@pytest.fixture
def evening() -> Evening:
    """Computed when the test starts (not when the module is imported: a run that crossed
    21:00 Seoul once used an evening that had already passed)."""
    checked = next_evening(timezone.now() + timedelta(minutes=10))
    morning = datetime.combine(checked.date() + timedelta(days=1), dtime(8), SEOUL)
    return Evening(checked, checked - timedelta(seconds=19), morning)


@pytest.fixture
def readers(make_subscribers, publication):
    SendingSettings.objects.update_or_create(publication=publication, defaults={"night_hold": True})
    readers = make_subscribers(4)
    # reader0 agreed to advertising at night; the others did not.
    Subscriber.objects.filter(pk=readers[0].pk).update(night_consent_at=timezone.now())
    return readers


def stepping_clock(monkeypatch, *, first: datetime, step: timedelta) -> list[datetime]:
    """Every part of sending reads hanji.sending.clock. It says `first` until the loop has
    checked a chunk (the reading in SendLoop._submit, before the chunk is queued); every
    later reading (the hand-off to the connection, the recording) says `step` later."""
    readings: list[datetime] = []
    checked = []

    def now() -> datetime:
        later = bool(checked)
        if sys._getframe(1).f_code.co_name == "_submit":
            checked.append(True)
        readings.append(first + step if later else first)
        return readings[-1]

    monkeypatch.setattr("hanji.sending.clock.now", now)
    return readings


def assert_held_until_morning(send, readers, mail_to, morning: datetime) -> None:
    # Only the reader with night-time consent got it; the others wait for 08:00.
    assert mail_to.recipients() == ["reader0@example.org"]
    held = Delivery.objects.filter(send=send, state="pending")
    assert sorted(held.values_list("subscriber_id", flat=True)) == [r.pk for r in readers[1:]]
    assert {d.next_attempt_at for d in held} == {morning}
    assert set(held.values_list("attempts", flat=True)) == {0}


def test_a_chunk_checked_at_20_59_59_never_leaves_at_21_00_01(
    mail_to, readers, make_post, send_now, monkeypatch, evening
):
    readings = stepping_clock(monkeypatch, first=evening.checked, step=timedelta(seconds=2))
    send = send_now(make_post(), is_advertising=True)
    assert readings[0] == evening.checked and readings[-1] == evening.checked + timedelta(seconds=2)
    assert_held_until_morning(send, readers, mail_to, evening.morning)


def test_a_chunk_checked_in_the_evening_is_held_where_it_is_handed_to_its_connection(
    mail_to, readers, make_post, send_now, monkeypatch, evening
):
    """Checked at 20:59:40 (day), it waited in the queue until 20:59:58: it does not leave."""
    readings = stepping_clock(monkeypatch, first=evening.earlier, step=timedelta(seconds=18))
    send = send_now(make_post(), is_advertising=True)
    assert evening.earlier in readings and readings[-1] == evening.earlier + timedelta(seconds=18)
    assert_held_until_morning(send, readers, mail_to, evening.morning)


def test_the_same_chunk_leaves_when_it_reaches_its_connection_in_time(
    mail_to, readers, make_post, send_now, monkeypatch, evening
):
    stepping_clock(monkeypatch, first=evening.earlier, step=timedelta(seconds=1))
    send = send_now(make_post(), is_advertising=True)
    assert send.state == "sent"
    assert sorted(mail_to.recipients()) == sorted(r.email for r in readers)


def test_a_send_that_is_not_advertising_is_never_held(
    mail_to, readers, make_post, send_now, monkeypatch, evening
):
    stepping_clock(monkeypatch, first=evening.checked, step=timedelta(seconds=2))
    send = send_now(make_post())
    assert send.state == "sent" and len(mail_to.recipients()) == 4


def test_the_night_hold_is_off_unless_the_publication_turns_it_on(
    mail_to, readers, make_post, send_now, monkeypatch, other_publication, evening
):
    """Email needs no night-time consent (시행령 제61조②): a new publication sends at 21:00."""
    assert SendingSettings(publication=other_publication).night_hold is False
    SendingSettings.objects.filter(publication=readers[0].publication).update(night_hold=False)
    stepping_clock(monkeypatch, first=evening.checked, step=timedelta(seconds=2))
    send = send_now(make_post(), is_advertising=True)
    assert send.state == "sent" and len(mail_to.recipients()) == 4


def test_the_night_starts_at_the_next_21_in_seoul():
    assert night_starts(datetime(2026, 11, 30, 20, 59, 59, tzinfo=SEOUL)) == datetime(
        2026, 11, 30, 21, 0, tzinfo=SEOUL
    )
    late = datetime(2026, 11, 30, 21, 30, tzinfo=SEOUL)
    assert night_starts(late) == datetime(2026, 12, 1, 21, 0, tzinfo=SEOUL)
    leap = datetime(2028, 2, 29, 22, 0, tzinfo=SEOUL)
    assert night_starts(leap) == datetime(2028, 3, 1, 21, 0, tzinfo=SEOUL)


def test_a_held_delivery_that_comes_back_to_its_loop_stops_the_loop_instead_of_spinning(
    mail_to, readers, make_post, send_now, monkeypatch, evening
):
    """The loop that hung the suite: the hold said "until 08:00" on one clock while the claim
    read another, on which 08:00 had passed, so the same rows were claimed and held without
    end. Whatever the clocks say, a loop never takes back rows it held: it gives them back and
    stops, and the watcher wakes a fresh loop later."""
    night = evening.checked + timedelta(seconds=2)
    monkeypatch.setattr("hanji.sending.clock.now", lambda: night)
    # Only the claims read a clock on which the hold is long over.
    over = SimpleNamespace(now=lambda: evening.morning + timedelta(days=1))
    monkeypatch.setattr("hanji.sending.claims.clock", over)
    send = send_now(make_post(), is_advertising=True)
    assert mail_to.recipients() == ["reader0@example.org"]
    assert send.state == "sending"
    assert Delivery.objects.filter(send=send, state="pending").count() == 3
    assert not Delivery.objects.filter(send=send, state="claimed").exists()

"""The delivery pipeline against a real SMTP server, in one process (the immediate task
backend runs the prepare task and the loops in-line)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import timedelta

import psutil
import pytest
from django.utils import timezone

from hanji.sending import actions, claims, queries
from hanji.sending.actions import start_due_sends, start_send_for_post
from hanji.sending.models import Delivery, Send, SendingSettings
from hanji.subscribers.actions import unsubscribe
from hanji.subscribers.models import Subscriber, Subscription


def states(send):
    return Counter(Delivery.objects.filter(send=send).values_list("state", flat=True))


def test_suppressed_and_unsubscribed_readers_and_other_newsletters_get_nothing(
    mail_to, publication, make_post, make_subscribers, send_now
):
    from hanji.subscribers.models import Newsletter

    other = Newsletter.objects.create(publication=publication, name="다른 레터", slug="other")
    make_subscribers(5)
    make_subscribers(2, status="bounced", prefix="bounced")
    make_subscribers(2, status="pending", prefix="pending")
    make_subscribers(2, prefix="elsewhere", nl=other)
    send = send_now(make_post())
    assert sorted(mail_to.recipients()) == [f"reader{i}@example.org" for i in range(5)]
    assert send.total == 5 and states(send) == {"sent": 5}


@pytest.mark.django_db(transaction=True)
def test_an_unsubscribe_committed_during_a_send_stops_mail_to_that_address(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.HANJI_SEND_BATCH_SIZE = 10
    settings.HANJI_SEND_CONNECTIONS = 1
    readers = make_subscribers(60)
    last = readers[-1]

    def leave(received):
        if received.rcpt_tos == ["reader0@example.org"]:
            Subscriber.objects.filter(pk=last.pk).update(status="unsubscribed")

    mail_to.handler.on_message = leave
    settings.EMAIL_URL = mail_to.url + "?connections=1"
    send = send_now(make_post())
    assert "reader59@example.org" not in mail_to.recipients()
    assert len(mail_to.recipients()) == 59
    assert Delivery.objects.get(send=send, subscriber=last).state == "skipped"
    assert send.state == "sent" and send.skipped_count == 1


def test_leaving_the_newsletter_during_a_send_stops_mail_too(
    mail_to, make_post, make_subscribers, send_now
):
    readers = make_subscribers(3)
    Subscription.objects.filter(subscriber=readers[1]).delete()
    send = send_now(make_post())
    # The snapshot did not include them; deleting the subscription after preparing is the
    # same check at send time.
    assert "reader1@example.org" not in mail_to.recipients()
    assert send.total == 2


@pytest.mark.parametrize(
    "code", ["421 4.3.2 Try later", "451 4.3.0 Busy", "452 4.2.2 Full", "454 4.7.0 Not now"]
)
def test_temporary_refusals_are_retried_then_delivered(
    code, mail_to, make_post, make_subscribers, send_now
):
    make_subscribers(6)
    stage = "data" if code.startswith("452") else "rcpt"
    mail_to.handler.rule = lambda s, address, n: code if s == stage and n <= 2 else None
    send = send_now(make_post())
    assert send.state == "sent"
    assert sorted(mail_to.recipients()) == sorted(f"reader{i}@example.org" for i in range(6))
    assert states(send) == {"sent": 6}


def test_a_bad_mailbox_fails_and_is_suppressed_while_the_rest_is_delivered(
    mail_to, make_post, make_subscribers, send_now
):
    readers = make_subscribers(20)
    bad = {"reader3@example.org", "reader11@example.org"}
    mail_to.handler.rule = lambda s, address, n: (
        "550 5.1.1 No such user" if s == "rcpt" and address in bad else None
    )
    send = send_now(make_post())
    assert send.state == "sent"
    assert set(mail_to.recipients()) == {r.email for r in readers} - bad
    assert states(send) == {"sent": 18, "failed": 2}
    assert set(Subscriber.objects.filter(status="bounced").values_list("email", flat=True)) == bad
    failed = Delivery.objects.filter(send=send, state="failed").first()
    assert failed.code == 550 and "5.1.1" in failed.error


def test_a_send_pauses_itself_when_most_messages_are_refused_and_says_why(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.HANJI_SEND_PAUSE_FAILURE_MIN = 10
    make_subscribers(200)
    mail_to.handler.rule = lambda s, address, n: (
        "554 5.7.1 Message rejected as spam" if s == "data" else None
    )
    send = send_now(make_post())
    assert send.state == "paused"
    assert "5.7.1 Message rejected as spam" in send.state_reason
    assert states(send)["pending"] > 100
    # Content refusals do not suppress anyone.
    assert not Subscriber.objects.filter(status="bounced").exists()


def test_a_refused_login_pauses_the_send_instead_of_failing_everyone(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = mail_to.url.replace("smtp://", "smtp://user:wrong@")
    make_subscribers(5)
    send = send_now(make_post())
    # aiosmtpd offers no login over plain text: the send stops and says why, never "sent".
    assert send.state == "paused"
    assert states(send) == {"pending": 5}
    assert "support" in send.state_reason


def test_the_server_going_away_and_coming_back_loses_and_doubles_nothing(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.HANJI_SEND_BATCH_SIZE = 20
    make_subscribers(150)
    process = psutil.Process()
    memory = {}

    outages: list[threading.Thread] = []
    once = threading.Lock()

    def outage(received):
        # At least 40: the hook runs in a thread while other connections go on, so by the
        # time it looks the count may have passed 40 (CI once saw a send with no outage).
        with once:
            if len(mail_to.received) >= 40 and "down" not in memory:
                memory["down"] = process.memory_info().rss
                outages.append(threading.Thread(target=go_away_and_return, daemon=True))
                outages[0].start()

    def go_away_and_return():
        mail_to.stop()
        threading.Event().wait(2.0)
        memory["while"] = process.memory_info().rss
        mail_to.start()

    mail_to.handler.on_message = outage
    send = send_now(make_post())
    assert send.state == "sent"
    recipients = mail_to.recipients()
    assert len(set(recipients)) == 150
    doubled = [r for r, n in Counter(recipients).items() if n > 1]
    # Only a message in flight when the server went away may arrive twice, as the same message.
    assert len(doubled) <= 4
    ids = Counter(item.message_id for item in mail_to.received)
    assert len(ids) == 150
    assert states(send) == {"sent": 150}
    assert outages, "the server never went away during the send"
    outages[0].join(30)  # on a busy machine the send can end before the outage does
    assert memory["while"] - memory["down"] < 30_000_000


@pytest.mark.django_db(transaction=True)
def test_pausing_mid_send_keeps_the_rest_and_resume_sends_only_what_is_left(
    settings, mail_to, make_post, make_subscribers, django_capture_on_commit_callbacks
):
    settings.HANJI_SEND_BATCH_SIZE = 10
    settings.EMAIL_URL = mail_to.url + "?connections=1"
    make_subscribers(100)
    post = make_post()

    def pause_at_20(received):
        time.sleep(0.02)  # a slow server, so that the pause lands mid-send
        if len(mail_to.received) == 20:
            actions.pause_send(Send.objects.get().pk, reason="by a test")

    mail_to.handler.on_message = pause_at_20
    with django_capture_on_commit_callbacks(execute=True):
        start_send_for_post(post)
    send = Send.objects.get()
    assert send.state == "paused" and send.state_reason == "by a test"
    sent_before = len(mail_to.received)
    assert 20 <= sent_before < 100
    assert states(send)["sent"] == sent_before
    assert not Delivery.objects.filter(send=send, state="claimed").exists()
    with django_capture_on_commit_callbacks(execute=True):
        assert actions.resume_send(send.pk)
    send.refresh_from_db()
    assert send.state == "sent"
    assert len(mail_to.recipients()) == 100 == len(set(mail_to.recipients()))


@pytest.mark.django_db(transaction=True)
def test_cancel_stops_a_send_and_what_was_sent_stays_sent(
    settings, mail_to, make_post, make_subscribers, django_capture_on_commit_callbacks
):
    settings.HANJI_SEND_BATCH_SIZE = 10
    settings.EMAIL_URL = mail_to.url + "?connections=1"
    make_subscribers(100)

    def cancel_at_15(received):
        time.sleep(0.02)
        if len(mail_to.received) == 15:
            actions.cancel_send(Send.objects.get().pk)

    mail_to.handler.on_message = cancel_at_15
    with django_capture_on_commit_callbacks(execute=True):
        start_send_for_post(make_post())
    send = Send.objects.get()
    assert send.state == "cancelled"
    assert 15 <= len(mail_to.received) < 100
    assert send.sent_count <= len(mail_to.received)
    assert not actions.resume_send(send.pk)
    assert start_due_sends() == 0


def test_a_send_started_twice_is_one_send(
    mail_to, make_post, make_subscribers, django_capture_on_commit_callbacks
):
    make_subscribers(5)
    post = make_post()
    with django_capture_on_commit_callbacks(execute=True):
        first = start_send_for_post(post)
        second = start_send_for_post(post)
    assert first.pk == second.pk and first.created and not second.created
    assert Send.objects.count() == 1
    assert len(mail_to.recipients()) == 5
    with pytest.raises(actions.SendError):
        start_send_for_post(post)


def test_send_again_goes_only_to_those_who_did_not_get_it(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.HANJI_SEND_MAX_ATTEMPTS = 2
    make_subscribers(5)
    mail_to.handler.rule = lambda s, address, n: (
        "451 4.3.0 later" if address == "reader2@example.org" else None
    )
    post = make_post()
    first = send_now(post)
    assert first.state == "sent" and states(first) == {"sent": 4, "failed": 1}
    mail_to.handler.rule = None
    make_subscribers(2, prefix="new")
    again = send_now(post, again=True)
    assert again.pk != first.pk and again.kind == "again"
    assert sorted(mail_to.recipients()[4:]) == [
        "new0@example.org",
        "new1@example.org",
        "reader2@example.org",
    ]


def test_a_scheduled_send_waits_for_its_time_then_fires(
    mail_to, make_post, make_subscribers, send_now, django_capture_on_commit_callbacks
):
    make_subscribers(3)
    send = send_now(make_post(), at=timezone.now() + timedelta(hours=1))
    assert send.state == "scheduled" and mail_to.received == []
    assert start_due_sends() == 0
    Send.objects.filter(pk=send.pk).update(scheduled_at=timezone.now() - timedelta(seconds=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_sends() == 1
    send.refresh_from_db()
    assert send.state == "sent" and len(mail_to.received) == 3


def test_night_time_advertising_waits_for_readers_without_night_consent(
    mail_to, make_post, make_subscribers, send_now, monkeypatch, django_capture_on_commit_callbacks
):
    readers = make_subscribers(4)
    # The hold is off by default (email needs no separate night-time consent): turn it on.
    SendingSettings.objects.update_or_create(
        publication=readers[0].publication, defaults={"night_hold": True}
    )
    Subscriber.objects.filter(pk__in=[readers[0].pk, readers[1].pk]).update(
        night_consent_at=timezone.now()
    )
    morning = timezone.now() + timedelta(hours=3)
    monkeypatch.setattr("hanji.sending.loop.night_until", lambda now: morning)
    send = send_now(make_post(), is_advertising=True)
    assert sorted(mail_to.recipients()) == ["reader0@example.org", "reader1@example.org"]
    assert send.state == "sending"
    progress = queries.progress(send)
    assert progress.held == 2 and progress.remaining == 2
    held = Delivery.objects.filter(send=send, state="pending")
    assert all(d.next_attempt_at == morning for d in held)
    # Morning comes.
    monkeypatch.setattr("hanji.sending.loop.night_until", lambda now: None)
    held.update(next_attempt_at=timezone.now())
    Send.objects.filter(pk=send.pk).update(heartbeat_at=None, loops_enqueued_at=None)
    with django_capture_on_commit_callbacks(execute=True):
        assert start_due_sends() == 1
    send.refresh_from_db()
    assert send.state == "sent" and len(mail_to.recipients()) == 4


def test_the_night_window_is_21_to_8_in_seoul():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hanji.sending.loop import night_until

    seoul = ZoneInfo("Asia/Seoul")
    assert night_until(datetime(2026, 3, 2, 12, 0, tzinfo=seoul)) is None
    assert night_until(datetime(2026, 3, 2, 20, 59, tzinfo=seoul)) is None
    assert night_until(datetime(2026, 3, 2, 21, 0, tzinfo=seoul)) == datetime(
        2026, 3, 3, 8, 0, tzinfo=seoul
    )
    assert night_until(datetime(2026, 3, 3, 7, 59, tzinfo=seoul)) == datetime(
        2026, 3, 3, 8, 0, tzinfo=seoul
    )
    assert night_until(datetime(2026, 3, 3, 8, 0, tzinfo=seoul)) is None


def test_progress_counts_rate_and_per_recipient_records(
    mail_to, make_post, make_subscribers, send_now
):
    readers = make_subscribers(10)
    send = send_now(make_post())
    progress = queries.progress(send)
    assert (progress.total, progress.sent, progress.failed, progress.remaining) == (10, 10, 0, 0)
    assert progress.rate > 0 and progress.eta is None
    assert [d.subscriber.email for d in queries.recipients_of(send)] == [r.email for r in readers]
    assert [d.send_id for d in queries.received_by(readers[0])] == [send.pk]


def test_a_daily_limit_stops_the_loop_and_leaves_the_rest_for_tomorrow(
    settings, mail_to, make_post, make_subscribers, send_now
):
    settings.EMAIL_URL = mail_to.url + "?max_per_day=7"
    make_subscribers(10)
    send = send_now(make_post())
    assert len(mail_to.received) == 7
    assert send.state == "sending" and states(send) == {"sent": 7, "pending": 3}


def test_the_warm_up_ramp_limits_a_new_domain(
    mail_to, publication, make_post, make_subscribers, send_now
):
    from hanji.sending.ratelimit import WARMUP_SCHEDULE, warmup_limit

    SendingSettings.objects.filter(publication=publication).update(warmup_started_at=timezone.now())
    make_subscribers(WARMUP_SCHEDULE[0] + 5)
    send = send_now(make_post())
    assert len(mail_to.received) == WARMUP_SCHEDULE[0]
    assert states(send)["pending"] == 5
    today = timezone.localdate()
    assert warmup_limit(timezone.now() - timedelta(days=2), today) == WARMUP_SCHEDULE[2]
    assert warmup_limit(timezone.now() - timedelta(days=400), today) is None


def test_rate_limits_are_shared_through_the_cache():
    from hanji.sending.ratelimit import RateLimiter
    from hanji.sending.transports import Transport

    class Limited(Transport):
        key = "test-transport"
        per_second = 1000
        per_hour = 12

    first, second = RateLimiter(Limited()), RateLimiter(Limited())
    assert first.acquire(5) == 5
    assert second.acquire(5) == 5
    assert first.acquire(5) == 2
    assert second.acquire(1) == 0 and second.wait > 0


def test_a_crashed_preparation_resumes_without_duplicates(
    mail_to, publication, newsletter, make_post, make_subscribers
):
    from hanji.sending.prepare import insert_deliveries

    make_subscribers(25)
    post = make_post()
    send = Send.objects.create(
        publication=publication, post=post, newsletter=newsletter, subject="x",
        scheduled_at=timezone.now(),
    )  # fmt: skip
    assert insert_deliveries(send, page=10) == 25
    Delivery.objects.filter(
        send=send, subscriber__email__in=["reader20@example.org", "reader21@example.org"]
    ).delete()
    assert insert_deliveries(send, page=10) == 0  # keyset resumes after the highest row
    Delivery.objects.filter(send=send, subscriber__email="reader24@example.org").delete()
    assert insert_deliveries(send, page=10) == 1
    assert Delivery.objects.filter(send=send).count() == 23


def test_claims_never_overlap_and_lapsed_claims_are_taken_over(
    publication, newsletter, make_post, make_subscribers
):
    from hanji.sending.prepare import insert_deliveries

    make_subscribers(30)
    send = Send.objects.create(
        publication=publication, post=make_post(), newsletter=newsletter, subject="x",
        scheduled_at=timezone.now(), state="sending",
    )  # fmt: skip
    insert_deliveries(send)
    a = claims.claim(send.pk, "a:1", 20, lease=60)
    b = claims.claim(send.pk, "b:1", 20, lease=60)
    assert len(a) == 20 and len(b) == 10 and not {r.id for r in a} & {r.id for r in b}
    assert claims.claim(send.pk, "c:1", 20, lease=60) == []
    assert claims.claim(send.pk, "c:2", 20, lease=60, expired=True) == []
    Delivery.objects.filter(claimed_by="a:1").update(
        lease_until=timezone.now() - timedelta(seconds=1)
    )
    taken = claims.claim(send.pk, "c:3", 50, lease=60, expired=True)
    assert {r.id for r in taken} == {r.id for r in a}
    # The first owner's late results no longer count.
    recorder = claims.Recorder(send.pk)
    recorder.sent([(row, "") for row in a], timezone.now())
    assert recorder.lost == 20 and not Delivery.objects.filter(send=send, state="sent").exists()


def test_unsubscribe_from_one_newsletter_is_checked_at_send_time(
    mail_to, newsletter, make_post, make_subscribers, send_now
):
    readers = make_subscribers(2)
    unsubscribe(readers[0], newsletter)
    send_now(make_post())
    assert mail_to.recipients() == ["reader1@example.org"]


def test_without_an_email_url_the_send_lands_in_the_outbox(
    settings, fast_retries, publication, make_post, make_subscribers, send_now
):
    from hanji.core.models import OutboxMessage

    settings.EMAIL_URL = ""
    make_subscribers(3)
    send = send_now(make_post(title="보관함으로"))
    assert send.state == "sent"
    rows = list(OutboxMessage.objects.order_by("id"))
    assert [r.to for r in rows] == [f"reader{i}@example.org" for i in range(3)]
    assert all(r.publication_id == publication.pk for r in rows)
    assert rows[0].message_id.startswith(f"<hanji.{send.pk}.") and b"List-Unsubscribe:" in bytes(
        rows[0].raw
    )

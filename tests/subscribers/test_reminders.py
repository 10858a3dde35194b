"""The two-yearly advertising-consent notice (Korean law), sent by a daily job."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from hanji.subscribers.models import ConsentEvent, SubscriberStatus
from hanji.subscribers.reminders import send_advertising_consent_reminders
from tests.subscribers.smtp import body_text

pytestmark = pytest.mark.django_db


def test_the_job_runs_daily():
    path = "hanji.subscribers.reminders.send_advertising_consent_reminders"
    assert settings.HANJI_PERIODIC_JOBS[path] == 86400


def test_a_notice_goes_out_before_two_years_end_once_and_is_logged(
    publication, weekly, make_subscriber, smtp
):
    now = timezone.now()
    publication.company_name = "실리콘밸리 주식회사"
    publication.save()
    due = make_subscriber("due@example.com", advertising_consent_at=now - timedelta(days=710))
    make_subscriber("recent@example.com", advertising_consent_at=now - timedelta(days=100))
    make_subscriber("never@example.com")
    make_subscriber(
        "left@example.com",
        status=SubscriberStatus.UNSUBSCRIBED,
        advertising_consent_at=now - timedelta(days=710),
    )
    assert send_advertising_consent_reminders() == 1
    message = smtp.wait_for("due@example.com")
    text = body_text(message)
    assert "실리콘밸리 주식회사" in text  # the sender
    assert "/preferences/" in text  # how to withdraw
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert ConsentEvent.objects.filter(subscriber=due, action="advertising-reminder").count() == 1
    # Running again the same day, or the next, sends nothing more.
    assert send_advertising_consent_reminders() == 0
    assert send_advertising_consent_reminders(now + timedelta(days=1)) == 0
    # Two years after the notice the next one is due (and the other reader's first).
    assert send_advertising_consent_reminders(now + timedelta(days=710)) == 2
    assert ConsentEvent.objects.filter(subscriber=due, action="advertising-reminder").count() == 2

"""Unsubscribe: RFC 8058 one-click, the confirmation page, per newsletter or everything."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from hanji.subscribers import actions
from hanji.subscribers.links import preferences_url, unsubscribe_url
from hanji.subscribers.models import NewsletterOptOut, SubscriberStatus
from hanji.subscribers.queries import segment_recipients

pytestmark = pytest.mark.django_db


def path(url: str) -> str:
    return urlsplit(url).path


def test_a_one_click_post_unsubscribes_at_once_with_no_page_no_csrf_and_no_login(
    publication, weekly, digest, make_subscriber
):
    reader = make_subscriber("r@example.com", newsletters=[weekly, digest])
    url = unsubscribe_url(publication, reader.pk, weekly.pk)
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        path(url),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert response.content == b""
    # The next message of a send under way goes through segment_recipients or a status
    # check: neither includes the reader any more.
    assert list(segment_recipients(publication, weekly)) == []
    assert list(segment_recipients(publication, digest)) == [reader]
    assert NewsletterOptOut.objects.filter(subscriber=reader, newsletter=weekly).exists()
    # Twice is harmless.
    assert provider.post(path(url), {"List-Unsubscribe": "One-Click"}).status_code == 200


def test_one_click_without_a_newsletter_leaves_everything(publication, weekly, make_subscriber):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    Client(enforce_csrf_checks=True).post(
        path(unsubscribe_url(publication, reader.pk)), {"List-Unsubscribe": "One-Click"}
    )
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.UNSUBSCRIBED
    assert reader.unsubscribed_at is not None
    assert reader.consent_events.filter(action="unsubscribed").exists()


def test_opening_the_link_shows_one_button_and_a_way_back_and_changes_nothing(
    client, publication, weekly, make_subscriber
):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    page = client.get(path(unsubscribe_url(publication, reader.pk, weekly.pk)))
    html = page.content.decode()
    assert page.status_code == 200
    # No choice to make first (issue 12, trap 11): one press leaves this newsletter.
    assert html.count("<button") == 1 and 'name="scope" value="newsletter"' in html
    assert 'type="radio"' not in html
    assert 'href="/p/weekly/"' in html  # the way back
    assert "no-store" in page["Cache-Control"]
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.ACTIVE


def test_the_page_unsubscribes_from_one_newsletter_or_from_everything(
    client, publication, weekly, digest, make_subscriber
):
    reader = make_subscriber("r@example.com", newsletters=[weekly, digest])
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    client.post(url, {"scope": "newsletter"})
    assert list(reader.subscriptions.values_list("newsletter", flat=True)) == [digest.pk]
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.ACTIVE
    page = client.post(url, {"scope": "all"})
    assert page.status_code == 200
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.UNSUBSCRIBED
    assert not reader.subscriptions.exists()


def test_leaving_the_last_newsletter_is_leaving_everything(publication, weekly, make_subscriber):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    actions.unsubscribe(reader, weekly)
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.UNSUBSCRIBED


def test_a_tampered_or_foreign_unsubscribe_link_changes_nothing(
    client, publication, other_publication, weekly, make_subscriber
):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    url = path(unsubscribe_url(publication, reader.pk))
    token = url.rstrip("/").rsplit("/", 1)[1]
    bad = url.replace(token, token[:-2] + ("xy" if not token.endswith("xy") else "zz"))
    assert client.get(bad).status_code == 400
    assert client.post(bad, {"List-Unsubscribe": "One-Click"}).status_code == 400
    foreign = url.replace("/p/weekly/", "/p/other/")
    assert client.post(foreign, {"List-Unsubscribe": "One-Click"}).status_code == 400
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.ACTIVE


def test_a_complaint_is_not_softened_by_a_later_unsubscribe(publication, weekly, make_subscriber):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    assert actions.suppress(reader.pk, SubscriberStatus.COMPLAINED, "fbl", "sending")
    assert not actions.suppress(reader.pk, SubscriberStatus.UNSUBSCRIBED)
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.COMPLAINED


def test_the_preferences_link_changes_newsletters_and_withdraws_advertising(
    client, publication, weekly, digest, make_subscriber
):
    from django.utils import timezone

    reader = make_subscriber(
        "r@example.com", newsletters=[weekly], advertising_consent_at=timezone.now()
    )
    url = path(preferences_url(publication, reader.pk))
    page = client.get(url)
    assert page.status_code == 200
    assert "데일리 다이제스트" in page.content.decode()
    client.post(url, {"newsletters": [digest.pk]})
    assert list(reader.subscriptions.values_list("newsletter", flat=True)) == [digest.pk]
    assert NewsletterOptOut.objects.filter(subscriber=reader, newsletter=weekly).exists()
    client.post(url, {"withdraw_advertising": "1"})
    reader.refresh_from_db()
    assert reader.advertising_consent_at is None
    assert reader.consent_events.filter(action="advertising-withdrawn").exists()


def test_choosing_a_newsletter_again_brings_back_a_reader_who_left(
    client, publication, weekly, make_subscriber
):
    reader = make_subscriber("r@example.com", newsletters=[weekly])
    actions.unsubscribe(reader)
    client.post(path(preferences_url(publication, reader.pk)), {"newsletters": [weekly.pk]})
    reader.refresh_from_db()
    assert reader.status == SubscriberStatus.ACTIVE
    assert list(segment_recipients(publication, weekly)) == [reader]

"""The unsubscribe link does exactly what was asked: RFC 8058's one-click POST
(`List-Unsubscribe=One-Click`) leaves the newsletter the link names, with no page; the page's
form leaves what its chosen option says; any other POST, and every GET (mail scanners open
links), unsubscribes from nothing."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

from hanji.subscribers.links import unsubscribe_url
from hanji.subscribers.models import NewsletterOptOut, Subscriber, SubscriberStatus
from tests.subscribers import conftest as subscriber_fixtures

pytestmark = pytest.mark.django_db
weekly, digest = subscriber_fixtures.weekly, subscriber_fixtures.digest
make_subscriber = subscriber_fixtures.make_subscriber


def path(url: str) -> str:
    return urlsplit(url).path


@pytest.fixture
def reader(make_subscriber, weekly, digest):
    return make_subscriber("r@example.com", newsletters=[weekly, digest])


def untouched(reader) -> bool:
    reader = Subscriber.objects.get(pk=reader.pk)
    return (
        reader.status == SubscriberStatus.ACTIVE
        and not NewsletterOptOut.objects.filter(subscriber=reader).exists()
        and reader.subscriptions.count() == 2
    )


NOT_A_CHOICE = [
    {},
    {"scope": ""},
    {"scope": "everything"},
    {"scope": "ALL"},
    {"List-Unsubscribe": "one-click"},
    {"List-Unsubscribe": "One-Click "},
    {"List-Unsubscribe": ""},
    {"unsubscribe": "1"},
]


@pytest.mark.parametrize("body", NOT_A_CHOICE, ids=repr)
def test_a_post_that_names_no_choice_unsubscribes_from_nothing(
    publication,
    weekly,
    reader,
    body,
):
    for newsletter_id in (weekly.pk, None):
        url = path(unsubscribe_url(publication, reader.pk, newsletter_id))
        response = Client().post(url, body)
        assert response.status_code == 400
        assert 'name="scope"' in response.content.decode()  # the page and its button
    assert untouched(reader)


def test_an_empty_post_with_no_content_type_unsubscribes_from_nothing(
    publication,
    weekly,
    reader,
):
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    assert Client().generic("POST", url, b"").status_code == 400
    assert untouched(reader)


def test_mail_scanners_opening_the_link_unsubscribe_nobody(publication, weekly, reader):
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    scanner = Client(HTTP_USER_AGENT="Barracuda Sentinel (EE)")
    for _ in range(3):
        assert scanner.get(url).status_code == 200
        assert scanner.head(url).status_code in (200, 405)
        assert scanner.get(url + "?scope=all&List-Unsubscribe=One-Click").status_code == 200
    assert untouched(reader)


def test_one_click_leaves_only_the_newsletter_the_link_names(
    publication,
    weekly,
    digest,
    reader,
):
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert (response.status_code, response.content) == (200, b"")
    assert list(reader.subscriptions.values_list("newsletter", flat=True)) == [digest.pk]
    assert Subscriber.objects.get(pk=reader.pk).status == SubscriberStatus.ACTIVE


def test_one_click_as_multipart_form_data_works_too(publication, weekly, digest, reader):
    """RFC 8058 allows either form encoding."""
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    response = Client().post(url, {"List-Unsubscribe": "One-Click"})  # multipart
    assert response.status_code == 200 and response.content == b""
    assert list(reader.subscriptions.values_list("newsletter", flat=True)) == [digest.pk]


def test_the_page_says_what_its_one_button_leaves(publication, weekly, digest, reader):
    html = Client().get(path(unsubscribe_url(publication, reader.pk, weekly.pk))).content.decode()
    buttons = re.findall(r"<button[^>]*>([^<]+)</button>", html)
    # The narrower choice, the newsletter the link came from, named in the publication's
    # language; the rest is offered only after it, on the page that says it is done.
    assert len(buttons) == 1 and weekly.name in buttons[0], buttons
    done = Client().post(
        path(unsubscribe_url(publication, reader.pk, weekly.pk)), {"scope": "newsletter"}
    )
    after = re.findall(r"<button[^>]*>([^<]+)</button>", done.content.decode())
    assert len(after) == 1 and publication.name in after[0], after
    everything = Client().get(path(unsubscribe_url(publication, reader.pk))).content.decode()
    assert 'name="scope" value="all"' in everything and everything.count("<button") == 1


def test_the_forms_newsletter_choice_leaves_that_newsletter_only(
    publication,
    weekly,
    digest,
    reader,
):
    url = path(unsubscribe_url(publication, reader.pk, weekly.pk))
    assert Client().post(url, {"scope": "newsletter"}).status_code == 200
    assert list(reader.subscriptions.values_list("newsletter", flat=True)) == [digest.pk]
    assert Subscriber.objects.get(pk=reader.pk).status == SubscriberStatus.ACTIVE


def test_a_newsletter_choice_on_a_link_without_a_newsletter_is_not_everything(
    publication,
    reader,
):
    url = path(unsubscribe_url(publication, reader.pk))
    assert Client().post(url, {"scope": "newsletter"}).status_code == 400
    assert untouched(reader)
    assert Client().post(url, {"scope": "all"}).status_code == 200
    assert Subscriber.objects.get(pk=reader.pk).status == SubscriberStatus.UNSUBSCRIBED

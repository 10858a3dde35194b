"""The studio's hand-written forms (add a subscriber, a segment, a new publication, sign up)
show each error under its field, keep what was typed, and put only links to the wrong fields
at the top."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from hanji.publications.models import Publication
from hanji.subscribers.models import Segment, Subscriber

pytestmark = pytest.mark.django_db


def field_block(html: str, name: str) -> str:
    """The `<div class="field …">` that holds the input named `name`."""
    for block in re.findall(r'<div class="field[^"]*">.*?</div>\n', html, re.S):
        if f'name="{name}"' in block:
            return block
    raise AssertionError(f"no field {name}")


def summary(html: str) -> str:
    found = re.search(r'<div class="error-summary".*?</div>', html, re.S)
    assert found, "no error summary"
    return found.group(0)


def test_a_bad_address_stays_typed_with_the_message_under_the_email_field(
    client, owner, publication
):
    client.force_login(owner)
    response = client.post(
        reverse("studio:subscriber_add", args=[publication.slug]),
        {"email": "kim@@example", "name": "김독자"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    email = field_block(html, "email")
    assert 'value="kim@@example"' in email
    assert 'class="errorlist' in email and 'aria-invalid="true"' in email
    assert 'value="김독자"' in field_block(html, "name")
    top = summary(html)
    assert 'href="#id_email"' in top
    assert "errorlist" not in top  # the summary links; the message is under the field
    assert not Subscriber.objects.filter(publication=publication).exists()


def test_a_segment_with_a_bad_date_shows_it_under_that_date(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:segments", args=[publication.slug]),
        {"name": "VIP", "tags": "vip", "signed_up_from": "2026-13-45"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    block = field_block(html, "signed_up_from")
    assert "YYYY-MM-DD" in block and 'value="2026-13-45"' in block
    assert 'value="VIP"' in field_block(html, "name")
    assert 'value="vip"' in field_block(html, "tags")
    assert 'href="#id_signed_up_from"' in summary(html)
    assert not Segment.objects.exists()


def test_a_segment_without_a_name_says_so_under_the_name(client, owner, publication):
    client.force_login(owner)
    response = client.post(reverse("studio:segments", args=[publication.slug]), {"name": " "})
    assert response.status_code == 400
    assert "errorlist" in field_block(response.content.decode(), "name")


def test_a_taken_address_for_a_new_publication_is_shown_under_the_address(
    client, owner, publication
):
    client.force_login(owner)
    with override_settings(HANJI_ALLOW_SIGNUPS=True):
        response = client.post(
            reverse("studio:publication_new"),
            {"name": "두 번째 레터", "slug": publication.slug, "language": "en"},
        )
    assert response.status_code == 400
    html = response.content.decode()
    slug = field_block(html, "slug")
    assert "errorlist" in slug and f'value="{publication.slug}"' in slug
    assert 'value="두 번째 레터"' in field_block(html, "name")
    assert "errorlist" not in field_block(html, "name")
    assert 'value="en" selected' in field_block(html, "language")
    assert 'href="#id_slug"' in summary(html)
    assert Publication.objects.count() == 1


@override_settings(HANJI_ALLOW_SIGNUPS=True)
def test_a_short_password_at_sign_up_is_shown_under_the_password(client, db):
    response = client.post(
        reverse("studio:signup"),
        {
            "email": "creator@example.com",
            "password": "short",
            "name": "새 레터",
            "slug": "new-letter",
            "language": "ko",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "errorlist" in field_block(html, "password")
    assert 'value="short"' not in html  # a password is never written back
    assert 'value="creator@example.com"' in field_block(html, "email")
    assert 'value="new-letter"' in field_block(html, "slug")
    assert 'href="#id_password"' in summary(html)
    assert not Publication.objects.exists()

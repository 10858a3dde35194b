"""The language switch: the studio, the comment moderation screen and readers' pages follow
the choice (a cookie), before the browser's language and the publication's."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

SWITCH = "/i18n/language/"


def test_choosing_english_turns_the_studio_english_whatever_the_browser_says(client, owner):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "ko"
    client.force_login(owner)
    assert 'lang="ko"' in client.get("/studio/p/weekly/").content.decode()
    response = client.get(SWITCH, {"language": "en", "next": "/studio/p/weekly/"})
    assert response.status_code == 302 and response["Location"] == "/studio/p/weekly/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    page = client.get("/studio/p/weekly/").content.decode()
    assert 'lang="en"' in page and "Settings" in page


def test_the_comment_moderation_screen_follows_the_choice(client, owner, publication, settings):
    # The moderation screen is served on the publication's own host too, where readers'
    # pages speak the publication's language; it is a studio screen all the same.
    settings.HANJI_ROOT_PUBLICATION = publication.slug
    client.force_login(owner)
    client.get(SWITCH, {"language": "en"})
    page = client.get(reverse("engagement:moderation", args=["weekly"])).content.decode()
    assert 'lang="en"' in page and "Waiting for review" in page
    client.get(SWITCH, {"language": "ko"})
    page = client.get(reverse("engagement:moderation", args=["weekly"])).content.decode()
    assert 'lang="ko"' in page


def test_a_reader_who_chose_english_reads_the_korean_publication_in_english(publication, make_post):
    make_post(title="한지 이야기")
    korean, english = Client(), Client()
    english.get(SWITCH, {"language": "en", "next": "/p/weekly/"})
    # the anonymous page cache keeps one copy per language: neither reader gets the other's
    for _ in range(2):
        assert 'lang="ko"' in korean.get("/p/weekly/").content.decode()
        assert 'lang="en"' in english.get("/p/weekly/").content.decode()
    footer = korean.get("/p/weekly/").content.decode()
    link = re.search(
        r'href="([^"]*i18n/language/\?language=en&amp;next=/p/weekly/)">English</a>', footer
    )
    assert link, footer[footer.find("language-switch") - 50 :][:600]
    followed = korean.get(link.group(1).replace("&amp;", "&"))
    assert followed.status_code == 302 and followed["Location"] == "/p/weekly/"
    assert 'lang="en"' in korean.get("/p/weekly/").content.decode()


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_the_switch_never_sends_anyone_to_another_site(client, target):
    response = client.get(SWITCH, {"language": "en", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_unknown_language_changes_nothing(client):
    response = client.get(SWITCH, {"language": "fr", "next": "/studio/"})
    assert response.status_code == 302
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies

"""The editor's Markdown endpoint caps what one request may cost: too long a text is a 413,
too many costly characters a 400, each with words the editor shows; both answer at once."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from hanji.posts.body import MARKDOWN_MAX_CHARS, MARKDOWN_MAX_OPENERS, check_markdown

pytestmark = pytest.mark.django_db

ANSWERED_WITHIN = 2.0  # seconds: a hang bound (the uncapped 400,000 `[` took 3.3 s of CPU)


@pytest.fixture
def convert(client, owner, publication):
    client.force_login(owner)
    url = reverse("studio:markdown", args=[publication.slug])

    def post(text: str, language: str = "en"):
        started = time.monotonic()
        response = client.post(url, {"text": text}, HTTP_ACCEPT_LANGUAGE=language)
        return response, time.monotonic() - started

    return post


def test_the_issues_400000_brackets_are_refused_at_once_with_words(convert):
    response, took = convert("[" * 400_000)
    assert response.status_code == 413
    assert "100,000" in response.json()["error"]
    assert took < ANSWERED_WITHIN


def test_the_refusal_speaks_korean_to_a_korean_writer(convert):
    response, _took = convert("[" * 400_000, language="ko")
    assert response.status_code == 413
    assert "마크다운" in response.json()["error"]


@pytest.mark.parametrize("opener", ["[", "<", "[<"])
def test_many_costly_characters_within_the_length_are_a_400(convert, opener):
    text = opener * (MARKDOWN_MAX_OPENERS // len(opener) + 1)
    response, took = convert(text)
    assert response.status_code == 400
    assert "[" in response.json()["error"] and "<" in response.json()["error"]
    assert took < ANSWERED_WITHIN


def test_the_longest_allowed_prose_still_converts(convert):
    paragraph = "이것은 **보통** 글입니다. [링크](https://example.com)와 `code`가 있어요.\n\n"
    text = (paragraph * (MARKDOWN_MAX_CHARS // len(paragraph)))[:MARKDOWN_MAX_CHARS]
    response, _took = convert(text)
    assert response.status_code == 200
    assert response.json()["html"].count("<strong>보통</strong>") > 1000


def test_the_caps_sit_on_the_edge_exactly():
    check_markdown("a" * MARKDOWN_MAX_CHARS)
    check_markdown("[" * MARKDOWN_MAX_OPENERS)
    with pytest.raises(ValueError):
        check_markdown("a" * (MARKDOWN_MAX_CHARS + 1))
    with pytest.raises(ValueError):
        check_markdown("[" * (MARKDOWN_MAX_OPENERS + 1))

"""The byline of a post page: its authors, else the team member who wrote it, never a stray "·"."""

from __future__ import annotations

import re

import pytest

from hanji.posts.actions import publish_post
from hanji.posts.revisions import create_draft
from hanji.publications.models import Author

pytestmark = pytest.mark.django_db


def byline(client, post) -> str:
    html = client.get(f"/posts/{post.slug}/").content.decode()
    meta = re.search(r'<p class="meta">(.*?)</p>', html, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", meta).split())


def written_by(user, publication, title="스태프의 글"):
    post = create_draft(publication, user, title)
    post.body = "<p>본문</p>"
    post.save()
    return publish_post(post)


def test_a_post_without_an_author_profile_is_signed_by_the_member_who_wrote_it(
    client, publication, owner
):
    owner.first_name, owner.last_name = "한지", "김"
    owner.save()
    text = byline(client, written_by(owner, publication))
    assert text.startswith("김 한지 · ") or text.startswith("한지 김 · "), text


def test_a_member_without_a_name_leaves_no_dangling_separator_and_no_address(
    client, publication, owner
):
    text = byline(client, written_by(owner, publication))
    assert not text.startswith("·") and "owner" not in text, text
    assert re.match(r"^\d{4}\.\d{2}\.\d{2} · ", text), text


def test_two_authors_are_joined_by_a_comma_and_then_one_separator(client, publication, make_post):
    first = Author.objects.create(publication=publication, name="김한지", slug="a")
    second = Author.objects.create(publication=publication, name="이종이", slug="b")
    text = byline(client, make_post(authors=[first, second]))
    assert text.startswith("김한지, 이종이 · "), text

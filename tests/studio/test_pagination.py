"""Every studio list pages the one way (hanji.studio.pages): newest first by keyset, the
same "Newest" / "Older" links (studio/_pagination.html), never OFFSET or COUNT(*)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from hanji.posts.models import Post

pytestmark = pytest.mark.django_db


def older_link(html: str) -> str | None:
    found = re.search(r'href="([^"]*)" rel="next"', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_post_list_walks_every_post_once_even_when_they_share_a_time(
    client, owner, publication, make_post
):
    first = make_post(title="글 0")
    Post.objects.bulk_create(
        Post(publication=publication, title=f"글 {i}", slug=f"post-{i}", body="<p>x</p>")
        for i in range(1, 121)
    )
    same = timezone.now()
    Post.objects.filter(publication=publication).update(updated_at=same)  # all tied
    client.force_login(owner)
    url = reverse("studio:posts", args=[publication.slug]) + "?status=draft&q="
    seen: list[str] = []
    pages = 0
    while url:
        with CaptureQueriesContext(connection) as queries:
            html = client.get(url).content.decode()
        assert not any("OFFSET" in q["sql"].upper() for q in queries)
        seen += re.findall(r">(글 \d+)</a>", html)
        if pages:
            assert 'href="/studio/p/weekly/posts/?status=draft&amp;q="' in html  # Newest
        url = older_link(html)
        pages += 1
    assert pages == 3
    assert len(seen) == len(set(seen)) == 120  # the published one is filtered out
    assert first.title not in seen


def test_a_cursor_that_is_not_ours_is_a_404(client, owner, publication):
    client.force_login(owner)
    for name in ("studio:posts", "studio:sends", "studio:subscribers", "studio:outbox"):
        url = reverse(name, args=[publication.slug])
        assert client.get(url, {"before": "nonsense"}).status_code == 404, name
        assert client.get(url).status_code == 200, name

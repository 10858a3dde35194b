"""Every studio URL, tried as each role and as the owner of another publication.

Outsiders get 404 (the publication might as well not exist), team members whose role is too
low get 403, and neither ever sees the data: the page never contains the thing's title or
address. Anonymous visitors are sent to sign in.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from hanji.posts.models import Post
from hanji.sending.models import Send
from hanji.subscribers.models import Segment, Subscriber

pytestmark = pytest.mark.django_db

RANK = {"author": 1, "editor": 2, "admin": 3, "owner": 4}

# (url name, the objects its arguments come from, the lowest role that may use it)
PAGES = [
    ("studio:home", [], "author"),
    ("studio:posts", [], "author"),
    ("studio:post_search", [], "author"),
    ("studio:post_edit", ["post"], "editor"),  # a published post of someone else
    ("studio:post_revisions", ["post"], "editor"),
    ("studio:post_analytics", ["post"], "editor"),
    ("studio:post_analytics_csv", ["post"], "editor"),
    ("studio:preview", ["post"], "editor"),
    ("studio:preview_web", ["post"], "editor"),
    ("studio:preview_email", ["post"], "editor"),
    ("studio:recipients", [], "editor"),
    ("studio:sends", [], "editor"),
    ("studio:send_detail", ["send"], "editor"),
    ("studio:send_progress", ["send"], "editor"),
    ("studio:subscribers", [], "admin"),
    ("studio:subscriber", ["subscriber"], "admin"),
    ("studio:subscriber_add", [], "admin"),
    ("studio:subscriber_export", [], "admin"),
    ("studio:segments", [], "admin"),
    ("studio:import_start", [], "admin"),
    ("studio:import_detail", ["import"], "admin"),
    ("studio:import_progress", ["import"], "admin"),
    ("studio:import_rejections", ["import"], "admin"),
    ("studio:settings", [], "admin"),
    ("studio:settings_business", [], "admin"),
    ("studio:settings_engagement", [], "admin"),
    ("studio:settings_sending", [], "admin"),
    ("studio:newsletters", [], "admin"),
    ("studio:domains", [], "admin"),
    ("studio:team", [], "admin"),
    ("studio:outbox", [], "admin"),
    ("studio:outbox_message", ["message"], "admin"),
    ("studio:outbox_message_html", ["message"], "admin"),
    ("studio:outbox_message_raw", ["message"], "admin"),
    ("studio:danger", [], "owner"),
]

ACTIONS = [
    ("studio:post_new", [], "author"),
    ("studio:post_edit", ["post"], "editor"),
    ("studio:post_autosave", ["post"], "editor"),
    ("studio:post_delete", ["post"], "editor"),
    ("studio:post_send", ["post"], "editor"),
    ("studio:post_test", ["post"], "editor"),
    ("studio:revision_restore", ["post", "revision"], "editor"),
    ("studio:upload_image", [], "author"),
    ("studio:card", [], "author"),
    ("studio:markdown", [], "author"),
    ("studio:send_control", ["send", "pause"], "editor"),
    ("studio:send_control", ["send", "cancel"], "editor"),
    ("studio:subscriber", ["subscriber"], "admin"),
    ("studio:subscriber_add", [], "admin"),
    ("studio:segments", [], "admin"),
    ("studio:import_start", [], "admin"),
    ("studio:settings", [], "admin"),
    ("studio:settings_business", [], "admin"),
    ("studio:settings_engagement", [], "admin"),
    ("studio:settings_sending", [], "admin"),
    ("studio:newsletters", [], "admin"),
    ("studio:domains", [], "admin"),
    ("studio:team", [], "admin"),
    ("studio:danger", [], "owner"),
]


def _url(name: str, parts: list, world, slug: str = "weekly") -> str:
    args = [slug]
    for part in parts:
        args.append(world[part].pk if part in world else part)
    return reverse(name, args=args)


@pytest.fixture
def people(owner, admin_user, editor, author_user, outsider):
    return {
        "owner": owner,
        "admin": admin_user,
        "editor": editor,
        "author": author_user,
        "outsider": outsider,
    }


def _secret_bits(world) -> list[str]:
    return [
        world["post"].title,
        world["subscriber"].email,
        world["segment"].name,
        "list.csv",
        world["message"].subject,
    ]


@pytest.mark.parametrize(
    "name,parts,lowest", PAGES, ids=[p[0] + ":" + "/".join(p[1]) for p in PAGES]
)
def test_every_page_answers_each_role_as_its_rank_allows(
    client, world, people, name, parts, lowest
):
    url = _url(name, parts, world)
    assert client.get(url).status_code == 302  # anonymous: to the sign-in page
    for role, user in people.items():
        client.force_login(user)
        response = client.get(url)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if role == "outsider":
            assert response.status_code == 404, (role, url)
        elif RANK[role] >= RANK[lowest]:
            assert response.status_code == 200, (role, url, response.status_code)
            continue
        else:
            assert response.status_code in (403, 404), (role, url, response.status_code)
        text = body.decode(errors="replace")
        for secret in _secret_bits(world):
            assert secret not in text, (role, url, secret)


@pytest.mark.parametrize(
    "name,parts,lowest", ACTIONS, ids=[a[0] + ":" + "/".join(map(str, a[1])) for a in ACTIONS]
)
def test_no_action_works_for_a_role_below_it_or_for_an_outsider(
    client, world, people, name, parts, lowest
):
    url = _url(name, parts, world)
    before = (
        Post.objects.count(),
        Send.objects.get(pk=world["send"].pk).state,
        Subscriber.objects.count(),
        Segment.objects.count(),
    )
    data = {
        "action": "delete",
        "title": "바뀐 제목",
        "body": "<p>x</p>",
        "url": "https://example.com",
    }
    assert client.post(url, data).status_code in (302, 403, 404)
    for role, user in people.items():
        if role != "outsider" and RANK[role] >= RANK[lowest]:
            continue
        client.force_login(user)
        response = client.post(url, data)
        assert response.status_code in (403, 404), (role, url, response.status_code)
    after = (
        Post.objects.count(),
        Send.objects.get(pk=world["send"].pk).state,
        Subscriber.objects.count(),
        Segment.objects.count(),
    )
    assert after == before
    assert Post.objects.filter(title="바뀐 제목").count() == 0


def test_another_publications_objects_are_404_even_for_its_own_owner(
    client, world, outsider, other_publication
):
    """The outsider owns `other`: asking for this publication's things under their own slug
    finds nothing."""
    client.force_login(outsider)
    for name, parts, _lowest in PAGES:
        if not parts:
            continue
        response = client.get(_url(name, parts, world, slug=other_publication.slug))
        assert response.status_code == 404, name


def test_an_author_edits_only_their_own_drafts(client, publication, author_user, make_post):
    from hanji.posts.revisions import create_draft

    mine = create_draft(publication, author_user, "내 초안")
    theirs = make_post(title="남의 초안", publish=False)
    client.force_login(author_user)
    assert client.get(reverse("studio:post_edit", args=["weekly", mine.pk])).status_code == 200
    assert client.get(reverse("studio:post_edit", args=["weekly", theirs.pk])).status_code == 404
    page = client.get(reverse("studio:posts", args=["weekly"])).content.decode()
    assert "내 초안" in page and "남의 초안" not in page
    # publishing is not for authors, even on their own draft
    response = client.post(
        reverse("studio:post_edit", args=["weekly", mine.pk]),
        {"action": "publish", "title": "내 초안", "body": "", "version": ""},
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert mine.status == "draft"
    # once published (by an editor) it is no longer theirs to change
    from hanji.posts.actions import publish_post

    publish_post(mine)
    assert client.get(reverse("studio:post_edit", args=["weekly", mine.pk])).status_code == 403


def test_the_menus_show_only_what_the_role_may_use(client, world, editor, author_user):
    client.force_login(author_user)
    page = client.get(reverse("studio:home", args=["weekly"])).content.decode()
    assert "/studio/p/weekly/subscribers/" not in page and "/studio/p/weekly/sends/" not in page
    client.force_login(editor)
    page = client.get(reverse("studio:home", args=["weekly"])).content.decode()
    assert "/studio/p/weekly/sends/" in page and "/studio/p/weekly/settings/" not in page

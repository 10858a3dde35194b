"""The studio's search: drafts and whole texts, only the posts the team member sees."""

import pytest
from django.urls import reverse

from hanji.posts.revisions import create_draft

pytestmark = pytest.mark.django_db


def studio_search(client, q: str) -> str:
    response = client.get(reverse("studio:post_search", args=["weekly"]), {"q": q})
    assert response.status_code == 200
    return response.content.decode().replace("<mark>", "").replace("</mark>", "")


def test_an_editor_finds_drafts_and_paid_text(client, editor, make_post):
    make_post(title="초안 원고", body="아직 쓰는 중인 배터리 이야기", publish=False)
    make_post(title="유료 특집", body="앞부분\n\n{paywall}\n\n뒷부분 양자컴퓨터", visibility="paid")
    client.force_login(editor)
    assert "초안 원고" in studio_search(client, "배터리")
    assert "유료 특집" in studio_search(client, "양자컴퓨터")


def test_an_author_finds_only_their_own_posts(client, publication, author_user, make_post):
    mine = create_draft(publication, author_user, "내 배터리 초안")
    assert mine.pk
    make_post(title="남의 배터리 초안", publish=False)
    client.force_login(author_user)
    html = studio_search(client, "배터리")
    assert "내 배터리 초안" in html and "남의 배터리 초안" not in html


def test_nothing_found_and_bad_input_are_a_page_not_an_error(client, editor, publication):
    client.force_login(editor)
    assert "Nothing found" in studio_search(client, '"(NEAR OR*') or "결과가 없어요" in (
        studio_search(client, '"(NEAR OR*')
    )
    assert studio_search(client, "")


def test_the_posts_list_links_to_the_search(client, editor, publication):
    client.force_login(editor)
    html = client.get(reverse("studio:posts", args=["weekly"]), {"q": "배터리"}).content.decode()
    assert reverse("studio:post_search", args=["weekly"]) + "?q=" in html

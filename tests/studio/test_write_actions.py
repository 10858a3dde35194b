"""What the studio changes goes through actions the CLI, the API and the tests call too:
deleting posts (one rule for the list and the editor), a post's cover, invitations, the
import's file name, and what a test send says when the transport is down."""

from __future__ import annotations

import io
import socket

import pytest
from django.conf import settings as django_settings
from django.contrib.messages import get_messages
from django.urls import reverse
from PIL import Image

from hanji.posts.actions import set_cover
from hanji.posts.images import ImageRefused
from hanji.posts.models import Post
from hanji.studio.actions import revoke_invitation
from hanji.studio.models import Invitation
from hanji.subscribers.importer import create_import

pytestmark = pytest.mark.django_db


def png(width: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, width // 2), (30, 120, 200)).save(out, "PNG")
    return out.getvalue()


def test_an_author_deletes_only_their_own_drafts_from_the_list_and_the_editor(
    client, author_user, publication, make_post
):
    from hanji.publications.models import Author

    me = Author.objects.create(publication=publication, name="작가", slug="me", user=author_user)
    draft = make_post(title="초안", publish=False, authors=[me])
    published = make_post(title="발행", authors=[me])
    client.force_login(author_user)
    posts = reverse("studio:posts", args=[publication.slug])
    client.post(posts, {"action": "delete", "ids": [draft.pk, published.pk]})
    assert list(Post.objects.values_list("title", flat=True)) == ["발행"]
    delete = reverse("studio:post_delete", args=[publication.slug, published.pk])
    assert client.post(delete).status_code == 403
    assert Post.objects.filter(pk=published.pk).exists()


def test_a_cover_points_at_the_widest_stored_picture(publication, make_post):
    post = make_post()
    set_cover(post, png(1600))
    post.refresh_from_db()
    assert post.cover_image.name.startswith(f"images/{publication.pk}/")
    assert "-1600." in post.cover_image.name
    assert (django_settings.MEDIA_ROOT / post.cover_image.name).exists()


def test_a_cover_that_is_not_a_picture_changes_nothing(make_post):
    post = make_post()
    with pytest.raises(ImageRefused):
        set_cover(post, b"not a picture")
    post.refresh_from_db()
    assert not post.cover_image


def test_an_open_invitation_is_revoked_once_and_an_accepted_one_never(
    publication, other_publication, owner
):
    open_one = Invitation.objects.create(publication=publication, email="a@example.com")
    accepted = Invitation.objects.create(
        publication=publication, email="b@example.com", accepted_by=owner
    )
    Invitation.objects.filter(pk=accepted.pk).update(accepted_at="2026-12-01T00:00:00Z")
    theirs = Invitation.objects.create(publication=other_publication, email="c@example.com")
    assert revoke_invitation(publication, open_one.pk) is True
    assert revoke_invitation(publication, open_one.pk) is False
    assert revoke_invitation(publication, accepted.pk) is False
    assert revoke_invitation(publication, theirs.pk) is False
    assert set(Invitation.objects.values_list("email", flat=True)) == {
        "b@example.com",
        "c@example.com",
    }


def test_an_import_keeps_the_name_the_person_knows_the_file_by(publication, tmp_path):
    path = tmp_path / "upload-3f9a.csv"
    path.write_text("email\nkim@example.com\n")
    run = create_import(publication, str(path), consent="x", filename="우리 독자 명단.csv")
    assert run.filename == "우리 독자 명단.csv"
    assert create_import(publication, str(path), consent="x").filename == "upload-3f9a.csv"


def test_a_test_send_through_a_dead_server_says_so_in_the_studios_words(
    client, owner, publication, make_post, settings
):
    from hanji.subscribers.models import Newsletter

    Newsletter.objects.create(
        publication=publication, name="레터", slug="letter", sender_email="l@weekly.example.com"
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    settings.HANJI_FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    post = make_post()
    client.force_login(owner)
    response = client.post(
        reverse("studio:post_test", args=[publication.slug, post.pk]),
        {"addresses": "me@example.com"},
    )
    assert response.status_code == 302
    said = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(said) == 1
    assert "Hanji could not" in said[0] or "did not accept" in said[0]
    assert str(port) not in said[0]  # nothing of the server's own answer


def test_the_web_preview_shows_what_the_public_page_shows(client, owner, make_post, author):
    post = make_post(title="미리 보기", publish=False, tags=["반도체"], authors=[author])
    client.force_login(owner)
    page = client.get(reverse("studio:preview_web", args=["weekly", post.pk])).content.decode()
    assert "#반도체" in page  # the tags, which the preview once left out
    assert author.name in page
    assert 'class="comment-count"' in page

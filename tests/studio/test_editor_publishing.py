"""The editor's publishing: a confirmation before anything is sent, three distinct actions,
what a sent post shows, the slug that follows the title, the test send's address."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from hanji.posts.models import Post
from hanji.posts.revisions import version_of
from hanji.sending.models import Send
from hanji.studio.views.home import public_path
from hanji.subscribers.models import Segment


def _form(post: Post, **changes) -> dict:
    data = {
        "title": post.title,
        "body": post.body,
        "slug": post.slug,
        "version": version_of(post),
        "visibility": "public",
    }
    data.update(changes)
    return data


def _edit_url(post: Post) -> str:
    return reverse("studio:post_edit", args=[post.publication.slug, post.pk])


def test_publish_and_send_first_shows_the_newsletter_segment_and_exact_count(
    client, owner, publication, newsletter, readers, make_post, django_capture_on_commit_callbacks
):
    readers(3)
    segment = Segment.objects.create(publication=publication, name="활성 독자", statuses=["active"])
    draft = make_post(title="이번 주 소식", publish=False)
    client.force_login(owner)

    response = client.post(
        _edit_url(draft),
        _form(draft, action="publish-send", newsletter=newsletter.pk, segment=segment.pk),
    )
    assert response.status_code == 302 and "/send/?" in response["Location"]
    page = client.get(response["Location"]).content.decode()
    assert "주간 레터" in page and "활성 독자" in page and "3 subscribers" in page
    draft.refresh_from_db()
    assert draft.status == "draft" and not Send.objects.filter(post=draft).exists()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("studio:post_send", args=["weekly", draft.pk]),
            {"newsletter": newsletter.pk, "segment": segment.pk, "publish": "1", "confirmed": "1"},
        )
    assert "/sends/" in response["Location"]
    draft.refresh_from_db()
    send = Send.objects.get(post=draft)
    assert draft.status == "published" and send.segment == segment and send.total == 3


def test_sending_a_published_post_asks_first_too(client, owner, newsletter, readers, make_post):
    readers(2)
    post = make_post(title="발행된 글")
    client.force_login(owner)
    response = client.post(
        reverse("studio:post_send", args=["weekly", post.pk]), {"newsletter": newsletter.pk}
    )
    assert response.status_code == 302 and "/send/?" in response["Location"]
    assert "2 subscribers" in client.get(response["Location"]).content.decode()
    assert not Send.objects.filter(post=post).exists()


def test_publish_schedule_and_publish_and_send_are_three_different_things(
    client, owner, newsletter, readers, make_post
):
    readers(1)
    client.force_login(owner)
    web_only = make_post(title="웹에만", publish=False)
    client.post(_edit_url(web_only), _form(web_only, action="publish"))
    web_only.refresh_from_db()
    assert web_only.status == "published" and not Send.objects.filter(post=web_only).exists()

    later = make_post(title="나중에", publish=False)
    at = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    client.post(_edit_url(later), _form(later, action="schedule", publish_at=at))
    later.refresh_from_db()
    assert later.status == "scheduled" and not Send.objects.filter(post=later).exists()

    page = client.get(_edit_url(make_post(title="초안", publish=False))).content.decode()
    assert 'value="publish-send"' in page and 'value="publish"' in page
    assert 'value="schedule"' in page


def test_a_sent_post_shows_when_and_to_how_many_instead_of_a_send_button(
    client, owner, newsletter, readers, make_post, django_capture_on_commit_callbacks
):
    from hanji.sending.actions import start_send_for_post

    readers(2)
    post = make_post(title="보낸 글")
    with django_capture_on_commit_callbacks(execute=True):
        send = start_send_for_post(post, newsletter)
    client.force_login(owner)
    page = client.get(_edit_url(post)).content.decode()
    assert 'data-testid="sent-summary"' in page
    assert reverse("studio:send_detail", args=["weekly", send.pk]) in page
    assert "2 recipients" in page
    assert "Send by email" not in page and "formaction" not in page


def test_autosave_answers_the_slug_the_new_title_gave(client, owner, publication):
    client.force_login(owner)
    response = client.post(reverse("studio:post_new", args=["weekly"]))
    post = Post.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    page = client.get(response["Location"]).content.decode()
    assert 'name="slug_auto" id="id_slug_auto" value="1"' in page
    answer = client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]),
        _form(post, title="한지 뜨는 법", slug_auto="1"),
    ).json()
    assert answer["slug"] == "한지-뜨는-법" and answer["slug_auto"] is True


def test_a_post_titled_in_the_editor_goes_live_at_its_title_not_untitled(
    client, owner, publication
):
    """The trap: autosave gave the draft its title's slug, the page still showed the old
    one (제목-없음-2), and publishing put the post there."""
    client.force_login(owner)
    client.post(reverse("studio:post_new", args=["weekly"]))  # takes 제목-없음
    response = client.post(reverse("studio:post_new", args=["weekly"]))
    post = Post.objects.get(pk=int(response["Location"].rstrip("/").rsplit("/", 1)[1]))
    stale = post.slug
    assert stale.endswith("-2")
    client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]),
        _form(post, title="봄의 종이", slug_auto="1"),
    )
    post.refresh_from_db()
    client.post(
        _edit_url(post), _form(post, title="봄의 종이", slug=stale, slug_auto="1", action="publish")
    )
    post.refresh_from_db()
    assert post.status == "published" and post.slug == "봄의-종이"
    client.logout()
    assert client.get(public_path("weekly", "봄의-종이")).status_code == 200
    assert client.get(public_path("weekly", stale)).status_code == 404


def test_a_slug_the_writer_typed_stays_when_the_title_changes(client, owner, make_post):
    client.force_login(owner)
    post = make_post(title="제목", publish=False)
    client.post(_edit_url(post), _form(post, slug="my-own", slug_auto="0"))
    post.refresh_from_db()
    answer = client.post(
        reverse("studio:post_autosave", args=["weekly", post.pk]),
        _form(post, title="다른 제목", slug="my-own", slug_auto="0"),
    ).json()
    assert answer["slug"] == "my-own" and answer["slug_auto"] is False


def test_the_test_send_defaults_to_the_signed_in_persons_address(
    client, django_user_model, publication, make_post
):
    from hanji.publications.models import Role, TeamMember

    person = django_user_model.objects.create_user(
        "writer@weekly.example.com", "", "pw-very-secret-1"
    )
    TeamMember.objects.create(publication=publication, user=person, role=Role.EDITOR)
    post = make_post(title="시험", publish=False)
    client.force_login(person)
    page = client.get(_edit_url(post)).content.decode()
    assert 'id="id_test_to" name="addresses" type="text" value="writer@weekly.example.com"' in page

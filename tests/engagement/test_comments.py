"""Comments through the HTTP interface: who may comment, replies, editing, bad input, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from hanji.engagement import actions
from hanji.engagement.models import Comment, CommentStatus, WhoMayComment
from hanji.posts.actions import publish_post, save_post
from hanji.subscribers.models import SubscriberStatus
from tests.engagement.htmlcheck import assert_only_safe_markup
from tests.engagement.xss import CORPUS

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "weekly.testserver"}


def comment_url(post) -> str:
    return f"/engagement/{post.pk}/comments/"


def page(client, post, **extra) -> str:
    return client.get(f"/posts/{post.slug}/", **{**HOST, **extra}).content.decode()


@pytest.fixture
def post(make_post):
    return make_post(title="한지 공방 방문기")


def test_a_signed_in_reader_comments_and_everyone_sees_it(client, post, reader, sign_in):
    assert "첫 댓글을 남겨 주세요" in page(client, post) or "Be the first" in page(client, post)
    sign_in(client, reader, **HOST)
    response = client.post(
        comment_url(post), {"body": "좋은 글 감사합니다!\n다음 편도 기대할게요."}, **HOST
    )
    comment = Comment.objects.get()
    assert response.status_code == 302
    assert response["Location"].endswith(f"#comment-{comment.pk}")
    assert comment.subscriber == reader and comment.status == CommentStatus.PUBLISHED
    anonymous = page(client.__class__(), post)
    assert "좋은 글 감사합니다!<br>다음 편도 기대할게요." in anonymous
    assert "김독자" in anonymous


def test_the_cached_page_shows_a_new_comment_at_once(client, post, reader, sign_in):
    from django.test import Client

    visitor = Client()
    assert visitor.get(f"/posts/{post.slug}/", **HOST)["X-Hanji-Cache"] == "miss"
    assert visitor.get(f"/posts/{post.slug}/", **HOST)["X-Hanji-Cache"] == "hit"
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "캐시를 넘어"}, **HOST)
    response = visitor.get(f"/posts/{post.slug}/", **HOST)
    assert response["X-Hanji-Cache"] == "miss"
    assert "캐시를 넘어" in response.content.decode()


def test_readers_who_are_not_signed_in_or_confirmed_may_not_comment(
    client, post, make_reader, sign_in
):
    response = client.post(comment_url(post), {"body": "익명"}, **HOST)
    assert response.status_code == 403
    pending = make_reader("pending@example.com", status=SubscriberStatus.PENDING)
    # Signing in with the link confirms a pending reader, so make them pending again after.
    sign_in(client, pending, **HOST)
    pending.status = SubscriberStatus.PENDING
    pending.save()
    response = client.post(comment_url(post), {"body": "확인 전"}, **HOST)
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_the_publication_chooses_who_may_comment(client, post, publication, reader, sign_in):
    sign_in(client, reader, **HOST)
    actions.update_settings(publication, who_may_comment=WhoMayComment.NOBODY)
    assert client.post(comment_url(post), {"body": "a"}, **HOST).status_code == 403
    assert "comment-form" not in page(client, post)
    # Paid memberships do not exist yet: "paid members" lets nobody comment.
    actions.update_settings(publication, who_may_comment=WhoMayComment.MEMBERS)
    response = client.post(comment_url(post), {"body": "a"}, **HOST)
    assert response.status_code == 403
    assert not Comment.objects.exists()  # refused, and nothing stored
    actions.update_settings(publication, who_may_comment=WhoMayComment.SUBSCRIBERS)
    assert client.post(comment_url(post), {"body": "a"}, **HOST).status_code == 302
    assert Comment.objects.count() == 1


def test_a_post_can_close_its_comments(client, post, reader, sign_in):
    sign_in(client, reader, **HOST)
    actions.close_comments(post)
    assert client.post(comment_url(post), {"body": "닫힘"}, **HOST).status_code == 403
    assert not Comment.objects.exists()
    actions.close_comments(post, closed=False)
    assert client.post(comment_url(post), {"body": "열림"}, **HOST).status_code == 302
    assert list(Comment.objects.values_list("body", flat=True)) == ["열림"]


def test_replies_are_one_level_deep(client, post, reader, make_reader, sign_in):
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "원 댓글"}, **HOST)
    top = Comment.objects.get()
    client.post(comment_url(post), {"body": "답글", "parent": top.pk}, **HOST)
    reply = Comment.objects.get(body="답글")
    client.post(comment_url(post), {"body": "답글의 답글", "parent": reply.pk}, **HOST)
    deeper = Comment.objects.get(body="답글의 답글")
    assert reply.parent == top and deeper.parent == top


def test_a_reply_to_another_posts_comment_is_refused(client, post, make_post, reader, sign_in):
    other = make_post(title="다른 글")
    sign_in(client, reader, **HOST)
    client.post(comment_url(other), {"body": "저쪽 댓글"}, **HOST)
    elsewhere = Comment.objects.get()
    response = client.post(comment_url(post), {"body": "x", "parent": elsewhere.pk}, **HOST)
    assert response.status_code == 403
    assert list(Comment.objects.all()) == [elsewhere]


def test_readers_edit_and_delete_their_own_comment_within_the_window(
    client, post, reader, make_reader, sign_in
):
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "오타 있는 댓글"}, **HOST)
    comment = Comment.objects.get()
    response = client.post(
        f"/engagement/comments/{comment.pk}/edit/", {"body": "고친 댓글"}, **HOST
    )
    assert response.status_code == 302
    comment.refresh_from_db()
    assert comment.body == "고친 댓글" and comment.edited_at is not None
    # Someone else cannot touch it.
    from django.test import Client

    stranger = make_reader("stranger@example.com")
    other = sign_in(Client(), stranger, **HOST)
    assert other.post(f"/engagement/comments/{comment.pk}/delete/", **HOST).status_code == 404
    # After the window, neither edit nor delete.
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now() - timedelta(hours=1))
    assert (
        client.post(
            f"/engagement/comments/{comment.pk}/edit/", {"body": "늦은 수정"}, **HOST
        ).status_code
        == 403
    )
    client.post(f"/engagement/comments/{comment.pk}/delete/", **HOST)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.PUBLISHED and comment.body == "고친 댓글"
    # Within it, delete works and keeps the row for the replies' sake.
    Comment.objects.filter(pk=comment.pk).update(created_at=timezone.now())
    client.post(f"/engagement/comments/{comment.pk}/delete/", **HOST)
    comment.refresh_from_db()
    assert comment.status == CommentStatus.DELETED and comment.body == ""


@pytest.mark.parametrize("attack", CORPUS)
def test_the_xss_corpus_is_shown_as_text_on_the_page(client, post, reader, sign_in, attack):
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": attack}, **HOST)
    comment = Comment.objects.get()
    html = page(client, post)
    start = html.index(f'id="comment-{comment.pk}"')
    body = html[html.index('<div class="comment-body">', start) + 26 :]
    body = body[: body.index("</div>")]
    parsed = assert_only_safe_markup(body)
    assert " ".join(parsed.text.split()) == " ".join(comment.body.split())


def test_unicode_tricks_are_normalized_or_refused_with_a_clear_message(
    client, post, reader, sign_in
):
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "evil\u202etxt.exe \u200b보이지\u200b않음"}, **HOST)
    assert Comment.objects.get().body == "eviltxt.exe 보이지않음"
    response = client.post(comment_url(post), {"body": "가" * 100_000}, **HOST)
    assert response.status_code == 400
    text = response.content.decode()
    assert "5,000" in text and "100,000" in text
    # The reader's text comes back in the form, so nothing they typed is lost.
    assert "가" * 100 in text
    assert Comment.objects.count() == 1


def test_a_comment_flood_is_rate_limited(client, post, reader, sign_in):
    sign_in(client, reader, **HOST)
    statuses = [
        client.post(comment_url(post), {"body": f"도배 {i}"}, **HOST).status_code for i in range(8)
    ]
    assert statuses[:5] == [302] * 5
    assert set(statuses[5:]) == {429}
    assert Comment.objects.count() == 5


def test_link_heavy_and_repeated_comments_wait_for_review(
    client, post, reader, make_reader, sign_in
):
    sign_in(client, reader, **HOST)
    spam = " ".join(f"https://spam{i}.example/buy" for i in range(4))
    client.post(comment_url(post), {"body": spam}, **HOST)
    client.post(comment_url(post), {"body": "두 개 https://a.example https://b.example"}, **HOST)
    client.post(comment_url(post), {"body": "두 개 https://a.example https://b.example"}, **HOST)
    spammy, fine, repeated = Comment.objects.order_by("id")
    assert spammy.status == CommentStatus.REVIEW and "4" in spammy.review_reason
    assert fine.status == CommentStatus.PUBLISHED
    assert repeated.status == CommentStatus.REVIEW
    # Only its author sees a comment waiting for review.
    assert "spam0.example" in page(client, post)
    assert "spam0.example" not in page(client.__class__(), post)


def test_blocked_words_send_a_comment_to_review(client, post, publication, reader, sign_in):
    actions.update_settings(publication, blocked_words="카지노\nviagra")
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "온라인 카지노 추천"}, **HOST)
    assert Comment.objects.get().status == CommentStatus.REVIEW


def test_comment_endpoints_refuse_other_publications_drafts_and_paid_posts(
    client, publication, other_publication, make_post, reader, sign_in
):
    sign_in(client, reader, **HOST)
    theirs = make_post(pub=other_publication, title="Their post")
    draft = make_post(title="초안", publish=False)
    paid = publish_post(save_post(publication, title="유료", body_markdown="x", visibility="paid"))
    for target in (theirs, draft, paid):
        response = client.post(comment_url(target), {"body": "안녕"}, **HOST)
        assert response.status_code == 404, target
    assert not Comment.objects.exists()


def test_comment_counts_show_in_the_archive_with_one_query(client, post, make_post, reader):
    others = [make_post(title=f"글 {i}") for i in range(5)]
    for target, n in ((post, 3), (others[0], 1)):
        for i in range(n):
            Comment.objects.create(
                publication=post.publication,
                post=target,
                subscriber=reader,
                body=f"c{i}",
                body_html="",
            )
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/archive/", **HOST).content.decode()
    assert "댓글 3개" in html or "3 comments" in html
    counting = [q for q in queries.captured_queries if "engagement_comment" in q["sql"]]
    assert len(counting) == 1


def test_moderators_hide_pin_delete_approve_and_ban(
    client, post, publication, reader, sign_in, editor, stranger
):
    sign_in(client, reader, **HOST)
    client.post(comment_url(post), {"body": "첫째"}, **HOST)
    client.post(
        comment_url(post),
        {"body": "둘째 https://1.example https://2.example https://3.example https://4.example"},
        **HOST,
    )
    first, waiting = Comment.objects.order_by("id")
    from django.test import Client

    staff = Client()
    base = f"/engagement/studio/{publication.slug}/comments/"
    staff.force_login(stranger)
    assert staff.get(base).status_code == 404
    staff.force_login(editor)
    queue = staff.get(base)
    assert queue.status_code == 200 and "https://4.example" in queue.content.decode()
    staff.post(f"{base}{waiting.pk}/approve/")
    staff.post(f"{base}{first.pk}/pin/")
    waiting.refresh_from_db()
    first.refresh_from_db()
    assert waiting.status == CommentStatus.PUBLISHED and first.pinned
    html = page(Client(), post)
    assert html.index("첫째") < html.index("둘째")
    staff.post(f"{base}{waiting.pk}/hide/")
    assert "둘째" not in page(Client(), post)
    staff.post(f"{base}{first.pk}/ban/")
    first.refresh_from_db()
    assert first.status == CommentStatus.HIDDEN
    response = client.post(comment_url(post), {"body": "차단 후"}, **HOST)
    assert response.status_code == 403
    assert not Comment.objects.filter(body="차단 후").exists()
    staff.post(f"{base}{first.pk}/delete/")
    first.refresh_from_db()
    assert first.status == CommentStatus.DELETED and first.body == ""

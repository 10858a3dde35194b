"""Mail about comments: the team's digest and reply notifications for readers who asked."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client, TestCase
from django.utils import timezone

from hanji.engagement import actions
from hanji.engagement.models import Comment, DigestFrequency, EngagementSettings
from hanji.engagement.tasks import send_comment_digest

pytestmark = pytest.mark.django_db

HOST = {"HTTP_HOST": "weekly.testserver"}


@pytest.fixture
def post(make_post):
    return make_post(title="답글 알림")


def committed():
    """Tasks are enqueued when the transaction commits; the test's own transaction never
    does, so this runs what the block left for after its commit, as a commit would. What a
    transaction rolled back inside the block left is dropped, as it is in production."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def comment(client, post, body, **data):
    with committed():
        return client.post(f"/engagement/{post.pk}/comments/", {"body": body, **data}, **HOST)


def test_a_reader_who_opted_in_gets_an_email_when_someone_replies(
    post, reader, make_reader, sign_in, mailoutbox
):
    first = sign_in(Client(), reader, **HOST)
    comment(first, post, "궁금한 점이 있어요", notify_replies="on")
    question = Comment.objects.get()
    other = sign_in(Client(), make_reader("answer@example.com", name="박답변"), **HOST)
    comment(other, post, "제가 답해 드릴게요\n<b>굵게</b>", parent=question.pk)
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == [reader.email]
    assert "박답변" in message.subject
    assert "제가 답해 드릴게요" in message.body
    html = message.alternatives[0][0]
    assert "&lt;b&gt;굵게&lt;/b&gt;" in html and "<b>굵게</b>" not in html
    # The link in the email turns further reply emails off (GET asks, POST does it).
    link = next(line for line in message.body.splitlines() if "/engagement/replies-off/" in line)
    path = "/" + link.split("://", 1)[1].split("/", 3)[3]
    assert Client().get(path, **HOST).status_code == 200
    assert Comment.objects.get(pk=question.pk).notify_replies is True
    Client().post(path, **HOST)
    assert Comment.objects.get(pk=question.pk).notify_replies is False
    comment(other, post, "한 번 더", parent=question.pk)
    assert len(mailoutbox) == 1


def test_no_email_without_opting_in_or_for_replying_to_oneself(
    post, reader, make_reader, sign_in, mailoutbox
):
    first = sign_in(Client(), reader, **HOST)
    comment(first, post, "알림 없이")
    comment(first, post, "알림 받기", notify_replies="on")
    silent, loud = Comment.objects.order_by("id")
    other = sign_in(Client(), make_reader("other@example.com"), **HOST)
    comment(other, post, "답글", parent=silent.pk)
    comment(first, post, "내가 나에게", parent=loud.pk)
    assert mailoutbox == []


def test_a_reply_waiting_for_review_notifies_only_once_published(
    post, reader, make_reader, sign_in, mailoutbox
):
    first = sign_in(Client(), reader, **HOST)
    comment(first, post, "질문", notify_replies="on")
    question = Comment.objects.get()
    other = sign_in(Client(), make_reader("spam@example.com"), **HOST)
    links = " ".join(f"https://x{i}.example" for i in range(5))
    comment(other, post, links, parent=question.pk)
    assert mailoutbox == []
    with committed():
        actions.approve_comment(Comment.objects.get(parent=question))
    assert len(mailoutbox) == 1


def test_a_reply_whose_transaction_rolls_back_notifies_nobody(
    post, reader, make_reader, mailoutbox
):
    question = actions.post_comment(post, reader, "질문", notify_replies=True)
    answerer = make_reader("answer@example.com")
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        actions.post_comment(post, answerer, "취소될 답글", parent_id=question.pk)
        raise RuntimeError("the request failed after the reply was written")
    assert mailoutbox == []
    assert not Comment.objects.filter(body="취소될 답글").exists()
    with committed():
        actions.post_comment(post, answerer, "남는 답글", parent_id=question.pk)
    assert len(mailoutbox) == 1


def test_the_team_gets_a_digest_of_new_comments(
    post, publication, owner, reader, sign_in, mailoutbox
):
    browser = sign_in(Client(), reader, **HOST)
    comment(browser, post, "첫 번째 댓글")
    comment(browser, post, "링크 " + " ".join(f"https://s{i}.example" for i in range(5)))
    with committed():
        assert actions.enqueue_comment_digests() == 1  # tasks run in-line under the tests
    assert len(mailoutbox) == 1
    digest = mailoutbox[0]
    assert digest.to == [owner.email]
    assert "2" in digest.subject
    assert "첫 번째 댓글" in digest.body
    assert f"/engagement/studio/{publication.slug}/comments/" in digest.body
    # The next digest waits for its period, and holds only what is new since this one.
    assert actions.enqueue_comment_digests() == 0
    assert send_comment_digest.call(publication.pk) == 0
    EngagementSettings.objects.filter(publication=publication).update(
        digest_sent_until=timezone.now() - timedelta(days=2)
    )
    comment(browser, post, "다음 날 댓글")
    Comment.objects.exclude(body="다음 날 댓글").update(
        created_at=timezone.now() - timedelta(days=3)
    )
    with committed():
        assert actions.enqueue_comment_digests() == 1
    assert len(mailoutbox) == 2
    assert "다음 날 댓글" in mailoutbox[1].body and "첫 번째 댓글" not in mailoutbox[1].body


def test_a_publication_can_turn_the_digest_off(
    post, publication, owner, reader, sign_in, mailoutbox
):
    actions.update_settings(publication, comment_digest=DigestFrequency.OFF)
    comment(sign_in(Client(), reader, **HOST), post, "조용히")
    assert actions.enqueue_comment_digests() == 0
    assert mailoutbox == []

"""A publication with one person in each role, a member of another publication, and one of
each thing the studio shows (post, send, subscriber, segment, import, newsletter)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from hanji.publications.models import Role, TeamMember
from hanji.subscribers import counts
from hanji.subscribers.models import Import, Newsletter, Segment, Subscriber, Subscription


@pytest.fixture(autouse=True)
def _english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def admin_user(django_user_model, publication):
    user = django_user_model.objects.create_user("admin1", "admin1@example.com", "pw-very-secret-1")
    TeamMember.objects.create(publication=publication, user=user, role=Role.ADMIN)
    return user


@pytest.fixture
def outsider(django_user_model, other_publication):
    """The owner of another publication: a real studio user, but not of this one."""
    user = django_user_model.objects.create_user(
        "outsider", "outsider@example.com", "pw-very-secret-1"
    )
    TeamMember.objects.create(publication=other_publication, user=user, role=Role.OWNER)
    return user


@pytest.fixture
def newsletter(publication) -> Newsletter:
    return Newsletter.objects.create(
        publication=publication,
        name="주간 레터",
        slug="weekly",
        sender_name="주간 실리콘밸리",
        sender_email="letter@weekly.example.com",
    )


@pytest.fixture
def readers(publication, newsletter):
    def make(n: int, prefix: str = "reader") -> list[Subscriber]:
        now = timezone.now()
        rows = [
            Subscriber.objects.create(
                publication=publication,
                email=f"{prefix}{i}@example.org",
                name=f"독자{i}",
                status="active",
                created_at=now,
                confirmed_at=now,
            )
            for i in range(n)
        ]
        Subscription.objects.bulk_create(
            Subscription(subscriber=s, newsletter=newsletter) for s in rows
        )
        counts.recount(publication.pk)  # as the actions would have kept them
        return rows

    return make


@pytest.fixture
def world(publication, newsletter, readers, make_post, owner, tmp_path):
    """One of everything, owned by `publication`."""
    from hanji.sending.actions import start_send_for_post

    subscriber = readers(2)[0]
    post = make_post(title="보낸 글", body="본문입니다")
    post.created_by = owner
    post.save()
    draft = make_post(title="초안", body="초안 본문", publish=False)
    send = start_send_for_post(post, newsletter)
    segment = Segment.objects.create(publication=publication, name="모두", statuses=["active"])
    csv = tmp_path / "list.csv"
    csv.write_text("email\nnew@example.org\n")
    import_run = Import.objects.create(publication=publication, path=str(csv), filename="list.csv")
    revision = post.revisions.create(title="옛 제목", body="<p>옛 본문</p>", kind="save")
    message = _outbox_message(publication, "구독 확인 비밀 링크")
    return {
        "post": post,
        "draft": draft,
        "send": send,
        "subscriber": subscriber,
        "segment": segment,
        "import": import_run,
        "revision": revision,
        "newsletter": newsletter,
        "message": message,
    }


def _outbox_message(publication, subject: str):
    """An email in the publication's outbox, stored by the real outbox backend."""
    from django.core import mail
    from django.core.mail import EmailMultiAlternatives
    from django.test import override_settings

    from hanji.core.models import OutboxMessage

    email = EmailMultiAlternatives(subject, "확인", "letters@example.com", ["reader0@example.org"])
    email.attach_alternative(f"<p>{subject}</p>", "text/html")
    email.publication_id = publication.pk
    backend = {"default": {"BACKEND": "hanji.core.outbox.OutboxBackend"}}
    with override_settings(MAILERS=backend):
        mail.mailers["default"].send_messages([email])
    return OutboxMessage.objects.latest("id")

"""A line break in a name cannot break or forge an email header: single-line fields are
folded when saved, and every header is built from one helper's output."""

from __future__ import annotations

import pytest
from django.urls import reverse

from hanji.core.headers import SINGLE_LINE_FIELDS, single_line
from hanji.publications.models import Author, Publication
from hanji.studio.models import Invitation
from hanji.subscribers.models import Newsletter

pytestmark = pytest.mark.django_db

BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x85", "\u2028", "\u2029", "\x00"]
INJECTION = "주간 레터\r\nBcc: victim@example.com\r\nX-Evil: 1"


@pytest.mark.parametrize("brk", BREAKS)
def test_single_line_turns_every_line_break_into_a_space(brk):
    assert single_line(f"A{brk}B") == "A B"
    assert single_line(f"  A {brk}{brk} B  ") == "A B"


def test_single_line_keeps_korean_and_emoji_whole():
    assert single_line("주간 실리콘밸리 👩‍💻 ‹특집›") == "주간 실리콘밸리 👩‍💻 ‹특집›"


def test_a_publication_name_with_a_line_break_is_saved_as_one_line(client, owner, publication):
    client.force_login(owner)
    response = client.post(
        reverse("studio:settings", args=[publication.slug]),
        {
            "section": "profile",
            "profile-name": INJECTION,
            "profile-description": "첫 줄\n둘째 줄",
            "profile-language": "ko",
            "profile-time_zone": "Asia/Seoul",
            "profile-accent_color": "#c0392b",
        },
    )
    assert response.status_code == 302
    publication.refresh_from_db()
    assert publication.name == "주간 레터 Bcc: victim@example.com X-Evil: 1"
    assert publication.description == "첫 줄 둘째 줄"


def test_every_guarded_model_folds_its_fields_whatever_saves_it(publication, make_post):
    publication.name = INJECTION
    publication.save()
    author = Author.objects.create(publication=publication, name="김\n한지", slug="k")
    newsletter = Newsletter.objects.create(
        publication=publication, name="a\nb", slug="n", sender_name="보내는\r\n사람"
    )
    post = make_post(title="제목\r\nBcc: x@example.com", subtitle="부\n제")
    for row in (publication, author, newsletter, post):
        row.refresh_from_db()
    assert "\n" not in publication.name and "\r" not in publication.name
    assert author.name == "김 한지"
    assert (newsletter.name, newsletter.sender_name) == ("a b", "보내는 사람")
    assert (post.title, post.subtitle) == ("제목 Bcc: x@example.com", "부 제")


def test_the_guarded_fields_exist_on_their_models():
    from django.apps import apps

    for label, names in SINGLE_LINE_FIELDS.items():
        model = apps.get_model(label)
        for name in names:
            model._meta.get_field(name)


def test_an_invitation_from_a_publication_with_a_broken_name_is_sent(
    client, owner, publication, mailoutbox
):
    # A row written behind every form's back (an old row, raw SQL): the header is still safe.
    Publication.objects.filter(pk=publication.pk).update(name=INJECTION)
    client.force_login(owner)
    response = client.post(
        reverse("studio:team", args=[publication.slug]),
        {"action": "invite", "email": "writer@example.com", "role": "editor"},
    )
    assert response.status_code == 302
    assert Invitation.objects.filter(email="writer@example.com").count() == 1
    message = mailoutbox[-1].message()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\n" not in str(mailoutbox[-1].subject)
    assert "Bcc: victim@example.com" in mailoutbox[-1].subject


def test_an_invitation_that_cannot_be_sent_leaves_no_row(owner, publication, monkeypatch):
    from django.core.mail import EmailMessage

    from hanji.studio import actions

    def refuse(self, *args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(EmailMessage, "send", refuse)
    with pytest.raises(ConnectionRefusedError):
        actions.invite(publication, "a@example.com", "editor", owner, lambda token: "/x")
    assert not Invitation.objects.exists()


def test_transactional_email_subjects_and_senders_are_one_line(publication, mailoutbox):
    from hanji.core import emails

    Publication.objects.filter(pk=publication.pk).update(name=INJECTION)
    publication.refresh_from_db()
    assert "\n" not in emails.sender(publication) and "\r" not in emails.sender(publication)
    subject, _text, _html = emails.render("sign-in", {"url": "http://x/"}, publication)
    assert "\n" not in subject and "\r" not in subject

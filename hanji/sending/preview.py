"""The email of a post before any send exists: the studio's preview and the test send.

Both use the engine's own compiler (hanji.sending.compose) on a send that is never saved, so
what the creator previews and what a test address receives are the real message.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.posts.models import Post
from hanji.sending.compose import MessageTemplate, compile_send, date_header
from hanji.sending.models import Send
from hanji.sending.personalize import Personalizer
from hanji.subscribers.models import Newsletter


def default_newsletter(publication) -> Newsletter | None:
    return Newsletter.objects.filter(publication=publication).order_by("position", "id").first()


def unsaved_send(post: Post, newsletter: Newsletter) -> Send:
    """A send of `post` to `newsletter` as it would start now, never saved (pk 0)."""
    return Send(
        pk=0,
        publication=post.publication,
        post=post,
        newsletter=newsletter,
        subject=post.title,
        preheader=post.subtitle,
        from_name=newsletter.sender_name,
        from_email=newsletter.sender_email,
        reply_to=newsletter.reply_to,
        scheduled_at=timezone.now(),
    )


def compile_test_email(post: Post, newsletter: Newsletter) -> tuple[Send, MessageTemplate]:
    """The unsaved send and its compiled message, marked as a test (no tracking)."""
    send = unsaved_send(post, newsletter)
    return send, MessageTemplate(compile_send(send, test=True))


def email_preview(
    post: Post, *, paid: bool = False, newsletter: Newsletter | None = None
) -> tuple[str, str]:
    """(HTML, plain text) of the email of `post`, free or paid variant, with the placeholders
    filled for a sample reader. Works before the publication has a newsletter."""
    publication = post.publication
    newsletter = (
        newsletter
        or default_newsletter(publication)
        or Newsletter(pk=0, publication=publication, name=publication.name, slug="newsletter")
    )
    send, template = compile_test_email(post, newsletter)
    values = Personalizer(send).values(0, "reader@example.com", _("Reader"), date_header())
    text, html = template.parts("paid" if paid else "free", values)
    return html, text

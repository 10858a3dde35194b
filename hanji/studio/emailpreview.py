"""The email of a post as the sending engine would build it, for the studio's preview.

Uses the engine's own compiler (hanji.sending.compose) on a send that is never saved, with the
per-recipient placeholders filled for a sample reader, so the preview is the real message.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.posts.models import Post
from hanji.sending.compose import MessageTemplate, compile_send, date_header
from hanji.sending.models import Send
from hanji.sending.personalize import Personalizer
from hanji.subscribers.models import Newsletter


def render_email(
    post: Post, *, paid: bool = False, newsletter: Newsletter | None = None
) -> tuple[str, str]:
    """(HTML, plain text) of the email for `post`; free or paid variant."""
    publication = post.publication
    newsletter = (
        newsletter
        or Newsletter.objects.filter(publication=publication).order_by("position", "id").first()
        or Newsletter(pk=0, publication=publication, name=publication.name, slug="newsletter")
    )
    send = Send(
        pk=0,
        publication=publication,
        post=post,
        newsletter=newsletter,
        subject=post.title,
        preheader=post.subtitle,
        from_name=newsletter.sender_name,
        from_email=newsletter.sender_email,
        reply_to=newsletter.reply_to,
        scheduled_at=timezone.now(),
    )
    template = MessageTemplate(compile_send(send, test=True))
    personalizer = Personalizer(send)
    values = personalizer.values(0, "reader@example.com", _("Reader"), date_header())
    text, html = template.parts("paid" if paid else "free", values)
    return html, text

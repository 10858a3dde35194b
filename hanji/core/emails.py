"""Transactional emails by naming convention (after healthchecks' hc/lib/emails.py).

Each kind of email is three templates, `emails/<name>-subject.txt`, `emails/<name>-body-text.txt`
and `emails/<name>-body-html.html`, and a one-line function below. They are rendered in the
publication's language, branded with its name, logo and accent colour, and sent with the
"transactional" mailer (confirmations and sign-in links must not wait behind a big send).
"""

from __future__ import annotations

import logging
from email.utils import formataddr
from typing import Any
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from hanji.core.emailkinds import message_id_for
from hanji.core.headers import single_line
from hanji.publications.links import absolute_url, publication_base_url
from hanji.publications.models import Publication

logger = logging.getLogger(__name__)
_inliner = css_inline.CSSInliner(keep_style_tags=False)


def _brand(publication: Publication | None) -> dict[str, Any]:
    if publication is None:
        return {"brand_name": "Hanji", "accent": "#c0392b", "logo_url": "", "home_url": ""}
    logo_url = ""
    if publication.logo:
        base = urlsplit(publication_base_url(publication))
        logo_url = f"{base.scheme}://{base.netloc}{publication.logo.url}"
    return {
        "publication": publication,
        "brand_name": publication.name,
        "accent": publication.accent_color or "#c0392b",
        "logo_url": logo_url,
        "home_url": absolute_url(publication, "site:home"),
    }


def sender(publication: Publication | None, name: str = "", address: str = "") -> str:
    """`"Name" <address>` with a display name that cannot break the header."""
    display = single_line(name or (publication.name if publication else "Hanji"), 100)
    return formataddr((display, address or settings.HANJI_DEFAULT_FROM_EMAIL))


def render(
    name: str, context: dict[str, Any], publication: Publication | None, language: str = ""
) -> tuple[str, str, str]:
    """(subject, text, html) of email `name`, in `language` or the publication's."""
    language = language or (publication.language if publication else settings.LANGUAGE_CODE)
    context = {**_brand(publication), **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{name}-subject.txt", context)
        text = render_to_string(f"emails/{name}-body-text.txt", context)
        html = render_to_string(f"emails/{name}-body-html.html", context)
    # A subject is one line, whatever the template or a name in it held.
    subject = single_line(subject, 250)
    return subject, text, _inliner.inline(html)


def send(
    name: str,
    to: str,
    context: dict[str, Any],
    publication: Publication | None,
    *,
    headers: dict[str, str] | None = None,
    reply_to: list[str] | None = None,
    using: str = "transactional",
    language: str = "",
) -> EmailMultiAlternatives:
    subject, text, html = render(name, context, publication, language)
    message = EmailMultiAlternatives(
        subject,
        text,
        sender(publication),
        [to],
        headers={
            "Auto-Submitted": "auto-generated",
            # Says which email it is, for the outbox's filter (hanji.core.emailkinds).
            "Message-ID": message_id_for(name),
            **(headers or {}),
        },
        reply_to=reply_to
        or ([publication.contact_email] if publication and publication.contact_email else None),
    )
    message.attach_alternative(html, "text/html")
    # The outbox backend files the message under its publication.
    message.publication_id = publication.pk if publication else None
    message.send(using=using)
    logger.info("sent %s email for publication %s", name, getattr(publication, "pk", None))
    return message


def confirm_subscription(publication: Publication, to: str, context: dict[str, Any]):
    return send("confirm-subscription", to, context, publication)


def welcome(publication: Publication, to: str, context: dict[str, Any]):
    return send("welcome", to, context, publication)


def sign_in(publication: Publication, to: str, context: dict[str, Any]):
    return send("sign-in", to, context, publication)


def confirm_email_change(publication: Publication, to: str, context: dict[str, Any]):
    return send("confirm-email-change", to, context, publication)


def advertising_consent_reminder(publication: Publication, to: str, context: dict[str, Any]):
    headers = {}
    if context.get("unsubscribe_url"):
        headers = {
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    return send("advertising-reminder", to, context, publication, headers=headers)

"""Signed links every email carries. Contract used by sending, site and subscribers.

The unsubscribe URL answers GET with a confirmation page and a POST with the body
`List-Unsubscribe=One-Click` (RFC 8058) with no page at all.
"""

from __future__ import annotations

from hanji.core.tokens import make_token
from hanji.publications.links import absolute_url
from hanji.publications.models import Publication

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


def unsubscribe_token(
    publication_id: int, subscriber_id: int, newsletter_id: int | None = None
) -> str:
    return make_token(UNSUBSCRIBE, publication_id, [subscriber_id, newsletter_id])


def unsubscribe_url(
    publication: Publication, subscriber_id: int, newsletter_id: int | None = None
) -> str:
    token = unsubscribe_token(publication.pk, subscriber_id, newsletter_id)
    return absolute_url(publication, "subscribers:unsubscribe", token=token)


def preferences_url(publication: Publication, subscriber_id: int) -> str:
    token = make_token(PREFERENCES, publication.pk, [subscriber_id])
    return absolute_url(publication, "subscribers:preferences", token=token)

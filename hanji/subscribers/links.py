"""Signed links every email carries. Contract used by sending, site and subscribers.

The unsubscribe URL answers GET with a confirmation page and a POST with the body
`List-Unsubscribe=One-Click` (RFC 8058) with no page at all.
"""

from __future__ import annotations

from typing import NamedTuple

from hanji.core.tokens import BadToken, make_token, read_token
from hanji.publications.links import absolute_url
from hanji.publications.models import Publication

UNSUBSCRIBE = "unsubscribe"
PREFERENCES = "preferences"


def unsubscribe_token(
    publication_id: int,
    subscriber_id: int,
    newsletter_id: int | None = None,
    send_id: int | None = None,
) -> str:
    """`send_id`: the send whose message carries the link, so an unsubscribe through it
    counts to that send (hanji.analytics); links made before it was carried have none."""
    payload = [subscriber_id, newsletter_id] + ([send_id] if send_id else [])
    return make_token(UNSUBSCRIBE, publication_id, payload)


class UnsubscribeLink(NamedTuple):
    subscriber_id: int
    newsletter_id: int | None
    send_id: int | None


def read_unsubscribe_token(publication_id: int, token: str) -> UnsubscribeLink:
    """What an unsubscribe link names; BadToken for anything Hanji did not sign for this
    publication, or signed with a payload of another shape."""
    payload = read_token(UNSUBSCRIBE, publication_id, token)
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        raise BadToken("invalid")
    subscriber_id, newsletter_id, *rest = payload
    send_id = rest[0] if rest else None
    if not isinstance(subscriber_id, int) or not all(
        v is None or isinstance(v, int) for v in (newsletter_id, send_id)
    ):
        raise BadToken("invalid")
    return UnsubscribeLink(subscriber_id, newsletter_id, send_id)


def unsubscribe_url(
    publication: Publication, subscriber_id: int, newsletter_id: int | None = None
) -> str:
    token = unsubscribe_token(publication.pk, subscriber_id, newsletter_id)
    return absolute_url(publication, "subscribers:unsubscribe", token=token)


def preferences_url(publication: Publication, subscriber_id: int) -> str:
    token = make_token(PREFERENCES, publication.pk, [subscriber_id])
    return absolute_url(publication, "subscribers:preferences", token=token)

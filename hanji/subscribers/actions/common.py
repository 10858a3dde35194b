"""What the action modules share: where a consent came from, the consent log, single-use
tokens, joining and leaving newsletters, and the keyed hash of an erased address.

Internal to `hanji.subscribers.actions`; other apps import the public names from the package.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings

from hanji.core.tokens import BadToken
from hanji.publications.models import Publication
from hanji.subscribers import figures
from hanji.subscribers.models import ConsentEvent, NewsletterOptOut, Subscriber, Subscription

# One confirmation (or sign-in, or email-change) email per address per this many seconds,
# whatever the number of requests.
MAIL_INTERVAL = 5 * 60


class TokenUsed(BadToken):
    """The link was valid but has been used already (or a newer one was used)."""


class Refused(ValueError):
    """A change refused, with the reason for the person who asked (shown as it is); `field`
    names the input the reason is about, None for the whole request."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RequestInfo:
    """Where a consent came from: the client's address and browser, and the form or file."""

    ip: str | None = None
    user_agent: str = ""
    channel: str = ""


def log_consent(
    subscriber: Subscriber | None,
    action: str,
    statement: str = "",
    info: RequestInfo | None = None,
    *,
    publication_id: int | None = None,
    email: str = "",
) -> ConsentEvent:
    """Append one record to the consent log (never rewritten)."""
    info = info or RequestInfo()
    return ConsentEvent.objects.create(
        publication_id=publication_id or subscriber.publication_id,
        subscriber=subscriber,
        email=email or subscriber.email,
        action=action,
        statement=statement,
        channel=info.channel[:200],
        ip=info.ip or None,
        user_agent=(info.user_agent or "")[:500],
    )


def token_subscriber(
    publication: Publication, subscriber_id: int, version: int, *, lock: bool = False
) -> Subscriber:
    """The subscriber a single-use token names, if the token is still unused.

    Raises BadToken when the subscriber is gone and TokenUsed when a token was used since
    (every use bumps `token_version`). With `lock`, the row stays locked for the caller's
    transaction, so two clicks on one link cannot both use it.
    """
    rows = Subscriber.objects.filter(publication=publication, pk=subscriber_id)
    subscriber = (rows.select_for_update() if lock else rows).first()
    if subscriber is None:
        raise BadToken("gone")
    if subscriber.token_version != version:
        raise TokenUsed("used")
    return subscriber


def join_newsletters(subscriber: Subscriber, newsletter_ids: Iterable[int]) -> set[int]:
    """Put the subscriber on these newsletters; returns the ids that are new to them."""
    ids = set(newsletter_ids)
    had = set(
        Subscription.objects.filter(subscriber=subscriber, newsletter_id__in=ids).values_list(
            "newsletter_id", flat=True
        )
    )
    Subscription.objects.bulk_create(
        [Subscription(subscriber=subscriber, newsletter_id=i) for i in ids - had],
        ignore_conflicts=True,
    )
    NewsletterOptOut.objects.filter(subscriber=subscriber, newsletter_id__in=ids).delete()
    figures.forget(subscriber.publication_id)
    return ids - had


def leave_newsletters(subscriber: Subscriber, newsletter_ids: Iterable[int]) -> int:
    """Take the subscriber off these newsletters and remember it (an import will not put
    them back); returns how many subscriptions ended."""
    ids = set(newsletter_ids)
    removed, _detail = Subscription.objects.filter(
        subscriber=subscriber, newsletter_id__in=ids
    ).delete()
    NewsletterOptOut.objects.bulk_create(
        [NewsletterOptOut(subscriber=subscriber, newsletter_id=i) for i in ids],
        ignore_conflicts=True,
    )
    figures.forget(subscriber.publication_id)
    return removed


def erased_digest(publication_id: int, email: str) -> str:
    """The keyed hash that stays of a deleted reader's address (imports check it)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{publication_id}:{email}".encode(), hashlib.sha256).hexdigest()

"""The emails a reader asked for (confirmation, welcome, sign-in, email change), sent by the
subscribers tasks. Each re-loads the subscriber and sends nothing to one deleted meanwhile or
one who complained; sending twice is harmless (a second link is as valid as the first)."""

from __future__ import annotations

from hanji.core import emails
from hanji.publications.links import absolute_url
from hanji.subscribers.actions.account import SIGN_IN_MAX_AGE, email_change_token, sign_in_token
from hanji.subscribers.actions.subscribe import (
    CONFIRM_MAX_AGE,
    advertising_statement,
    confirm_token,
)
from hanji.subscribers.links import preferences_url, unsubscribe_url
from hanji.subscribers.models import Newsletter, Subscriber, SubscriberStatus


def _subscriber(subscriber_id: int) -> Subscriber | None:
    subscriber = Subscriber.objects.select_related("publication").filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status == SubscriberStatus.COMPLAINED:
        return None  # deleted meanwhile, or complained: never mailed
    return subscriber


def mail_confirmation(
    subscriber_id: int,
    newsletter_ids: list[int],
    advertising: bool,
    name: str,
    next_path: str = "",
) -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber is None:
        return
    publication = subscriber.publication
    token = confirm_token(subscriber, newsletter_ids, advertising, name, next_path)
    newsletters = Newsletter.objects.filter(publication=publication, pk__in=newsletter_ids)
    emails.confirm_subscription(
        publication,
        subscriber.email,
        {
            "confirm_url": absolute_url(publication, "subscribers:confirm", token=token),
            "newsletters": list(newsletters),
            "advertising": advertising,
            "advertising_statement": advertising_statement(publication) if advertising else "",
            "hours": CONFIRM_MAX_AGE // 3600,
        },
    )


def mail_welcome(subscriber_id: int, newsletter_ids: list[int]) -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber is None or subscriber.status != SubscriberStatus.ACTIVE:
        return
    publication = subscriber.publication
    newsletters = Newsletter.objects.filter(publication=publication, pk__in=newsletter_ids)
    emails.welcome(
        publication,
        subscriber.email,
        {
            "newsletters": list(newsletters),
            "name": subscriber.name,
            "preferences_url": preferences_url(publication, subscriber.pk),
            "unsubscribe_url": unsubscribe_url(publication, subscriber.pk),
        },
    )


def mail_sign_in_link(subscriber_id: int, next_path: str = "") -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber is None:
        return
    publication = subscriber.publication
    token = sign_in_token(subscriber, next_path)
    emails.sign_in(
        publication,
        subscriber.email,
        {
            "sign_in_url": absolute_url(publication, "subscribers:sign_in", token=token),
            "minutes": SIGN_IN_MAX_AGE // 60,
        },
    )


def mail_email_change_link(subscriber_id: int, new_email: str) -> None:
    subscriber = _subscriber(subscriber_id)
    if subscriber is None:
        return
    publication = subscriber.publication
    token = email_change_token(subscriber, new_email)
    emails.confirm_email_change(
        publication,
        new_email,
        {
            "confirm_url": absolute_url(publication, "subscribers:email_change", token=token),
            "old_email": subscriber.email,
            "new_email": new_email,
        },
    )

"""Subscribe and confirm (double opt-in), the newsletters a subscriber joins, and the consent
statements kept in the log.

`subscribe` creates a pending subscriber (or finds the existing one) and mails a signed link
whose payload carries what was chosen; `confirm_subscription` applies it. Nothing a stranger
types changes an existing subscriber before the mailbox owner clicks.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hanji.analytics.signups import count_gained, record_signup
from hanji.core import ratelimit
from hanji.core.nextpath import safe_next
from hanji.core.tokens import make_token, read_token
from hanji.publications.models import Publication
from hanji.subscribers import counts, figures, queue
from hanji.subscribers.actions.common import (
    MAIL_INTERVAL,
    RequestInfo,
    erased_digest,
    join_newsletters,
    log_consent,
    token_subscriber,
)
from hanji.subscribers.addresses import clean_name, normalize_email
from hanji.subscribers.models import (
    ErasedAddress,
    Newsletter,
    Source,
    Subscriber,
    SubscriberStatus,
)

CONFIRM = "confirm"
CONFIRM_MAX_AGE = 3 * 24 * 3600


# --- statements: the words the reader agreed to, kept in the consent log ---------------------


def subscribe_statement(publication: Publication, newsletters: Iterable[Newsletter]) -> str:
    with translation.override(publication.language):
        names = ", ".join(n.name for n in newsletters) or publication.name
        return _("I want to receive %(newsletters)s from %(publication)s by email.") % {
            "newsletters": names,
            "publication": publication.name,
        }


def advertising_statement(publication: Publication) -> str:
    with translation.override(publication.language):
        return _(
            "I agree to receive advertising information (events, offers) from %(publication)s "
            "by email. I can withdraw this at any time."
        ) % {"publication": publication.name}


# --- newsletters -------------------------------------------------------------------------------


def ensure_newsletter(publication: Publication) -> Newsletter:
    """Every publication has at least one newsletter; the first is named after it."""
    newsletter = Newsletter.objects.filter(publication=publication).first()
    if newsletter is None:
        newsletter, _created = Newsletter.objects.get_or_create(
            publication=publication, slug="newsletter", defaults={"name": publication.name}
        )
    return newsletter


def chosen_newsletters(publication: Publication, ids: Iterable[int | str]) -> list[Newsletter]:
    """The publication's newsletters among `ids`; when none were chosen, the default ones."""
    all_newsletters = list(Newsletter.objects.filter(publication=publication))
    if not all_newsletters:
        return [ensure_newsletter(publication)]
    wanted = {int(i) for i in ids if str(i).isdigit()}
    chosen = [n for n in all_newsletters if n.pk in wanted]
    if chosen:
        return chosen
    defaults = [n for n in all_newsletters if n.subscribe_by_default]
    return defaults or all_newsletters[:1]


# --- subscribe and confirm ---------------------------------------------------------------------


def subscribe(
    publication: Publication,
    email: str,
    *,
    name: str = "",
    newsletter_ids: Iterable[int | str] = (),
    advertising: bool = False,
    info: RequestInfo | None = None,
    next_path: str = "",
    kind: str = "",
    post=None,
    source=None,
) -> Subscriber | None:
    """Start a double opt-in. Raises InvalidEmail; otherwise the caller answers the same way
    whatever happened here (new, pending, active, or silently nothing). The confirmation
    page leads back to `next_path`, the page the reader subscribed on. `kind` (the form:
    home, post, embed, page, api, studio), `post` (the post page it was on) and `source` (a
    hanji.analytics.sources.Source) say where the reader came from (hanji.analytics)."""

    email = normalize_email(email)
    name = clean_name(name)
    newsletters = chosen_newsletters(publication, newsletter_ids)
    info = info or RequestInfo()
    with transaction.atomic():
        subscriber = Subscriber.objects.filter(publication=publication, email=email).first()
        if subscriber is None:
            try:
                with transaction.atomic():
                    subscriber = Subscriber.objects.create(
                        publication=publication,
                        email=email,
                        name=name,
                        source=Source.API if info.channel == "api" else Source.FORM,
                        created_at=timezone.now(),
                    )
                    counts.added(publication.pk, SubscriberStatus.PENDING)
            except IntegrityError:  # the same address, submitted twice at once
                subscriber = Subscriber.objects.get(publication=publication, email=email)
            figures.forget(publication.pk)  # a new pending subscriber
        if subscriber.status == SubscriberStatus.COMPLAINED:
            return None  # never mail an address that complained
        if subscriber.status != SubscriberStatus.ACTIVE:
            kind = kind or ("api" if info.channel == "api" else "page")
            record_signup(subscriber, kind, post=post, source=source)
        log_consent(subscriber, "subscribe", subscribe_statement(publication, newsletters), info)
        if advertising:
            statement = advertising_statement(publication)
            log_consent(subscriber, "advertising-requested", statement, info)
        if not ratelimit.once("confirm-mail", f"{publication.pk}:{email}", period=MAIL_INTERVAL):
            return subscriber
        newsletter_ids = [n.pk for n in newsletters]
        queue.enqueue(
            "send_confirmation",
            subscriber.pk,
            newsletter_ids,
            bool(advertising),
            name,
            safe_next(next_path),
        )
    return subscriber


def confirm_token(
    subscriber: Subscriber,
    newsletter_ids: list[int],
    advertising: bool,
    name: str,
    next_path: str = "",
) -> str:
    payload = [subscriber.pk, subscriber.token_version, newsletter_ids, int(advertising), name]
    if next_path:
        payload.append(next_path)
    return make_token(CONFIRM, subscriber.publication_id, payload)


def confirm_next(payload: list) -> str:
    """The page a confirmation link leads back to ("" for none; links made before it had
    none)."""
    return safe_next(payload[5]) if len(payload) > 5 else ""


def read_confirm_token(publication: Publication, token: str) -> tuple[Subscriber, list]:
    """The subscriber and payload of a still-usable confirmation link (no change made)."""
    payload = read_token(CONFIRM, publication.pk, token, max_age=CONFIRM_MAX_AGE)
    return token_subscriber(publication, payload[0], payload[1]), payload


@transaction.atomic
def confirm_subscription(
    publication: Publication, token: str, info: RequestInfo | None = None
) -> Subscriber:
    """Apply a confirmation link: active, on the chosen newsletters. Raises BadToken (tampered,
    expired, other publication) or TokenUsed; either way nothing changes."""
    payload = read_token(CONFIRM, publication.pk, token, max_age=CONFIRM_MAX_AGE)
    subscriber_id, version, newsletter_ids, advertising, name, *_next = payload
    subscriber = token_subscriber(publication, subscriber_id, version, lock=True)
    was_active = subscriber.status == SubscriberStatus.ACTIVE
    now = timezone.now()
    newsletters = list(Newsletter.objects.filter(publication=publication, pk__in=newsletter_ids))
    counts.moved(publication.pk, subscriber.status, SubscriberStatus.ACTIVE)
    subscriber.status = SubscriberStatus.ACTIVE
    subscriber.confirmed_at = now
    subscriber.unsubscribed_at = None
    subscriber.token_version += 1
    if name:
        subscriber.name = clean_name(name)
    if advertising:
        subscriber.advertising_consent_at = now
        subscriber.advertising_reminded_at = None
    subscriber.save()
    new_ids = join_newsletters(subscriber, [n.pk for n in newsletters])
    ErasedAddress.objects.filter(
        publication=publication, digest=erased_digest(publication.pk, subscriber.email)
    ).delete()
    log_consent(subscriber, "confirm", subscribe_statement(publication, newsletters), info)
    figures.forget(publication.pk)
    if not was_active:
        count_gained(subscriber)
    if advertising:
        log_consent(subscriber, "advertising", advertising_statement(publication), info)
    # The welcome email is optional: only newsletters with a welcome message send one.
    welcome_ids = [n.pk for n in newsletters if n.pk in new_ids and n.welcome_message.strip()]
    if welcome_ids:
        queue.enqueue("send_welcome", subscriber.pk, welcome_ids)
    return subscriber

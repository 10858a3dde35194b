"""Every change to subscribers goes through these functions (views, CLI, tasks, tests).

Double opt-in, in short: `subscribe` creates a pending subscriber (or finds the existing one)
and mails a signed link whose payload carries what was chosen; `confirm_subscription` applies
it. Nothing a stranger types changes an existing subscriber before the mailbox owner clicks.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hanji.core import ratelimit
from hanji.core.tokens import BadToken, make_token, read_token
from hanji.publications.models import Publication
from hanji.subscribers.addresses import clean_name, normalize_email
from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    ConsentEvent,
    ErasedAddress,
    Import,
    Newsletter,
    NewsletterOptOut,
    Source,
    Subscriber,
    SubscriberStatus,
    Subscription,
)

CONFIRM = "confirm"
SIGN_IN = "sign-in"
EMAIL_CHANGE = "email-change"
CONFIRM_MAX_AGE = 3 * 24 * 3600
SIGN_IN_MAX_AGE = 30 * 60
EMAIL_CHANGE_MAX_AGE = 24 * 3600
# One confirmation (or sign-in) email per address per this many seconds, whatever the number
# of requests.
MAIL_INTERVAL = 5 * 60


class TokenUsed(BadToken):
    """The link was valid but has been used already (or a newer one was used)."""


@dataclass(frozen=True)
class RequestInfo:
    """Where a consent came from: the client's address and browser, and the form or file."""

    ip: str | None = None
    user_agent: str = ""
    channel: str = ""


def _log(
    subscriber: Subscriber | None,
    action: str,
    statement: str = "",
    info: RequestInfo | None = None,
    *,
    publication_id: int | None = None,
    email: str = "",
) -> ConsentEvent:
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
) -> Subscriber | None:
    """Start a double opt-in. Raises InvalidEmail; otherwise the caller answers the same way
    whatever happened here (new, pending, active, or silently nothing)."""
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
            except IntegrityError:  # the same address, submitted twice at once
                subscriber = Subscriber.objects.get(publication=publication, email=email)
        if subscriber.status == SubscriberStatus.COMPLAINED:
            return None  # never mail an address that complained
        _log(subscriber, "subscribe", subscribe_statement(publication, newsletters), info)
        if advertising:
            _log(subscriber, "advertising-requested", advertising_statement(publication), info)
        if not ratelimit.once("confirm-mail", f"{publication.pk}:{email}", period=MAIL_INTERVAL):
            return subscriber
        from hanji.subscribers.tasks import send_confirmation

        args = (subscriber.pk, [n.pk for n in newsletters], bool(advertising), name)
        transaction.on_commit(lambda: send_confirmation.enqueue(*args))
    return subscriber


def confirm_token(
    subscriber: Subscriber, newsletter_ids: list[int], advertising: bool, name: str
) -> str:
    payload = [subscriber.pk, subscriber.token_version, newsletter_ids, int(advertising), name]
    return make_token(CONFIRM, subscriber.publication_id, payload)


def _locked_subscriber(publication: Publication, subscriber_id: int, version: int) -> Subscriber:
    subscriber = (
        Subscriber.objects.select_for_update()
        .filter(publication=publication, pk=subscriber_id)
        .first()
    )
    if subscriber is None:
        raise BadToken("gone")
    if subscriber.token_version != version:
        raise TokenUsed("used")
    return subscriber


def read_confirm_token(publication: Publication, token: str) -> tuple[Subscriber, list]:
    """The subscriber and payload of a still-usable confirmation link (no change made)."""
    payload = read_token(CONFIRM, publication.pk, token, max_age=CONFIRM_MAX_AGE)
    subscriber = Subscriber.objects.filter(publication=publication, pk=payload[0]).first()
    if subscriber is None:
        raise BadToken("gone")
    if subscriber.token_version != payload[1]:
        raise TokenUsed("used")
    return subscriber, payload


@transaction.atomic
def confirm_subscription(
    publication: Publication, token: str, info: RequestInfo | None = None
) -> Subscriber:
    """Apply a confirmation link: active, on the chosen newsletters. Raises BadToken (tampered,
    expired, other publication) or TokenUsed; either way nothing changes."""
    payload = read_token(CONFIRM, publication.pk, token, max_age=CONFIRM_MAX_AGE)
    subscriber_id, version, newsletter_ids, advertising, name = payload
    subscriber = _locked_subscriber(publication, subscriber_id, version)
    now = timezone.now()
    newsletters = list(Newsletter.objects.filter(publication=publication, pk__in=newsletter_ids))
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
    new_ids = _join(subscriber, [n.pk for n in newsletters])
    ErasedAddress.objects.filter(
        publication=publication, digest=erased_digest(publication.pk, subscriber.email)
    ).delete()
    _log(subscriber, "confirm", subscribe_statement(publication, newsletters), info)
    if advertising:
        _log(subscriber, "advertising", advertising_statement(publication), info)
    # The welcome email is optional: only newsletters with a welcome message send one.
    welcome_ids = [n.pk for n in newsletters if n.pk in new_ids and n.welcome_message.strip()]
    if welcome_ids:
        from hanji.subscribers.tasks import send_welcome

        transaction.on_commit(lambda: send_welcome.enqueue(subscriber.pk, welcome_ids))
    return subscriber


def _join(subscriber: Subscriber, newsletter_ids: Iterable[int]) -> set[int]:
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
    return ids - had


def _leave(subscriber: Subscriber, newsletter_ids: Iterable[int]) -> int:
    ids = set(newsletter_ids)
    removed, _detail = Subscription.objects.filter(
        subscriber=subscriber, newsletter_id__in=ids
    ).delete()
    NewsletterOptOut.objects.bulk_create(
        [NewsletterOptOut(subscriber=subscriber, newsletter_id=i) for i in ids],
        ignore_conflicts=True,
    )
    return removed


# --- unsubscribe, suppression, preferences -----------------------------------------------------


@transaction.atomic
def suppress(subscriber_id: int, status: str, reason: str = "", channel: str = "") -> bool:
    """Mark an address bounced, complained or unsubscribed; it is never mailed again until the
    person subscribes and confirms again. Returns False when it was already in that state."""
    status = SubscriberStatus(status)
    subscriber = Subscriber.objects.select_for_update().filter(pk=subscriber_id).first()
    if subscriber is None or subscriber.status == status:
        return False
    # A complaint outranks a later bounce or unsubscribe: it is the one that forbids mail.
    if subscriber.status == SubscriberStatus.COMPLAINED and status != SubscriberStatus.ACTIVE:
        return False
    subscriber.status = status
    if status == SubscriberStatus.UNSUBSCRIBED:
        subscriber.unsubscribed_at = timezone.now()
    subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
    ConsentEvent.objects.create(
        publication_id=subscriber.publication_id,
        subscriber=subscriber,
        email=subscriber.email,
        action=str(status),
        statement=reason,
        channel=channel,
    )
    return True


@transaction.atomic
def unsubscribe(
    subscriber: Subscriber, newsletter: Newsletter | None = None, info: RequestInfo | None = None
) -> bool:
    """Leave one newsletter, or everything. Takes effect at once: the sending engine checks the
    status and subscription of each recipient as it sends. True when something changed."""
    info = info or RequestInfo()
    if newsletter is not None:
        removed = _leave(subscriber, [newsletter.pk])
        if removed:
            _log(subscriber, "unsubscribe-newsletter", newsletter.name, info)
        if Subscription.objects.filter(subscriber=subscriber).exists():
            return bool(removed)
    left = list(
        Subscription.objects.filter(subscriber=subscriber).values_list("newsletter_id", flat=True)
    )
    _leave(subscriber, left)
    if subscriber.status in SUPPRESSED_STATUSES:
        return False
    changed = suppress(subscriber.pk, SubscriberStatus.UNSUBSCRIBED, "", info.channel)
    subscriber.refresh_from_db()
    return changed


@transaction.atomic
def set_newsletters(
    subscriber: Subscriber, newsletter_ids: Iterable[int], info: RequestInfo | None = None
) -> None:
    """The reader's own choice of newsletters (account page or preferences link). Choosing one
    again brings back a reader who had left, except after a complaint."""
    info = info or RequestInfo()
    valid = set(
        Newsletter.objects.filter(
            publication_id=subscriber.publication_id, pk__in=list(newsletter_ids)
        ).values_list("pk", flat=True)
    )
    current = set(subscriber.subscriptions.values_list("newsletter_id", flat=True))
    if not valid:
        unsubscribe(subscriber, info=info)
        return
    added = _join(subscriber, valid - current)
    _leave(subscriber, current - valid)
    if subscriber.status in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.unsubscribed_at = None
        subscriber.save(update_fields=["status", "unsubscribed_at", "updated_at"])
        added = valid
    if added or current - valid:
        names = ", ".join(
            Newsletter.objects.filter(pk__in=valid)
            .order_by("position")
            .values_list("name", flat=True)
        )
        _log(subscriber, "preferences", names, info)


@transaction.atomic
def withdraw_advertising(subscriber: Subscriber, info: RequestInfo | None = None) -> bool:
    if subscriber.advertising_consent_at is None:
        return False
    Subscriber.objects.filter(pk=subscriber.pk).update(
        advertising_consent_at=None, advertising_reminded_at=None, updated_at=timezone.now()
    )
    subscriber.advertising_consent_at = None
    _log(subscriber, "advertising-withdrawn", "", info)
    return True


# --- reader sign-in, email change, export, delete ----------------------------------------------


def request_sign_in(publication: Publication, email: str, info: RequestInfo | None = None) -> None:
    """Mail a sign-in link if the address subscribes here; answer nothing either way."""
    email = normalize_email(email)
    subscriber = Subscriber.objects.filter(publication=publication, email=email).first()
    if subscriber is None or subscriber.status == SubscriberStatus.COMPLAINED:
        return
    if not ratelimit.once("sign-in-mail", f"{publication.pk}:{email}", period=MAIL_INTERVAL):
        return
    from hanji.subscribers.tasks import send_sign_in_link

    transaction.on_commit(lambda: send_sign_in_link.enqueue(subscriber.pk))


def sign_in_token(subscriber: Subscriber) -> str:
    return make_token(SIGN_IN, subscriber.publication_id, [subscriber.pk, subscriber.token_version])


def read_sign_in_token(publication: Publication, token: str) -> Subscriber:
    subscriber_id, version = read_token(SIGN_IN, publication.pk, token, max_age=SIGN_IN_MAX_AGE)
    subscriber = Subscriber.objects.filter(publication=publication, pk=subscriber_id).first()
    if subscriber is None:
        raise BadToken("gone")
    if subscriber.token_version != version:
        raise TokenUsed("used")
    return subscriber


@transaction.atomic
def sign_in(publication: Publication, token: str, info: RequestInfo | None = None) -> Subscriber:
    """Use a sign-in link once. Raises BadToken or TokenUsed."""
    subscriber_id, version = read_token(SIGN_IN, publication.pk, token, max_age=SIGN_IN_MAX_AGE)
    subscriber = _locked_subscriber(publication, subscriber_id, version)
    subscriber.token_version += 1
    # Opening a link from the mailbox proves it: a pending reader is confirmed by it.
    if subscriber.status == SubscriberStatus.PENDING:
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = timezone.now()
        _log(subscriber, "confirm", _("Confirmed by signing in with a link sent by email."), info)
    subscriber.save()
    return subscriber


def request_email_change(subscriber: Subscriber, new_email: str) -> None:
    """Mail a confirmation link to the new address. Raises InvalidEmail."""
    new_email = normalize_email(new_email)
    if new_email == subscriber.email:
        return
    key = f"{subscriber.publication_id}:{new_email}"
    if not ratelimit.once("email-change-mail", key, period=MAIL_INTERVAL):
        return
    from hanji.subscribers.tasks import send_email_change_link

    transaction.on_commit(lambda: send_email_change_link.enqueue(subscriber.pk, new_email))


def email_change_token(subscriber: Subscriber, new_email: str) -> str:
    payload = [subscriber.pk, subscriber.token_version, new_email]
    return make_token(EMAIL_CHANGE, subscriber.publication_id, payload)


def read_email_change_token(publication: Publication, token: str) -> str:
    """The new address of a still-usable email-change link (no change made)."""
    subscriber_id, version, new_email = read_token(
        EMAIL_CHANGE, publication.pk, token, max_age=EMAIL_CHANGE_MAX_AGE
    )
    subscriber = Subscriber.objects.filter(publication=publication, pk=subscriber_id).first()
    if subscriber is None:
        raise BadToken("gone")
    if subscriber.token_version != version:
        raise TokenUsed("used")
    return new_email


class EmailTaken(Exception):
    pass


@transaction.atomic
def confirm_email_change(
    publication: Publication, token: str, info: RequestInfo | None = None
) -> Subscriber:
    """Raises BadToken, TokenUsed, or EmailTaken (another subscriber has that address)."""
    subscriber_id, version, new_email = read_token(
        EMAIL_CHANGE, publication.pk, token, max_age=EMAIL_CHANGE_MAX_AGE
    )
    subscriber = _locked_subscriber(publication, subscriber_id, version)
    if Subscriber.objects.filter(publication=publication, email=new_email).exists():
        raise EmailTaken(new_email)
    old = subscriber.email
    subscriber.email = new_email
    subscriber.token_version += 1
    subscriber.save()
    _log(subscriber, "email-change", f"{old} → {new_email}", info)
    return subscriber


def export_data(subscriber: Subscriber) -> dict:
    """Everything Hanji keeps about this reader in this publication."""
    subscriber.refresh_from_db()

    def iso(value):
        return value.isoformat() if value else None

    return {
        "publication": subscriber.publication.name,
        "email": subscriber.email,
        "name": subscriber.name,
        "status": subscriber.status,
        "source": subscriber.source,
        "tags": subscriber.tags,
        "created": iso(subscriber.created_at),
        "confirmed": iso(subscriber.confirmed_at),
        "unsubscribed": iso(subscriber.unsubscribed_at),
        "advertising_consent": iso(subscriber.advertising_consent_at),
        "advertising_reminded": iso(subscriber.advertising_reminded_at),
        "newsletters": [
            {"name": s.newsletter.name, "since": iso(s.created_at)}
            for s in subscriber.subscriptions.select_related("newsletter")
        ],
        "consent_log": [
            {
                "action": e.action,
                "statement": e.statement,
                "channel": e.channel,
                "ip": e.ip,
                "user_agent": e.user_agent,
                "at": iso(e.created_at),
            }
            for e in consent_log(subscriber)
        ],
    }


def consent_log(subscriber: Subscriber) -> list[ConsentEvent]:
    """The subscriber's consent records, oldest first: the ConsentEvent rows, and for an
    imported subscriber the import's own record (kept once per import, see importer)."""
    events = list(subscriber.consent_events.all())
    run = (
        Import.objects.filter(pk=subscriber.import_run_id).first()
        if subscriber.import_run_id
        else None
    )
    if run is not None:
        action = "import-active" if run.status == SubscriberStatus.ACTIVE else "import"
        events.append(
            ConsentEvent(
                publication_id=subscriber.publication_id,
                subscriber=subscriber,
                email=subscriber.email,
                action=action,
                statement=run.consent,
                channel=f"import #{run.pk}: {run.filename}",
                created_at=run.started_at or run.created_at,
            )
        )
        events.sort(key=lambda e: e.created_at)
    return events


def erased_digest(publication_id: int, email: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{publication_id}:{email}".encode(), hashlib.sha256).hexdigest()


@transaction.atomic
def delete_subscriber(subscriber: Subscriber, info: RequestInfo | None = None) -> None:
    """Erase the reader: the row, their newsletters and everything that cascades from it.

    The consent log stays (it is the proof the law asks for, and is never rewritten), detached
    from the row; a keyed hash of the address keeps imports from adding them back.
    """
    _log(subscriber, "delete", "", info)
    ErasedAddress.objects.get_or_create(
        publication_id=subscriber.publication_id,
        digest=erased_digest(subscriber.publication_id, subscriber.email),
    )
    subscriber.delete()

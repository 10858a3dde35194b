"""The reader's own account: magic-link sign-in, newsletter choices, email change confirmed at
the new address, the JSON export of everything kept about them, and deleting them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hanji.analytics.signups import count_gained, count_lost
from hanji.core import ratelimit
from hanji.core.nextpath import safe_next
from hanji.core.tokens import BadToken, make_token, read_token
from hanji.publications.models import Publication
from hanji.subscribers import counts, figures, queue
from hanji.subscribers.actions.common import (
    MAIL_INTERVAL,
    RequestInfo,
    erased_digest,
    join_newsletters,
    leave_newsletters,
    log_consent,
    token_subscriber,
)
from hanji.subscribers.actions.leave import unsubscribe
from hanji.subscribers.addresses import normalize_email
from hanji.subscribers.models import (
    ConsentEvent,
    ErasedAddress,
    Import,
    Newsletter,
    Subscriber,
    SubscriberStatus,
)

SIGN_IN = "sign-in"
EMAIL_CHANGE = "email-change"
SIGN_IN_MAX_AGE = 30 * 60
EMAIL_CHANGE_MAX_AGE = 24 * 3600


class EmailTaken(Exception):
    """Another subscriber of the publication has the new address."""


# --- sign-in -----------------------------------------------------------------------------------


def request_sign_in(
    publication: Publication,
    email: str,
    info: RequestInfo | None = None,
    next_path: str = "",
) -> None:
    """Mail a sign-in link if the address subscribes here; answer nothing either way. The link
    brings the reader back to `next_path` (a path on this host, checked again when used)."""
    email = normalize_email(email)
    subscriber = Subscriber.objects.filter(publication=publication, email=email).first()
    if subscriber is None or subscriber.status == SubscriberStatus.COMPLAINED:
        return
    if not ratelimit.once("sign-in-mail", f"{publication.pk}:{email}", period=MAIL_INTERVAL):
        return
    queue.enqueue("send_sign_in_link", subscriber.pk, safe_next(next_path))


def sign_in_token(subscriber: Subscriber, next_path: str = "") -> str:
    payload = [subscriber.pk, subscriber.token_version]
    if next_path:
        payload.append(next_path)  # signed with the rest: nobody can swap it in the link
    return make_token(SIGN_IN, subscriber.publication_id, payload)


def read_sign_in_token(publication: Publication, token: str) -> Subscriber:
    subscriber_id, version, *_rest = read_token(
        SIGN_IN, publication.pk, token, max_age=SIGN_IN_MAX_AGE
    )
    return token_subscriber(publication, subscriber_id, version)


def sign_in_next(publication: Publication, token: str) -> str:
    """The page a sign-in link returns to ("" for none); reads the link, changes nothing."""
    try:
        payload = read_token(SIGN_IN, publication.pk, token, max_age=SIGN_IN_MAX_AGE)
    except BadToken:
        return ""
    return safe_next(payload[2]) if len(payload) > 2 else ""


@transaction.atomic
def sign_in(publication: Publication, token: str, info: RequestInfo | None = None) -> Subscriber:
    """Use a sign-in link once. Raises BadToken or TokenUsed."""
    subscriber_id, version, *_rest = read_token(
        SIGN_IN, publication.pk, token, max_age=SIGN_IN_MAX_AGE
    )
    subscriber = token_subscriber(publication, subscriber_id, version, lock=True)
    subscriber.token_version += 1
    # Opening a link from the mailbox proves it: a pending reader is confirmed by it.
    if subscriber.status == SubscriberStatus.PENDING:
        counts.moved(publication.pk, SubscriberStatus.PENDING, SubscriberStatus.ACTIVE)
        subscriber.status = SubscriberStatus.ACTIVE
        subscriber.confirmed_at = timezone.now()
        statement = _("Confirmed by signing in with a link sent by email.")
        log_consent(subscriber, "confirm", statement, info)
        subscriber.save()
        count_gained(subscriber)
        return subscriber
    subscriber.save()
    return subscriber


# --- newsletter choices ------------------------------------------------------------------------


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
    added = join_newsletters(subscriber, valid - current)
    leave_newsletters(subscriber, current - valid)
    # Conditional on the status it had: a change made meanwhile is not counted twice.
    for old in (SubscriberStatus.UNSUBSCRIBED, SubscriberStatus.BOUNCED):
        if Subscriber.objects.filter(pk=subscriber.pk, status=old).update(
            status=SubscriberStatus.ACTIVE, unsubscribed_at=None, updated_at=timezone.now()
        ):
            counts.moved(subscriber.publication_id, old, SubscriberStatus.ACTIVE)
            count_gained(subscriber)
            subscriber.status = SubscriberStatus.ACTIVE
            subscriber.unsubscribed_at = None
            added = valid
    if added or current - valid:
        names = ", ".join(
            Newsletter.objects.filter(pk__in=valid)
            .order_by("position")
            .values_list("name", flat=True)
        )
        log_consent(subscriber, "preferences", names, info)
    figures.forget(subscriber.publication_id)


# --- email change ------------------------------------------------------------------------------


def request_email_change(subscriber: Subscriber, new_email: str) -> None:
    """Mail a confirmation link to the new address. Raises InvalidEmail."""
    new_email = normalize_email(new_email)
    if new_email == subscriber.email:
        return
    key = f"{subscriber.publication_id}:{new_email}"
    if not ratelimit.once("email-change-mail", key, period=MAIL_INTERVAL):
        return
    queue.enqueue("send_email_change_link", subscriber.pk, new_email)


def email_change_token(subscriber: Subscriber, new_email: str) -> str:
    payload = [subscriber.pk, subscriber.token_version, new_email]
    return make_token(EMAIL_CHANGE, subscriber.publication_id, payload)


def read_email_change_token(publication: Publication, token: str) -> str:
    """The new address of a still-usable email-change link (no change made)."""
    subscriber_id, version, new_email = read_token(
        EMAIL_CHANGE, publication.pk, token, max_age=EMAIL_CHANGE_MAX_AGE
    )
    token_subscriber(publication, subscriber_id, version)
    return new_email


@transaction.atomic
def confirm_email_change(
    publication: Publication, token: str, info: RequestInfo | None = None
) -> Subscriber:
    """Raises BadToken, TokenUsed, or EmailTaken (another subscriber has that address)."""
    subscriber_id, version, new_email = read_token(
        EMAIL_CHANGE, publication.pk, token, max_age=EMAIL_CHANGE_MAX_AGE
    )
    subscriber = token_subscriber(publication, subscriber_id, version, lock=True)
    if Subscriber.objects.filter(publication=publication, email=new_email).exists():
        raise EmailTaken(new_email)
    old = subscriber.email
    subscriber.email = new_email
    subscriber.token_version += 1
    subscriber.save()
    log_consent(subscriber, "email-change", f"{old} → {new_email}", info)
    return subscriber


# --- export and delete -------------------------------------------------------------------------


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


@transaction.atomic
def delete_subscriber(subscriber: Subscriber, info: RequestInfo | None = None) -> None:
    """Erase the reader: the row, their newsletters and everything that cascades from it.

    The consent log stays (it is the proof the law asks for, and is never rewritten), detached
    from the row; a keyed hash of the address keeps imports from adding them back.
    """
    status = (
        Subscriber.objects.select_for_update()
        .filter(pk=subscriber.pk)
        .values_list("status", flat=True)
        .first()
    )
    if status is None:
        return  # deleted meanwhile
    log_consent(subscriber, "delete", "", info)
    if subscriber.status == SubscriberStatus.ACTIVE:
        count_lost(subscriber)
    ErasedAddress.objects.get_or_create(
        publication_id=subscriber.publication_id,
        digest=erased_digest(subscriber.publication_id, subscriber.email),
    )
    subscriber.delete()
    counts.removed(subscriber.publication_id, status)
    figures.forget(subscriber.publication_id)

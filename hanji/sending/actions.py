"""Every change to sends goes through these functions (CLI, studio, API, tests)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from hanji.posts.models import Post, Status
from hanji.sending import claims, clock
from hanji.sending.compose import MessageTooLarge, compile_send, date_header
from hanji.sending.models import (
    ACTIVE_STATES,
    Send,
    SendingSettings,
    SendKind,
    SendState,
)
from hanji.sending.preview import compile_test_email, default_newsletter
from hanji.sending.tasks import (
    _enqueue,
    ensure_loops,
    has_due_work,
    prepare_send,
    watch_later,
)
from hanji.subscribers.models import Newsletter, Segment

logger = logging.getLogger(__name__)


class SendError(Exception):
    """A send cannot start or change; the message is for the person who asked."""


def start_send_for_post(
    post: Post,
    newsletter: Newsletter | None = None,
    segment: Segment | None = None,
    *,
    subject: str = "",
    preheader: str = "",
    at: datetime | None = None,
    is_advertising: bool = False,
    again: bool = False,
    created_by=None,
) -> Send:
    """Send `post` to `newsletter` (default: the publication's first) and `segment`, now or
    at `at`. Returns at once; the work happens in the "sending" queue. Starting the same
    send twice returns the first one (`send.created` is False then)."""
    newsletter = newsletter or default_newsletter(post.publication)
    if newsletter is None:
        raise SendError(_("The publication has no newsletter to send to."))
    return start_send(
        post,
        newsletter,
        segment,
        subject=subject,
        preheader=preheader,
        at=at,
        is_advertising=is_advertising,
        again=again,
        created_by=created_by,
    )


def _check(post: Post, newsletter: Newsletter, segment: Segment | None) -> None:
    if newsletter.publication_id != post.publication_id:
        raise SendError(_("The newsletter belongs to another publication."))
    if segment is not None and segment.publication_id != post.publication_id:
        raise SendError(_("The segment belongs to another publication."))
    if post.status not in (Status.PUBLISHED, Status.SCHEDULED) or post.published_at is None:
        raise SendError(_("Publish the post (or schedule it) before sending it."))
    options = SendingSettings.objects.filter(publication_id=post.publication_id).first()
    if options and options.paused_at:
        raise SendError(options.paused_reason or _("Sending is paused for this publication."))


def start_send(
    post: Post,
    newsletter: Newsletter,
    segment: Segment | None = None,
    *,
    subject: str = "",
    preheader: str = "",
    at: datetime | None = None,
    is_advertising: bool = False,
    again: bool = False,
    created_by=None,
) -> Send:
    _check(post, newsletter, segment)
    now = clock.now()
    when = max(filter(None, [at, post.published_at, now]))
    send = Send(
        publication_id=post.publication_id,
        post=post,
        newsletter=newsletter,
        segment=segment,
        kind=SendKind.AGAIN if again else SendKind.FIRST,
        subject=(subject or post.title)[:300],
        preheader=(preheader or post.subtitle)[:300],
        from_name=newsletter.sender_name,
        from_email=newsletter.sender_email,
        reply_to=newsletter.reply_to,
        is_advertising=is_advertising,
        state=SendState.SCHEDULED,
        scheduled_at=when,
        created_by=created_by,
    )
    try:
        with transaction.atomic():
            send.save()
            # Refuse a message too large before anything starts (compiled again, fresh,
            # when the send is prepared).
            compile_send(send)
    except MessageTooLarge as error:
        raise SendError(
            _("The email would be %(size)s bytes; the limit is %(limit)s. Shorten the post.")
            % {"size": error.args[0], "limit": _limit()}
        ) from error
    except IntegrityError:
        existing = (
            Send.objects.filter(post=post, newsletter=newsletter)
            .filter(Q(state__in=ACTIVE_STATES) | Q(kind=SendKind.FIRST))
            .order_by("-created_at")
            .first()
        )
        if existing is None:
            raise
        if not again and existing.kind == SendKind.FIRST and not existing.is_active:
            raise SendError(
                _(
                    "This post was already sent to this newsletter. Send it again to those who "
                    "did not get it instead."
                )
            ) from None
        existing.created = False
        return existing
    send.created = True
    _enqueue(prepare_send, send.pk, run_after=when if when > now else None)
    logger.info(
        "send %s of post %s to newsletter %s scheduled for %s",
        send.pk,
        post.pk,
        newsletter.pk,
        when,
    )
    return send


def _limit() -> int:
    from hanji.sending import conf

    return conf.get("MAX_MESSAGE_BYTES")


def pause_send(send_id: int, reason: str = "") -> bool:
    done = Send.objects.filter(
        pk=send_id, state__in=[SendState.SCHEDULED, SendState.PREPARING, SendState.SENDING]
    ).update(state=SendState.PAUSED, state_reason=reason)
    if done:
        logger.info("send %s paused: %s", send_id, reason or "by request")
    return bool(done)


def resume_send(send_id: int) -> bool:
    """Continue with what is not yet sent."""
    send = Send.objects.select_related("publication").get(pk=send_id)
    if send.state != SendState.PAUSED:
        return False
    options = SendingSettings.objects.filter(publication_id=send.publication_id).first()
    if options and options.paused_at:
        raise SendError(options.paused_reason or _("Sending is paused for this publication."))
    prepared = send.prepared_at is not None
    state = SendState.SENDING if prepared else SendState.SCHEDULED
    if not Send.objects.filter(pk=send_id, state=SendState.PAUSED).update(
        state=state, state_reason="", heartbeat_at=None, loops_enqueued_at=None
    ):
        return False
    if prepared:
        ensure_loops(send_id)
        watch_later(send_id)
    else:
        _enqueue(prepare_send, send_id)
    return True


def cancel_send(send_id: int) -> bool:
    c = claims.counts(send_id)
    return bool(
        Send.objects.filter(pk=send_id, state__in=ACTIVE_STATES).update(
            state=SendState.CANCELLED,
            finished_at=clock.now(),
            sent_count=c["sent"],
            failed_count=c["failed"],
            skipped_count=c["skipped"],
        )
    )


def resume_publication(publication) -> int:
    """Lift a publication's sending pause (after complaints); resume the sends it paused."""
    options, _created = SendingSettings.objects.get_or_create(publication=publication)
    reason = options.paused_reason
    options.paused_at = None
    options.paused_reason = ""
    options.save(update_fields=["paused_at", "paused_reason"])
    resumed = 0
    for send_id in Send.objects.filter(
        publication=publication, state=SendState.PAUSED, state_reason=reason
    ).values_list("pk", flat=True):
        resumed += resume_send(send_id)
    return resumed


def start_due_sends() -> int:
    """The periodic job: start scheduled sends whose time has come, restart preparations
    whose worker died, and give loops to sends with due work and no live worker."""
    now = clock.now()
    started = 0
    for send_id in Send.objects.filter(
        Q(state=SendState.SCHEDULED, scheduled_at__lte=now)
        | Q(state=SendState.PREPARING, prepare_lease_until__lt=now)
    ).values_list("pk", flat=True):
        _enqueue(prepare_send, send_id)
        started += 1
    for send_id in Send.objects.filter(state=SendState.SENDING).values_list("pk", flat=True):
        if has_due_work(send_id) and ensure_loops(send_id):
            started += 1
    return started


def send_test(post: Post, addresses: list[str], newsletter: Newsletter | None = None) -> list:
    """Send the rendered email of `post` to `addresses`, marked as a test (subject prefix,
    X-Hanji-Test header, no tracking); returns one Outcome per address."""
    from hanji.sending.personalize import Personalizer, message_id
    from hanji.sending.transports import OutMessage, transport_for
    from hanji.subscribers.addresses import normalize_email

    newsletter = newsletter or default_newsletter(post.publication)
    if newsletter is None:
        raise SendError(_("The publication has no newsletter to send to."))
    send, template = compile_test_email(post, newsletter)
    options, _created = SendingSettings.objects.get_or_create(publication=post.publication)
    transport = transport_for(options)
    personalizer = Personalizer(send, options.unsubscribe_mailto)
    connection = transport.open(template)
    outcomes = []
    try:
        for number, raw in enumerate(addresses):
            address = normalize_email(raw)
            values = personalizer.values(0, address, "", date_header())
            values["MID"] = message_id(0, number, personalizer.domain).encode()
            message = OutMessage(
                0, 0, personalizer.sender, address, "paid", values, values["MID"].decode()
            )
            outcomes.extend(connection.deliver([message]))
    finally:
        connection.close()
    return outcomes

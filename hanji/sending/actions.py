"""Every change to sends goes through these functions (CLI, studio, API, tests)."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from hanji.core.changes import apply_changes
from hanji.posts.models import Post, Status
from hanji.sending import clock, prepare, queue, transitions
from hanji.sending.compose import MessageTooLarge, compile_send, date_header
from hanji.sending.loop import SendLoop
from hanji.sending.models import ACTIVE_STATES, Send, SendKind, SendState, sending_settings
from hanji.sending.preview import compile_test_email, default_newsletter
from hanji.sending.transitions import SendError
from hanji.subscribers.models import Newsletter, Segment

__all__ = ["SendError"]  # re-exported: callers catch it from here

logger = logging.getLogger(__name__)


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
    transitions.refuse_if_paused(post.publication_id)


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
        raise SendError(str(error)) from error
    except IntegrityError:
        existing = _started_before(post, newsletter, again)
        if existing is None:
            raise
        return existing
    send.created = True
    queue.prepare_later(send.pk, at=when if when > now else None)
    logger.info(
        "send %s of post %s to newsletter %s scheduled for %s",
        send.pk,
        post.pk,
        newsletter.pk,
        when,
    )
    return send


def _started_before(post: Post, newsletter: Newsletter, again: bool) -> Send | None:
    """The send that stood in the way of a new one: returned when it is the same request
    made twice, refused when the post already went to this newsletter."""
    existing = (
        Send.objects.filter(post=post, newsletter=newsletter)
        .filter(Q(state__in=ACTIVE_STATES) | Q(kind=SendKind.FIRST))
        .order_by("-created_at")
        .first()
    )
    if existing is None:
        return None
    if not again and existing.kind == SendKind.FIRST and not existing.is_active:
        raise SendError(
            _(
                "This post was already sent to this newsletter. Send it again to those who "
                "did not get it instead."
            )
        ) from None
    existing.created = False
    return existing


def pause_send(send_id: int, reason: str = "") -> bool:
    return transitions.pause(send_id, reason)


def resume_send(send_id: int) -> bool:
    """Continue with what is not yet sent."""
    return transitions.resume(send_id)


def cancel_send(send_id: int) -> bool:
    return transitions.cancel(send_id)


def resume_publication(publication) -> int:
    """Lift a publication's sending pause (after complaints); resume the sends it paused."""
    return transitions.resume_publication(publication.pk)


def start_due_sends() -> int:
    """The periodic job: start scheduled sends whose time has come, restart preparations
    whose worker died, and give loops to sends with due work and no live worker."""
    now = clock.now()
    started = 0
    for send_id in Send.objects.filter(
        Q(state=SendState.SCHEDULED, scheduled_at__lte=now)
        | Q(state=SendState.PREPARING, prepare_lease_until__lt=now)
    ).values_list("pk", flat=True):
        queue.prepare_later(send_id)
        started += 1
    for send_id in Send.objects.filter(state=SendState.SENDING).values_list("pk", flat=True):
        if queue.has_due_work(send_id) and queue.ensure_loops(send_id):
            started += 1
    return started


def prepare_send(send_id: int) -> str:
    """Prepare a due send and set loops to work on it; returns the state it is in."""
    if prepare.prepare(send_id):
        queue.keep_going(send_id)
        return SendState.SENDING
    return Send.objects.filter(pk=send_id).values_list("state", flat=True).first() or "gone"


def run_loop(send_id: int) -> str:
    """One worker's share of a send, for one slice of time; returns why it stopped."""
    return SendLoop(send_id).run()


def watch_send(send_id: int, armed_at: str) -> str:
    """Re-arm while the send is active; enqueue loops when due work has no live loop."""
    if not Send.objects.filter(pk=send_id, wake_at=datetime.fromisoformat(armed_at)).exists():
        return "superseded"
    send = Send.objects.filter(pk=send_id).first()
    if send is None or send.state not in (SendState.SENDING, SendState.PREPARING):
        return "stopped"
    if send.state == SendState.PREPARING:
        if send.prepare_lease_until and send.prepare_lease_until < clock.now():
            queue.prepare_later(send_id)
    elif queue.has_due_work(send_id):
        queue.ensure_loops(send_id)
    elif not queue.has_work_left(send_id) and transitions.finish(send_id):
        # Everything went out but the loop that sent the last rows died before it could say so.
        logger.info("send %s finished by its watcher", send_id)
        return "finished"
    queue.watch_later(send_id)
    return "watching"


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
    options = sending_settings(post.publication_id)
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


TRACKING_FIELDS = ["track_opens", "track_clicks"]
TRANSPORT_FIELDS = ["transport_url", "unsubscribe_mailto", "night_hold"]


def update_sending_settings(publication_id: int, changes: dict) -> list[str]:
    """What the emails track, the publication's own transport, the unsubscribe mailbox and
    the night hold. Raises ValidationError (a transport URL is checked before it is kept)."""
    from hanji.sending.transports.factory import check_transport_url

    if "transport_url" in changes:
        changes = {**changes, "transport_url": (changes["transport_url"] or "").strip()}
        check_transport_url(changes["transport_url"])
    row = sending_settings(publication_id)
    return apply_changes(row, changes, TRACKING_FIELDS + TRANSPORT_FIELDS)

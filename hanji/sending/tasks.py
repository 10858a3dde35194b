"""Tasks of the "sending" queue (run by `manage.py db_worker --queue-name sending`).

They take ids, are safe to run twice, and are enqueued after the transaction commits. A send
runs as LOOPS loop tasks (one per worker that may help), watched by a task that re-arms
itself while the send is active: after a worker is killed, the watcher (or the periodic job
`start_due_sends`) enqueues fresh loops, which take over the dead worker's claims once their
lease ends.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.tasks import task, task_backends

from hanji.sending import clock, conf
from hanji.sending.models import Delivery, DeliveryState, Send, SendState

logger = logging.getLogger(__name__)
QUEUE = "sending"


def _defer_supported() -> bool:
    return bool(getattr(task_backends["default"], "supports_defer", False))


def _enqueue(task_obj, *args, run_after: datetime | None = None) -> None:
    def go():
        if run_after is not None:
            if not _defer_supported():
                return  # the periodic job covers it where tasks cannot wait
            task_obj.using(run_after=run_after).enqueue(*args)
        else:
            task_obj.enqueue(*args)

    transaction.on_commit(go)


@task(queue_name=QUEUE)
def prepare_send(send_id: int) -> str:
    from hanji.sending.prepare import prepare

    if prepare(send_id):
        ensure_loops(send_id)
        watch_later(send_id)
        return "sending"
    return Send.objects.filter(pk=send_id).values_list("state", flat=True).first() or "gone"


# Below other tasks: with one worker, confirmation and sign-in mail go first whenever a loop
# gives the worker back (every SLICE_SECONDS).
@task(queue_name=QUEUE, priority=-10)
def run_loop(send_id: int) -> str:
    from hanji.sending.loop import SendLoop

    return SendLoop(send_id).run()


@task(queue_name=QUEUE)
def watch_send(send_id: int, armed_at: str) -> str:
    """Re-arm while the send is active; enqueue loops when due work has no live loop."""
    if not Send.objects.filter(pk=send_id, wake_at=datetime.fromisoformat(armed_at)).exists():
        return "superseded"
    send = Send.objects.filter(pk=send_id).first()
    if send is None or send.state not in (SendState.SENDING, SendState.PREPARING):
        return "stopped"
    if send.state == SendState.PREPARING:
        if send.prepare_lease_until and send.prepare_lease_until < clock.now():
            _enqueue(prepare_send, send_id)
    elif has_due_work(send_id):
        ensure_loops(send_id)
    watch_later(send_id)
    return "watching"


def watch_later(send_id: int, seconds: float | None = None) -> None:
    """(Re)start the watcher chain; a newer chain supersedes an older one."""
    if not _defer_supported():
        return
    seconds = seconds if seconds is not None else conf.get("WATCH_SECONDS")
    at = clock.now() + timedelta(seconds=seconds)
    Send.objects.filter(pk=send_id).update(wake_at=at)
    _enqueue(watch_send, send_id, at.isoformat(), run_after=at)


def enqueue_loops(send_id: int, count: int | None = None) -> None:
    for _ in range(count or conf.get("LOOPS")):
        _enqueue(run_loop, send_id)


def has_due_work(send_id: int) -> bool:
    now = clock.now()
    return (
        Delivery.objects.filter(send_id=send_id)
        .filter(
            Q(state=DeliveryState.PENDING, next_attempt_at__lte=now)
            | Q(state=DeliveryState.CLAIMED, lease_until__lt=now)
        )
        .exists()
    )


def ensure_loops(send_id: int, force: bool = False) -> bool:
    """Enqueue loops for a sending send unless a live loop heartbeats (one conditional
    UPDATE decides, so racing callers enqueue once)."""
    now = clock.now()
    stale = timedelta(seconds=conf.get("STALE_SECONDS"))
    grace = timedelta(seconds=conf.get("REENQUEUE_SECONDS"))
    rows = Send.objects.filter(pk=send_id, state=SendState.SENDING)
    if not force:
        rows = rows.filter(Q(heartbeat_at__isnull=True) | Q(heartbeat_at__lt=now - stale)).filter(
            Q(loops_enqueued_at__isnull=True) | Q(loops_enqueued_at__lt=now - grace)
        )
    if not rows.update(loops_enqueued_at=now):
        return False
    enqueue_loops(send_id)
    return True

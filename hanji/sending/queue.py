"""Queueing the work of a send: which task runs next, and when.

Imports only models, settings and the clock, so actions, the loop and the transitions can all
queue work without importing the tasks (which import them): tasks are named here and looked up
when the transaction commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.tasks import task_backends
from django.utils.module_loading import import_string

from hanji.sending import clock, conf
from hanji.sending.models import Delivery, DeliveryState, Send, SendState

TASKS = "hanji.sending.tasks"


def defer_supported() -> bool:
    """Can the task backend run a task later (`run_after`)? The in-line backends cannot."""
    return bool(getattr(task_backends["default"], "supports_defer", False))


def enqueue(name: str, *args, run_after: datetime | None = None) -> None:
    """Enqueue the task `name` of the sending tasks once the transaction commits."""

    def go():
        task_obj = import_string(f"{TASKS}.{name}")
        if run_after is not None:
            if not defer_supported():
                return  # the periodic job covers it where tasks cannot wait
            task_obj.using(run_after=run_after).enqueue(*args)
        else:
            task_obj.enqueue(*args)

    transaction.on_commit(go)


def prepare_later(send_id: int, at: datetime | None = None) -> None:
    enqueue("prepare_send", send_id, run_after=at)


def watch_later(send_id: int, seconds: float | None = None) -> None:
    """(Re)start the watcher chain; a newer chain supersedes an older one."""
    if not defer_supported():
        return
    seconds = seconds if seconds is not None else conf.get("WATCH_SECONDS")
    at = clock.now() + timedelta(seconds=seconds)
    Send.objects.filter(pk=send_id).update(wake_at=at)
    enqueue("watch_send", send_id, at.isoformat(), run_after=at)


def enqueue_loops(send_id: int, count: int | None = None) -> None:
    for _ in range(count or conf.get("LOOPS")):
        enqueue("run_loop", send_id)


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


def has_work_left(send_id: int) -> bool:
    """Is anything pending (due now or later) or claimed?"""
    return Delivery.objects.filter(
        send_id=send_id, state__in=(DeliveryState.PENDING, DeliveryState.CLAIMED)
    ).exists()


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


def keep_going(send_id: int) -> None:
    """A send that is ready to send: loops to work on it and a watcher behind them."""
    ensure_loops(send_id)
    watch_later(send_id)

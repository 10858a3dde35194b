"""Workers' heartbeats, and what happens to the tasks of a worker that is gone.

django-tasks-db marks a task RUNNING when a worker claims it and keeps no lease: a worker
killed (kill -9, out of memory, a machine lost) mid-task leaves it RUNNING for ever. So:

1. Each `hanji worker` registers a core.WorkerProcess row and, from a helper thread, sets its
   `seen_at` every BEAT seconds; a clean stop deletes the row.
2. The same thread, at start and then every few beats, marks FAILED the RUNNING tasks whose
   last claimant is a registered worker not seen for GONE seconds, with a traceback saying
   which worker and when it was last seen. One conditional UPDATE per task (still RUNNING,
   same start), so many workers reaping at once fail each task once.
3. Tasks claimed by workers that never registered (a bare `manage.py db_worker`) are left
   alone: without a heartbeat nothing tells a long task from a dead one.

A worker cut off from the database for longer than GONE may see its task marked failed while
it still runs it; when it finishes, django-tasks-db records the real outcome over ours.
Tasks are written to be safe to run again, so failing them (and, for sending, the watcher
enqueuing fresh loops) loses nothing.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.tasks import TaskResultStatus
from django.utils import timezone

from hanji.core.models import WorkerProcess

logger = logging.getLogger("hanji.worker")

DEFAULTS = {"BEAT_SECONDS": 5.0, "GONE_SECONDS": 30.0}


def setting(name: str) -> float:
    """HANJI_WORKER_<NAME>: a Django setting, else the environment, else the default."""
    value = getattr(settings, f"HANJI_WORKER_{name}", None)
    if value is None:
        value = os.environ.get(f"HANJI_WORKER_{name}") or DEFAULTS[name]
    return float(value)


class WorkerGone(Exception):
    """Recorded as the error of a task whose worker stopped while running it."""


def reap_abandoned_tasks(now: datetime | None = None) -> int:
    """Mark FAILED the running tasks of registered workers not seen for GONE seconds; forget
    those workers. Returns how many tasks were failed."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(seconds=setting("GONE_SECONDS"))
    gone = dict(
        WorkerProcess.objects.filter(seen_at__lt=cutoff).values_list("worker_id", "seen_at")
    )
    if not gone:
        return 0
    failed = 0
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only(
        "id", "worker_ids", "started_at", "task_path"
    )
    for task in list(running):
        worker_id = task.worker_ids[-1] if task.worker_ids else None
        if worker_id not in gone:
            continue
        message = (
            f"{WorkerGone.__module__}.WorkerGone: worker {worker_id} stopped while running "
            f"this task (last seen {gone[worker_id].isoformat()}; killed or cut off)\n"
        )
        failed += DBTaskResult.objects.filter(
            pk=task.pk, status=TaskResultStatus.RUNNING, started_at=task.started_at
        ).update(
            status=TaskResultStatus.FAILED,
            finished_at=now,
            return_value=None,
            exception_class_path=f"{WorkerGone.__module__}.WorkerGone",
            traceback=message,
        )
        logger.warning("task %s (%s): worker %s is gone", task.pk, task.task_path, worker_id)
    WorkerProcess.objects.filter(worker_id__in=list(gone), seen_at__lt=cutoff).delete()
    return failed


class Heartbeat:
    """Registers this worker, beats, and reaps the tasks of workers that are gone."""

    REAP_EVERY = 4  # beats

    def __init__(self, worker_id: str) -> None:
        self.worker_id = worker_id[:64]
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def _beat(self) -> None:
        now = timezone.now()
        seen = WorkerProcess.objects.filter(worker_id=self.worker_id).update(seen_at=now)
        if not seen:  # first beat, or reaped while cut off from the database
            WorkerProcess.objects.update_or_create(
                worker_id=self.worker_id,
                defaults={
                    "host": socket.gethostname()[:255],
                    "pid": os.getpid(),
                    "started_at": now,
                    "seen_at": now,
                },
            )

    def start(self) -> None:
        self._beat()
        reap_abandoned_tasks()
        self.thread = threading.Thread(target=self._loop, name="hanji-heartbeat", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        beats = 0
        while not self.stop.wait(setting("BEAT_SECONDS")):
            close_old_connections()
            try:
                self._beat()
                beats += 1
                if beats % self.REAP_EVERY == 0:
                    reap_abandoned_tasks()
            except Exception:
                # The database may be restarting: beat again next time rather than die.
                logger.exception("worker heartbeat failed")
        connection.close()

    def close(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=30)
        WorkerProcess.objects.filter(worker_id=self.worker_id).delete()

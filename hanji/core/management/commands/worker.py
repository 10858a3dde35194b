"""`hanji worker`: runs background tasks (django-tasks-db) and the periodic jobs."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from types import FrameType

from django.conf import settings
from django.core.management.base import CommandError
from django.tasks import task_backends
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from hanji.core.management.base import HanjiCommand
from hanji.core.scheduler import Scheduler, new_worker_id
from hanji.core.workers import Heartbeat

logger = logging.getLogger("hanji.worker")


class DrainingWorker(Worker):
    """django-tasks-db's worker, stopping only between tasks.

    The stock worker exits at once on the first signal when it is not inside a task, which
    can fall between claiming a task and starting it and strand the task as "running". Here
    the first SIGTERM/SIGINT only asks the loop to stop: the task under way finishes and the
    loop ends at its next turn (within --interval). A second signal still forces an exit.
    """

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running:
            logger.warning("second %s: stopping now", signal.strsignal(signum))
            self.reset_signals()
            sys.exit(1)
        logger.info("%s: finishing the current task, then stopping", signal.strsignal(signum))
        self.running = False


class Command(HanjiCommand):
    help = gettext_lazy(
        "Start a background worker: it runs queued tasks (sending email, imports …) and the "
        "periodic jobs. Start as many as you like, on one machine or several (PostgreSQL); "
        "SIGTERM lets the current task finish first."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--queues",
            default=",".join(settings.TASKS["default"].get("QUEUES", ["default"])),
            help=_("Queues to take tasks from, comma-separated (default: %(default)s)."),
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help=_("Seconds to wait when no task is ready (default: %(default)s)."),
        )
        parser.add_argument(
            "--no-scheduler",
            action="store_true",
            help=_("Run tasks only; leave the periodic jobs to other workers."),
        )
        parser.add_argument(
            "--worker-id",
            default="",
            help=_("A name for this worker in the task records (default: host:pid:random)."),
        )

    def handle(self, *, queues: str, interval: float, no_scheduler: bool, **options) -> None:
        backend = task_backends["default"]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                _(
                    "the task backend is %(backend)s, which runs tasks without a worker; "
                    "hanji worker needs django_tasks_db.DatabaseBackend"
                )
                % {"backend": type(backend).__name__}
            )
        if interval < 0:
            raise CommandError(_("--interval cannot be negative"))
        queue_names = [name.strip() for name in queues.split(",") if name.strip()]
        unknown = set(queue_names) - set(backend.queues or queue_names)
        if unknown:
            raise CommandError(
                _("unknown queue %(queue)s; the queues are %(queues)s")
                % {"queue": ", ".join(sorted(unknown)), "queues": ", ".join(sorted(backend.queues))}
            )
        worker_id = (options["worker_id"] or new_worker_id())[:64]
        self._configure_logging(options["verbosity"])
        worker = DrainingWorker(
            queue_names=queue_names,
            interval=interval,
            batch=False,
            backend_name="default",
            startup_delay=True,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        # Our heartbeat, and the running tasks of workers that have none any more.
        heartbeat = Heartbeat(worker_id)
        heartbeat.start()
        stop = threading.Event()
        scheduler_thread = None
        if not no_scheduler:
            scheduler = Scheduler(worker_id=worker_id)
            scheduler_thread = threading.Thread(
                target=scheduler.loop, args=(stop,), name="hanji-scheduler", daemon=True
            )
            scheduler_thread.start()
        if no_scheduler:
            started = _("Worker %(id)s: tasks from %(queues)s. Stop with Ctrl-C.")
        else:
            started = _("Worker %(id)s: tasks from %(queues)s and periodic jobs. Stop with Ctrl-C.")
        self.say(started % {"id": worker_id, "queues": ", ".join(queue_names)})
        worker.configure_signals()
        try:
            worker.run()
        finally:
            stop.set()
            if scheduler_thread is not None:
                # A periodic job under way finishes and releases its lease before we exit.
                scheduler_thread.join()
            heartbeat.close()
            self.say(_("Worker %(id)s stopped.") % {"id": worker_id})

    def _configure_logging(self, verbosity: int) -> None:
        level = logging.WARNING if verbosity < 1 else logging.INFO
        if verbosity >= 2:
            level = logging.DEBUG
        for name in ("django_tasks_db", "django.tasks", "hanji.worker", "hanji.scheduler"):
            logging.getLogger(name).setLevel(level)

"""The periodic scheduler that runs inside every `hanji worker`.

settings.HANJI_PERIODIC_JOBS maps "dotted.path.to.function" to a period in seconds. Each job
has a core.PeriodicJob row holding its last start. How a worker runs a job:

1. Claim it with one conditional UPDATE: "set last_started_at = now and take the lease, where
   the last start is at least one period ago and nobody holds an unexpired lease". An update
   count of 1 means this worker won; 0 means the job is not due or another worker has it. The
   same statement works on SQLite and PostgreSQL and needs no row locks.
2. Call the function in a helper thread while this thread renews the lease, so a long job
   keeps its claim and a job whose worker died is free again once the lease runs out.
3. Release the lease and record the finish time and any error.

Because the last start lives in the database, a restarted worker neither repeats a job that
ran a moment ago nor skips one that fell due while no worker was up (it runs once, late).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

from hanji.core.models import PeriodicJob

logger = logging.getLogger("hanji.scheduler")

DEFAULT_LEASE = timedelta(seconds=60)


def new_worker_id() -> str:
    """Unique across machines and restarts; fits django-tasks-db's 64 characters."""
    host = socket.gethostname()[:32]
    return f"{host}:{os.getpid()}:{get_random_string(8)}"


@dataclass(frozen=True)
class Job:
    name: str
    period: timedelta


def configured_jobs(jobs: dict[str, int] | None = None) -> list[Job]:
    jobs = settings.HANJI_PERIODIC_JOBS if jobs is None else jobs
    return [Job(name, timedelta(seconds=int(seconds))) for name, seconds in jobs.items()]


class Scheduler:
    def __init__(
        self,
        jobs: list[Job] | None = None,
        *,
        worker_id: str | None = None,
        lease: timedelta = DEFAULT_LEASE,
        clock: Callable[[], datetime] = timezone.now,
    ) -> None:
        self.jobs = configured_jobs() if jobs is None else jobs
        self.worker_id = worker_id or new_worker_id()
        self.lease = lease
        self.clock = clock
        self._functions: dict[str, Callable[[], object] | None] = {}
        self._rows_ready = False

    # --- claiming ----------------------------------------------------------------------------

    def ensure_rows(self) -> None:
        """One row per configured job; several workers starting at once may all try."""
        PeriodicJob.objects.bulk_create(
            [PeriodicJob(name=job.name) for job in self.jobs], ignore_conflicts=True
        )
        self._rows_ready = True

    def claim(self, job: Job, now: datetime) -> bool:
        claimed = (
            PeriodicJob.objects.filter(name=job.name)
            .filter(Q(last_started_at__isnull=True) | Q(last_started_at__lte=now - job.period))
            .filter(Q(running_until__isnull=True) | Q(running_until__lte=now))
            .update(
                last_started_at=now,
                running_until=now + self.lease,
                claimed_by=self.worker_id,
                runs=F("runs") + 1,
            )
        )
        return claimed == 1

    def _mine(self, job: Job):
        return PeriodicJob.objects.filter(name=job.name, claimed_by=self.worker_id)

    def renew(self, job: Job) -> None:
        self._mine(job).update(running_until=self.clock() + self.lease)

    def release(self, job: Job, error: str = "") -> None:
        self._mine(job).update(
            running_until=None, last_finished_at=self.clock(), last_error=error[:10_000]
        )

    # --- running -----------------------------------------------------------------------------

    def function(self, job: Job) -> Callable[[], object] | None:
        if job.name not in self._functions:
            try:
                self._functions[job.name] = import_string(job.name)
            except ImportError:
                logger.error("periodic job %s cannot be imported; skipping it", job.name)
                self._functions[job.name] = None
        return self._functions[job.name]

    def run_due(self, now: datetime | None = None) -> list[str]:
        """Claim and run every job that is due; the names of those this worker ran."""
        if not self._rows_ready:
            self.ensure_rows()
        ran = []
        for job in self.jobs:
            function = self.function(job)
            if function is None or not self.claim(job, now or self.clock()):
                continue
            self._run_claimed(job, function)
            ran.append(job.name)
        return ran

    def _run_claimed(self, job: Job, function: Callable[[], object]) -> None:
        outcome: dict[str, str] = {}

        def call() -> None:
            try:
                function()
            except Exception:
                outcome["error"] = traceback.format_exc()
                logger.exception("periodic job %s failed", job.name)
            finally:
                connection.close()

        helper = threading.Thread(target=call, name=f"job:{job.name}", daemon=True)
        helper.start()
        renew_every = max(self.lease.total_seconds() / 3, 0.05)
        while helper.is_alive():
            helper.join(renew_every)
            if helper.is_alive():
                self.renew(job)
        self.release(job, outcome.get("error", ""))
        logger.debug("periodic job %s done", job.name)

    def seconds_until_next(self, now: datetime | None = None) -> float:
        """How long the loop may sleep: until the earliest job falls due (at most 30 s)."""
        now = now or self.clock()
        rows = dict(
            PeriodicJob.objects.filter(name__in=[j.name for j in self.jobs]).values_list(
                "name", "last_started_at"
            )
        )
        waits = [30.0]
        for job in self.jobs:
            last = rows.get(job.name)
            waits.append(0.0 if last is None else (last + job.period - now).total_seconds())
        return min(max(min(waits), 0.5), 30.0)

    def loop(self, stop: threading.Event) -> None:
        """Run due jobs until `stop` is set; a job under way is finished first (drain)."""
        if not self.jobs:
            return
        logger.info("scheduler %s runs %s", self.worker_id, ", ".join(j.name for j in self.jobs))
        while not stop.is_set():
            close_old_connections()
            try:
                self.run_due()
                wait = self.seconds_until_next()
            except Exception:
                # The database may be restarting; try again shortly rather than die.
                logger.exception("scheduler tick failed")
                wait = 5.0
            stop.wait(wait)
        connection.close()

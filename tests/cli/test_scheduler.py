"""The periodic scheduler: once per period across workers, restarts neither repeat nor skip."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from hanji.core.models import PeriodicJob
from hanji.core.scheduler import Job, Scheduler, configured_jobs
from tests.cli import jobs

T0 = datetime(2025, 3, 3, 7, 0, tzinfo=UTC)
RECORD = Job("tests.cli.jobs.record", timedelta(seconds=60))


@pytest.fixture(autouse=True)
def _calls():
    jobs.calls.clear()
    yield
    jobs.calls.clear()


def scheduler(*job_list: Job, name: str, lease: timedelta = timedelta(seconds=60)) -> Scheduler:
    return Scheduler(list(job_list) or [RECORD], worker_id=name, lease=lease)


@pytest.mark.django_db
def test_a_job_runs_once_per_period_even_with_two_schedulers():
    a, b = scheduler(name="a"), scheduler(name="b")
    assert a.run_due(T0) == ["tests.cli.jobs.record"]
    assert b.run_due(T0) == []
    assert b.run_due(T0 + timedelta(seconds=59)) == []
    assert a.run_due(T0 + timedelta(seconds=59)) == []
    assert b.run_due(T0 + timedelta(seconds=60)) == ["tests.cli.jobs.record"]
    assert a.run_due(T0 + timedelta(seconds=61)) == []
    assert jobs.calls == ["record", "record"]
    row = PeriodicJob.objects.get()
    assert (row.runs, row.claimed_by, row.running_until, row.last_error) == (2, "b", None, "")


@pytest.mark.django_db
def test_a_restarted_worker_neither_repeats_nor_skips_a_job():
    scheduler(name="before").run_due(T0)
    restarted = scheduler(name="after")
    assert restarted.run_due(T0 + timedelta(seconds=10)) == []  # not repeated
    # Down for five periods: the job runs once when the worker is back, not five times.
    assert restarted.run_due(T0 + timedelta(minutes=5)) == ["tests.cli.jobs.record"]
    assert restarted.run_due(T0 + timedelta(minutes=5, seconds=1)) == []
    assert jobs.calls == ["record", "record"]


@pytest.mark.django_db
def test_a_job_is_not_started_while_another_worker_holds_its_lease():
    PeriodicJob.objects.create(
        name=RECORD.name,
        last_started_at=T0 - timedelta(hours=1),
        running_until=T0 + timedelta(seconds=30),
        claimed_by="busy",
    )
    other = scheduler(name="other")
    assert other.run_due(T0) == []
    # The busy worker died: once its lease ran out the job is free again.
    assert other.run_due(T0 + timedelta(seconds=31)) == ["tests.cli.jobs.record"]


@pytest.mark.django_db
def test_a_failing_job_records_its_error_and_releases_its_lease():
    failing = Job("tests.cli.jobs.fail", timedelta(seconds=60))
    assert scheduler(failing, name="a").run_due(T0) == ["tests.cli.jobs.fail"]
    row = PeriodicJob.objects.get()
    assert "RuntimeError: the job broke" in row.last_error
    assert row.running_until is None and row.last_finished_at is not None


@pytest.mark.django_db
def test_a_job_that_cannot_be_imported_is_skipped_and_the_others_run():
    missing = Job("tests.cli.jobs.nothing_here", timedelta(seconds=60))
    assert scheduler(missing, RECORD, name="a").run_due(T0) == ["tests.cli.jobs.record"]


@pytest.mark.django_db
def test_a_long_job_renews_its_lease_while_it_runs():
    slow = Job("tests.cli.jobs.slow_record", timedelta(seconds=60))
    runner = scheduler(slow, name="a", lease=timedelta(seconds=0.15))
    renewals = []
    original = runner.renew
    runner.renew = lambda job: (renewals.append(job.name), original(job))
    runner.run_due()
    assert renewals, "the lease was never renewed during a job longer than the lease"
    assert jobs.calls == ["record"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_for_a_due_job_run_it_once():
    """Real threads with their own database connections claim the same job at once."""
    from django.db import connection

    barrier = threading.Barrier(4)
    ran: list[list[str]] = []

    def worker(name: str) -> None:
        runner = scheduler(name=name)
        runner.ensure_rows()
        barrier.wait()
        try:
            ran.append(runner.run_due(T0))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(len(names) for names in ran) == [0, 0, 0, 1]
    assert jobs.calls == ["record"]
    assert PeriodicJob.objects.get().runs == 1


def test_the_jobs_come_from_settings(settings):
    settings.HANJI_PERIODIC_JOBS = {"a.b": 30, "c.d": 3600}
    assert configured_jobs() == [Job("a.b", timedelta(seconds=30)), Job("c.d", timedelta(hours=1))]

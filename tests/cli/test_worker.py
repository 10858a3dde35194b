"""`hanji worker` as real processes: no task runs twice, SIGTERM lets the current task finish,
a killed worker's task is marked failed by the others (heartbeats)."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from django.db import connection, transaction
from django.tasks import TaskResultStatus, task
from django.test import override_settings

from tests.cli import jobs
from tests.cli.conftest import child_env, start_hanji

DATABASE_TASKS = {
    "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "sending"]}
}
HANG_GUARD = 180  # seconds; only stops a hung test, never decides pass or fail


def live_database_url() -> str:
    """The URL of the test database this test runs in, for the worker processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}{port}/{db['NAME']}"


@pytest.fixture
def runs_table(transactional_db) -> Iterator[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {jobs.RUNS_TABLE} (number integer NOT NULL, pid integer NOT NULL)"
        )
    yield jobs.RUNS_TABLE
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {jobs.RUNS_TABLE}")


@task()
def sleep_long(seconds: float) -> float:
    """A task that outlives a worker killed under it (or, unkilled, several heartbeats)."""
    time.sleep(seconds)
    return seconds


class Worker:
    """A `hanji worker` process whose output is read as it comes (a full pipe would block it)."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.process = start_hanji(
            "worker", "--no-scheduler", "--interval", "0.05", "--worker-id", name, env=env
        )
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.reader.join(5)
        return code


@pytest.fixture
def workers():
    """Starts `hanji worker` processes on the live test database; stops them afterwards."""
    started: list[Worker] = []

    def start(count: int, **extra: str) -> list[Worker]:
        env = child_env(
            DATABASE_URL=live_database_url(),
            HANJI_TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            **extra,
        )
        new = [Worker(env, f"test-{len(started) + i}") for i in range(count)]
        started.extend(new)
        for worker in new:
            wait_until(
                lambda w=worker: "Starting worker" in w.output or w.process.poll() is not None,
                "the worker to start",
            )
            assert worker.process.poll() is None, worker.output
        return new

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()


def wait_until(condition, what: str) -> None:
    deadline = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.1)


def finished_count() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    ).count()


def assert_each_task_ran_exactly_once(count: int, process_count: int, workers) -> None:
    """All workers are polling before the tasks appear, in one commit, so they compete."""
    from django_tasks_db.models import DBTaskResult

    started = workers(process_count)
    with override_settings(TASKS=DATABASE_TASKS), transaction.atomic():
        for number in range(count):
            jobs.record_run.enqueue(number)
    wait_until(lambda: finished_count() == count, f"{count} tasks to finish")
    results = list(DBTaskResult.objects.all())
    assert {r.status for r in results} == {TaskResultStatus.SUCCESSFUL}
    assert all(len(r.worker_ids) == 1 for r in results), "a task was claimed twice"
    # Which worker ran how many (shown with pytest -s; how they split is up to the OS).
    print("tasks per worker:", dict(Counter(r.worker_ids[0] for r in results)))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number, COUNT(*) FROM {jobs.RUNS_TABLE} GROUP BY number")
        runs = dict(cursor.fetchall())
    assert sorted(runs) == list(range(count))
    assert set(runs.values()) == {1}, {n: c for n, c in runs.items() if c != 1}
    for worker in started:
        assert worker.stop() == 0, worker.output


@pytest.mark.postgres
def test_several_workers_on_postgresql_never_run_one_task_twice(runs_table, workers):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: run with DATABASE_URL=postgres://…")
    assert_each_task_ran_exactly_once(300, 3, workers)


def test_two_workers_on_sqlite_never_run_one_task_twice(runs_table, workers):
    if connection.vendor != "sqlite":
        pytest.skip("the SQLite variant; PostgreSQL has its own test")
    assert_each_task_ran_exactly_once(40, 2, workers)


def test_sigterm_lets_the_current_task_finish_then_the_worker_exits(runs_table, workers):
    from django_tasks_db.models import DBTaskResult

    (worker,) = workers(1)
    with override_settings(TASKS=DATABASE_TASKS):
        result = jobs.sleep_then_record.enqueue(7)
    wait_until(
        lambda: (
            DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).exists()
            or worker.process.poll() is not None
        ),
        "the worker to start the task",
    )
    assert worker.stop() == 0, worker.output
    assert "finishing the current task" in worker.output
    assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.SUCCESSFUL
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT number FROM {jobs.RUNS_TABLE}")
        assert cursor.fetchall() == [(7,)]


def test_the_worker_refuses_a_task_backend_that_needs_no_worker(hanji, db):
    outcome = hanji("worker")
    assert outcome.code == 1
    assert outcome.err_lines == [
        "error: the task backend is ImmediateBackend, which runs tasks without a worker; "
        "hanji worker needs django_tasks_db.DatabaseBackend"
    ]


def test_an_unknown_queue_is_refused(hanji, db):
    with override_settings(TASKS=DATABASE_TASKS):
        outcome = hanji("worker", "--queues", "default,nope")
    assert outcome.err_lines == ["error: unknown queue nope; the queues are default, sending"]


# Fast heartbeats for the tests: a beat every 0.1 s, gone after 1 s without one.
FAST_BEATS = {"HANJI_WORKER_BEAT_SECONDS": "0.1", "HANJI_WORKER_GONE_SECONDS": "1"}


def status_of(result) -> str:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.values_list("status", flat=True).get(pk=result.id)


def test_a_killed_workers_running_task_is_marked_failed_by_another_worker(
    transactional_db, workers
):
    from django_tasks_db.models import DBTaskResult

    from hanji.core.models import WorkerProcess

    (doomed,) = workers(1, **FAST_BEATS)
    with override_settings(TASKS=DATABASE_TASKS):
        result = sleep_long.enqueue(600)
    wait_until(lambda: status_of(result) == TaskResultStatus.RUNNING, "the task to start")
    assert WorkerProcess.objects.filter(worker_id="test-0").exists()
    doomed.process.kill()  # SIGKILL: no drain, no goodbye
    doomed.process.wait()
    assert status_of(result) == TaskResultStatus.RUNNING  # what django-tasks-db leaves
    (survivor,) = workers(1, **FAST_BEATS)
    wait_until(lambda: status_of(result) == TaskResultStatus.FAILED, "the task to be failed")
    row = DBTaskResult.objects.get(pk=result.id)
    assert row.exception_class_path == "hanji.core.workers.WorkerGone"
    assert "worker test-0 stopped while running this task" in row.traceback
    assert row.finished_at is not None and row.worker_ids == ["test-0"]
    # The dead worker is forgotten; the survivor is registered and still takes tasks.
    wait_until(lambda: not WorkerProcess.objects.filter(worker_id="test-0").exists(), "cleanup")
    with override_settings(TASKS=DATABASE_TASKS):
        after = sleep_long.enqueue(0)
    wait_until(lambda: status_of(after) == TaskResultStatus.SUCCESSFUL, "the next task")
    assert survivor.stop() == 0, survivor.output
    assert not WorkerProcess.objects.filter(worker_id="test-1").exists()  # a clean stop


def test_a_long_task_of_a_live_worker_is_never_taken_for_abandoned(transactional_db, workers):
    """The task outlives GONE several times while another worker keeps reaping."""
    runner, watcher = workers(2, **FAST_BEATS)
    with override_settings(TASKS=DATABASE_TASKS):
        result = sleep_long.enqueue(4)
    wait_until(lambda: status_of(result) != TaskResultStatus.READY, "the task to start")
    wait_until(lambda: status_of(result) != TaskResultStatus.RUNNING, "the task to end")
    assert status_of(result) == TaskResultStatus.SUCCESSFUL
    for worker in (runner, watcher):
        assert worker.stop() == 0, worker.output

"""Periodic jobs and tasks the CLI tests run (importable by worker subprocesses too)."""

from __future__ import annotations

import os
import threading
import time

from django.db import connection
from django.tasks import task

calls: list[str] = []
_lock = threading.Lock()
RUNS_TABLE = "cli_test_task_runs"


def record() -> None:
    with _lock:
        calls.append("record")


def slow_record() -> None:
    time.sleep(0.3)
    record()


def fail() -> None:
    raise RuntimeError("the job broke")


@task()
def record_run(number: int) -> int:
    """Writes one row per run, so a task run twice shows up twice."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {RUNS_TABLE} (number, pid) VALUES (%s, %s)", [number, os.getpid()]
        )
    return number


@task()
def sleep_then_record(number: int) -> int:
    time.sleep(1.0)
    return record_run.call(number)

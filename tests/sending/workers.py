"""Real worker processes for the sending tests: `manage.py db_worker --queue-name sending`
with the test's database, secret key and SMTP server."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DB_TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "sending"],
    }
}


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def worker_env(email_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "hanji.settings",
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url(),
            "SECRET_KEY": settings.SECRET_KEY,
            "HANJI_DATA_DIR": str(settings.DATA_DIR),
            "HANJI_BASE_URL": settings.HANJI_BASE_URL,
            "HANJI_TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_URL": email_url,
            "HANJI_LOG_LEVEL": "WARNING",
            "HANJI_SEND_LEASE_SECONDS": "3",
            "HANJI_SEND_STALE_SECONDS": "3",
            "HANJI_SEND_REENQUEUE_SECONDS": "3",
            "HANJI_SEND_WATCH_SECONDS": "2",
            "HANJI_SEND_LOOPS": "2",
            "HANJI_SEND_RETRY_BASE_SECONDS": "0.1",
            "HANJI_SEND_RETRY_MAX_SECONDS": "0.5",
            "HANJI_SEND_IDLE_SECONDS": "5",
            # Loops give their worker back every 2 s: the tests go through continuations too.
            "HANJI_SEND_SLICE_SECONDS": "2",
        }
    )
    env.update(extra)
    return env


class Worker:
    def __init__(self, env: dict[str, str], log: Path, *, hanji_worker: bool = False):
        """django-tasks-db's bare worker, or with `hanji_worker` what production runs:
        `hanji worker`, whose periodic jobs (start_due_sends) restart what a kill cut off."""
        self.log = log.open("ab")
        command = (
            ["worker", "--interval", "0.2"]
            if hanji_worker
            else ["db_worker", "--queue-name", "sending", "--interval", "0.2",
                  "--no-startup-delay", "-v", "0"]
        )  # fmt: skip
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", *command],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.log.close()

    def terminate(self, timeout: float = 60) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        self.log.close()
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.terminate(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def run_command(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip


def wait_while_progressing(
    done, progress, what: str, *, stall: float = 60, logs: tuple[Path, ...] = ()
) -> None:
    """Wait for `done()` as long as `progress()` keeps changing: a loaded machine may take
    minutes, a stalled send fails after `stall` seconds without a change, with the logs' tails."""
    last, since = progress(), time.monotonic()
    while not done():
        now = progress()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since > stall:
            tails = "\n".join(
                f"--- {log}\n{log.read_text(errors='replace')[-3000:]}" for log in logs
            )
            raise AssertionError(
                f"no progress for {stall:.0f} s waiting for {what} (at {now})\n{tails}"
            )
        time.sleep(0.2)


def wait_for(condition, timeout: float, what: str, interval: float = 0.05) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)

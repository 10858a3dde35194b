"""Starting and stopping Hanji for a benchmark: `hanji web` + `hanji worker` (or `hanji run`)
in a data dir of the bench's own, production-like (DEBUG off), and reading their memory and
CPU time."""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "var" / "bench-pages"
WEB_WORKERS = int(os.environ.get("HANJI_BENCH_WORKERS", "2"))
# Request threads per web worker; empty means the default of `hanji web`.
WEB_THREADS = os.environ.get("HANJI_BENCH_THREADS", "")
# HANJI_BENCH_OLD_SERVER=1: granian's WSGI interface with --blocking-threads 2 --backpressure 2,
# what `hanji web` ran before issue 12 (to compare with the same application code).
OLD_SERVER = os.environ.get("HANJI_BENCH_OLD_SERVER", "") == "1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def has_command(name: str) -> bool:
    return importlib.util.find_spec(f"hanji.core.management.commands.{name}") is not None


def base_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PYTEST_VERSION", "DATABASE_URL", "REDIS_URL", "HANJI_PAGE_CACHE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="hanji.settings",
        HANJI_DATA_DIR=str(DATA_DIR),
        DEBUG="0",
        HANJI_LOG_LEVEL="WARNING",
        PYTHONDONTWRITEBYTECODE="1",
    )
    if url := os.environ.get("HANJI_BENCH_DATABASE_URL"):
        env["DATABASE_URL"] = url
    env.update(extra)
    return env


def module_json(module: str, *args: str, env: dict[str, str]) -> dict:
    """Run `python -m module args` in a process of its own; its last output line is JSON."""
    output = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output.strip().splitlines()[-1])


def hanji(*args: str) -> list[str]:
    return [sys.executable, "-m", "hanji.cli", *args]


class Stack:
    """`hanji web` + `hanji worker`, started together and stopped together (or `hanji run`)."""

    def __init__(
        self,
        env: dict[str, str],
        port: int,
        workers: int | None = WEB_WORKERS,
        run=False,
        log: Path = DATA_DIR / "server.log",
    ):
        self.env, self.port, self.workers, self.run, self.log = env, port, workers, run, log
        self.url = f"http://127.0.0.1:{port}"
        self.processes: list[subprocess.Popen] = []
        self.how = ""

    def _web_and_worker(self) -> list[list[str]]:
        if OLD_SERVER:
            granian = str(Path(sys.executable).with_name("granian"))
            web = [granian, "--interface", "wsgi", "--workers", str(self.workers or 1)]
            web += ["--blocking-threads", "2", "--backpressure", "2", "--no-access-log"]
            web += ["--host", "127.0.0.1", "--port", str(self.port), "hanji.wsgi:application"]
            self.how = f"granian WSGI --workers {self.workers or 1} --backpressure 2 (before)"
        elif has_command("web"):
            web = hanji("web", "--host", "127.0.0.1", "--port", str(self.port))
            self.how = "hanji web"
            if self.workers:
                web += ["--workers", str(self.workers)]
                self.how += f" --workers {self.workers}"
            if WEB_THREADS:
                web += ["--threads", WEB_THREADS]
                self.how += f" --threads {WEB_THREADS}"
        else:
            granian = str(Path(sys.executable).with_name("granian"))
            web = [granian, "--interface", "wsgi", "--workers", str(self.workers or 1)]
            web += ["--host", "127.0.0.1", "--port", str(self.port), "hanji.wsgi:application"]
            self.how = f"granian --workers {self.workers or 1} (no hanji web yet)"
        worker = hanji("worker") if has_command("worker") else hanji("db_worker")
        self.how += " + " + ("hanji worker" if has_command("worker") else "db_worker")
        return [web, worker]

    def start(self) -> None:
        log = self._log_file = open(self.log, "ab")  # noqa: SIM115 (closed in stop)
        if self.run:
            commands = [hanji("run", "--host", "127.0.0.1", "--port", str(self.port))]
            self.how = "hanji run"
        else:
            commands = self._web_and_worker()
        for command in commands:
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            for process in self.processes:
                if process.poll() is not None:
                    raise RuntimeError(f"{process.args} exited; see {self.log}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.25)
        raise RuntimeError(f"the server did not answer in 60 s; see {self.log}")

    def memory_mb(self) -> dict[str, float]:
        import psutil

        rss = pss = 0
        count = 0
        for process in self.processes:
            try:
                parent = psutil.Process(process.pid)
                for one in [parent, *parent.children(recursive=True)]:
                    info = one.memory_full_info()
                    rss += info.rss
                    pss += getattr(info, "pss", info.rss)
                    count += 1
            except psutil.NoSuchProcess:
                continue
        return {"rss_mb": rss / 2**20, "pss_mb": pss / 2**20, "processes": count}

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the web server's processes (not the worker)."""
        import psutil

        total = 0.0
        parent = psutil.Process(self.processes[0].pid)
        for one in [parent, *parent.children(recursive=True)]:
            try:
                times = one.cpu_times()
                total += times.user + times.system
            except psutil.NoSuchProcess:
                continue
        return total

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()
        self._log_file.close()


@contextmanager
def running(
    env: dict[str, str],
    workers: int | None = WEB_WORKERS,
    run: bool = False,
    log: Path = DATA_DIR / "server.log",
):
    stack = Stack(env, free_port(), workers, run, log)
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()


def settle_memory(stack: Stack, seconds: float = 3.0) -> dict[str, float]:
    time.sleep(seconds)
    return stack.memory_mb()


def redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_timeout=2).ping())
    except Exception:  # noqa: BLE001 (any failure means "no Redis here")
        return False


def drop_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])

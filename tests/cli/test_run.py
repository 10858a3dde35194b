"""`hanji run` (what `make run` starts): web server and worker together, stopped by Ctrl-C."""

from __future__ import annotations

import re
import signal
import threading
import time
import urllib.request

import psutil
import pytest

from tests.cli.conftest import child_env, free_port, start_hanji

HANG_GUARD = 120  # seconds; only stops a hung test
# Straight to the local server, whatever proxy the environment names.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class Running:
    """A `hanji run` process whose output is collected while it runs."""

    def __init__(self, data_dir, port: int) -> None:
        env = child_env(HANJI_DATA_DIR=str(data_dir))
        # Like a newcomer's machine: SQLite in the data dir, no Redis, real task worker.
        for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_VERSION", "HANJI_TASKS_BACKEND"):
            env.pop(name, None)
        self.port = port
        self.process = start_hanji("run", "--port", str(port), "--demo-if-empty", env=env)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def get(self, path: str) -> tuple[int, str]:
        try:
            with _opener.open(f"http://127.0.0.1:{self.port}{path}", timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, ""
        except urllib.error.URLError:
            return 0, ""

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + HANG_GUARD
        while "Hanji is running." not in self.output or self.get("/healthz")[0] != 200:
            if self.process.poll() is not None:
                pytest.fail(f"hanji run exited early:\n{self.output}")
            if time.monotonic() > deadline:
                pytest.fail(f"hanji run never became healthy:\n{self.output}")
            time.sleep(0.2)

    def children(self) -> list[psutil.Process]:
        return psutil.Process(self.process.pid).children(recursive=True)

    def interrupt(self) -> int:
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=60)
        finally:
            self._reader.join(5)

    def kill(self) -> None:
        if self.process.poll() is None:
            for child in self.children():
                child.kill()
            self.process.kill()
            self.process.wait()


def stops_cleanly(run: Running) -> None:
    children = run.children()
    names = " ".join(" ".join(child.cmdline()) for child in children)
    # `hanji web` replaces itself with granian's own supervisor once its checks pass.
    assert "granian" in names and "hanji.rsgi:application" in names, names
    assert "hanji worker" in names, names
    assert run.interrupt() == 0, run.output
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"still running after Ctrl-C: {alive}"
    assert "Stopped." in run.output


def test_hanji_run_serves_the_demo_with_a_worker_and_stops_both_on_ctrl_c(tmp_path):
    data_dir = tmp_path / "var"
    first = Running(data_dir, free_port())
    try:
        first.wait_until_ready()
        status, home = first.get("/")
        assert (
            status == 200 and "판교 위클리" in home and "AI 에이전트가 회사에 출근하는 날" in home
        )
        assert first.get("/studio/login/")[0] == 200
        assert "Sign in: admin@localhost" in first.output
        password = re.search(r"Password \(shown only this once, keep it\): (\S+)", first.output)
        assert password, first.output
        stops_cleanly(first)
    finally:
        first.kill()
    # The password is in no file of the data dir, only on the console.
    for path in data_dir.rglob("*"):
        if path.is_file() and path.stat().st_size < 50_000_000:
            assert password.group(1).encode() not in path.read_bytes(), path

    second = Running(data_dir, free_port())  # a second `make run` reuses everything
    try:
        second.wait_until_ready()
        assert "Empty database" not in second.output
        assert "Password" not in second.output
        assert "Sign in with your admin account" in second.output
        assert second.get("/")[0] == 200
        stops_cleanly(second)
    finally:
        second.kill()


def test_hanji_run_says_so_in_one_line_when_the_port_is_taken(tmp_path):
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = child_env(HANJI_DATA_DIR=str(tmp_path))
        env.pop("DATABASE_URL", None)
        process = start_hanji("run", "--port", str(port), env=env)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    assert output.strip().splitlines() == [
        f"error: cannot listen on 127.0.0.1:{port} (Address already in use); "
        "choose another with --port"
    ]


def test_when_one_child_dies_hanji_run_stops_the_other_and_says_which(tmp_path):
    env = child_env(
        HANJI_DATA_DIR=str(tmp_path),
        # A backend that needs no worker: `hanji worker` refuses it and exits at once.
        HANJI_TASKS_BACKEND="django.tasks.backends.immediate.ImmediateBackend",
    )
    for name in ("DATABASE_URL", "REDIS_URL", "PYTEST_VERSION"):
        env.pop(name, None)
    process = start_hanji("run", "--port", str(free_port()), env=env)
    children: list[psutil.Process] = []
    deadline = time.monotonic() + HANG_GUARD
    while process.poll() is None and time.monotonic() < deadline:
        try:
            children = psutil.Process(process.pid).children() or children
        except psutil.NoSuchProcess:
            break
        time.sleep(0.05)
    output, _ = process.communicate(timeout=HANG_GUARD)
    assert process.returncode == 1, output
    assert output.strip().splitlines()[-1] == (
        "error: the worker stopped unexpectedly (exit code 1), so Hanji stopped"
    )
    assert "error: the task backend is ImmediateBackend" in output
    gone, alive = psutil.wait_procs(children, timeout=10)
    assert not alive

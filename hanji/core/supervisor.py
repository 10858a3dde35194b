"""The light process `hanji run` becomes once the database is ready (standard library only).

`hanji run` migrates and prepares with all of Django loaded, then replaces itself (exec, same
process id) with this module, so the process that only watches its two children holds ~10 MB
instead of ~100 MB. Its messages arrive already translated, as JSON through an inherited
pipe: never on the command line or in the environment, where the first run's password
would be visible to `ps` or inherited by the children.

    python -m hanji.core.supervisor --messages-fd FD --host HOST --port PORT
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time

STOP_TIMEOUT = 30.0  # seconds the children get to finish what they are doing
READY_TIMEOUT = 60.0


def _start(*args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # Own process group: a Ctrl-C in the terminal reaches only this process, which then asks
    # each child exactly once to stop (a second signal would force the worker).
    return subprocess.Popen([sys.executable, "-m", "hanji", *args], env=env, process_group=0)


def _listening(host: str, port: int, web: subprocess.Popen, stop: threading.Event) -> bool:
    address = {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set() and web.poll() is None:
        try:
            with socket.create_connection((address, port), timeout=0.5):
                return True
        except OSError:
            stop.wait(0.1)
    return False


def _stop(children: list[subprocess.Popen], forced: threading.Event) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        while child.poll() is None and time.monotonic() < deadline and not forced.is_set():
            time.sleep(0.05)
        if child.poll() is None:
            child.kill()
            child.wait()


def supervise(host: str, port: int, messages: dict[str, str]) -> int:
    stop, forced = threading.Event(), threading.Event()

    def on_signal(signum, frame) -> None:
        if stop.is_set():
            forced.set()  # a second Ctrl-C: do not wait for the children
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    children = {
        "web": _start("web", "--host", host, "--port", str(port)),
        "worker": _start("worker"),
    }
    if _listening(host, port, children["web"], stop):
        print(messages["welcome"], flush=True)
    failed: tuple[str, int] | None = None
    while not stop.is_set():
        for name, child in children.items():
            if child.poll() is not None and failed is None:
                failed = (name, child.returncode)
                stop.set()
        stop.wait(0.2)
    print(messages["stopping"], flush=True)
    _stop(list(children.values()), forced)
    if failed:
        name, code = failed
        print(messages[f"{name}_died"] % {"code": code}, file=sys.stderr, flush=True)
        return 1
    print(messages["stopped"], flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hanji run")
    parser.add_argument("--messages-fd", type=int, required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    options = parser.parse_args(argv)
    with os.fdopen(options.messages_fd, encoding="utf-8") as pipe:
        messages = json.load(pipe)
    return supervise(options.host, options.port, messages)


if __name__ == "__main__":
    sys.exit(main())

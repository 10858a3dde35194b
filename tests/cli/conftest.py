"""Helpers for the command-line tests: run `hanji …` in-process or as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Outcome:
    code: int
    out: str
    err: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.err.splitlines() if line.strip()]


@pytest.fixture(autouse=True)
def _english(monkeypatch):
    # Messages are asserted in English whatever the machine's locale or compiled catalogs.
    monkeypatch.setenv("HANJI_LANGUAGE", "en")


@pytest.fixture
def hanji(monkeypatch, capsys):
    """`hanji ARGS…` in this process, against the test database: (exit code, stdout, stderr)."""
    from django.db import connections

    from hanji.cli import main

    # A command closes its connections when it ends; inside a test that would drop the
    # test's own transaction.
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> Outcome:
        capsys.readouterr()
        try:
            main(list(args))
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        captured = capsys.readouterr()
        return Outcome(code, captured.out, captured.err)

    return run


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def child_env(**overrides: str) -> dict[str, str]:
    """The environment for a real `hanji` process started by a test."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HANJI_LANGUAGE": "en"}
    env.update(overrides)
    return env


def start_hanji(*args: str, env: dict[str, str], **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "hanji", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )

"""Benchmarks: each module here has a `main()` that prints its figures and returns a dict.

`make bench` (python -m bench) runs them all; `python -m bench pages send` runs some. Every
run of a module, through the runner or alone (`python -m bench.send`), writes its figures to
bench/results/<name>-<date>.json (ignored by git) with the commit, machine and load, so a
figure in bench/README.md can be traced to the file it came from.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def recreate_database(url: str) -> None:
    """Drop and create the PostgreSQL database a benchmark owns (the last part of `url`)."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def child_figures(module: str) -> dict:
    """Run `python -m <module> --child` (a fresh process for the measuring) and read the JSON
    line it prints last; its output is shown and the bench stops if it failed."""
    import sys

    result = subprocess.run(
        [sys.executable, "-m", module, "--child"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        print(result.stdout[-3000:], result.stderr[-3000:])
        raise SystemExit(f"{module} failed")
    return json.loads(result.stdout.strip().splitlines()[-1])


def git_commit() -> str:
    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    commit = git("rev-parse", "--short", "HEAD") or "unknown"
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return f"{commit}+dirty" if dirty else commit


def machine() -> str:
    try:
        import psutil

        memory = f", {psutil.virtual_memory().total / 2**30:.0f} GiB"
    except ImportError:
        memory = ""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs{memory},"
        f" Python {platform.python_version()}"
    )


def save(
    name: str, figures, started: datetime, load_before: tuple[float, ...], commit: str = ""
) -> Path:
    """Write one module's figures to bench/results/<name>-<date>.json; returns the path.
    `commit` is the one the run started on (taken at the end, a commit made meanwhile would
    be named instead)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}-{started:%Y%m%d-%H%M%S}.json"
    report = {
        "benchmark": name,
        "date": started.isoformat(timespec="seconds"),
        "commit": commit or git_commit(),
        "machine": machine(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "figures": figures,
    }
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def run_alone(name: str, main) -> dict:
    """What `python -m bench.<name>` does: run, print, and save the figures."""
    started, load, commit = datetime.now(UTC), os.getloadavg(), git_commit()
    figures = main()
    path = save(name, figures, started, load, commit)
    print(f"figures written to {path.relative_to(ROOT)}")
    return figures

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
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def child_figures(module: str, *args: str) -> dict:
    """Run `python -m <module> --child [args]` (a fresh process for the measuring) and read
    the JSON line it prints last; its output is shown and the bench stops if it failed."""
    import sys

    result = subprocess.run(
        [sys.executable, "-m", module, "--child", *args],
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


def measure_page(client, url: str, runs: int = 7) -> dict:
    """A page through Django's test client (the server's own work): cold = the cache emptied
    first, then `runs` warm requests; times in ms, with the queries each made."""
    import statistics
    import time

    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as cold_queries:
        started = time.perf_counter()
        response = client.get(url)
        cold = (time.perf_counter() - started) * 1000
    assert response.status_code == 200, (url, response.status_code)
    warm, warm_queries = [], []
    for _ in range(runs):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            client.get(url)
            warm.append((time.perf_counter() - started) * 1000)
        warm_queries.append(len(queries))
    return {
        "cold_ms": round(cold, 1),
        "warm_median_ms": round(statistics.median(warm), 1),
        "warm_max_ms": round(max(warm), 1),
        "bytes": len(response.content),
        "cold_queries": len(cold_queries),
        # Where a cold load's time goes, when the machine is too busy for the totals to
        # compare between runs: the SQL time, and the slowest statement.
        "cold_sql_ms": round(
            sum(float(q["time"]) for q in cold_queries.captured_queries) * 1000, 1
        ),
        "cold_slowest_sql_ms": round(
            max((float(q["time"]) for q in cold_queries.captured_queries), default=0) * 1000, 1
        ),
        "cold_slowest_sql": max(
            cold_queries.captured_queries, key=lambda q: float(q["time"]), default={"sql": ""}
        )["sql"][:160],
        "warm_queries": max(warm_queries),
    }


def pages_within(figures: dict, names, budget_ms: float) -> bool:
    """Did every page `measure_page` timed (figures[name]) stay under `budget_ms`, cold and warm?"""
    return all(
        figures[n]["cold_ms"] < budget_ms and figures[n]["warm_median_ms"] < budget_ms
        for n in names
    )

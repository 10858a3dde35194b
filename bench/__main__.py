"""Run benchmark modules and print their figures with the date and the git commit.

    python -m bench             every module in bench/ (pages first)
    python -m bench pages send  only these

Each module exposes `main()`, which prints its own figures and returns a dict of them. The
figures of each module are also written to bench/results/<name>-<date>.json, and those of the
whole run to bench/results/<date>-<commit>.json (not committed), so runs can be compared.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import pkgutil
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

import bench
from bench import RESULTS, git_commit, machine, save

ROOT = Path(__file__).resolve().parent.parent
FIRST = ("pages",)


def available() -> list[str]:
    names = [
        module.name
        for module in pkgutil.iter_modules(bench.__path__)
        if not module.name.startswith("_")
    ]
    return sorted(names, key=lambda name: (name not in FIRST, name))


def main(argv: list[str] | None = None) -> int:
    names = available()
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("modules", nargs="*", metavar="MODULE", help=f"one of: {', '.join(names)}")
    args = parser.parse_args(argv)
    unknown = [name for name in args.modules if name not in names]
    if unknown:
        parser.error(f"no benchmark named {', '.join(unknown)} (there are: {', '.join(names)})")
    chosen = args.modules or names

    started = datetime.now(UTC)
    commit = git_commit()
    print(f"Hanji benchmarks: {started:%Y-%m-%d %H:%M} UTC, commit {commit}")
    print(f"machine: {machine()}")
    # The machine may be shared: a high load average means noisy figures.
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    report: dict = {
        "date": started.isoformat(timespec="seconds"),
        "commit": commit,
        "machine": machine(),
        "load_average": os.getloadavg(),
        "results": {},
    }
    failed = []
    for name in chosen:
        print(f"\n===== bench/{name}.py =====", flush=True)
        t0 = time.monotonic()
        module_started, module_load = datetime.now(UTC), os.getloadavg()
        try:
            figures = importlib.import_module(f"bench.{name}").main()
        except KeyboardInterrupt:
            raise
        except BaseException:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            failed.append(name)
            report["results"][name] = {"error": traceback.format_exc(limit=3)}
            continue
        report["results"][name] = figures if isinstance(figures, dict) else {"result": figures}
        saved = save(name, report["results"][name], module_started, module_load, commit)
        print(f"----- {name}: {time.monotonic() - t0:.0f} s, {saved.relative_to(ROOT)} -----")

    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{started:%Y%m%d-%H%M%S}-{commit}.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n")
    print(f"\n{started:%Y-%m-%d} commit {commit}: figures written to {path.relative_to(ROOT)}")
    if failed:
        print(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

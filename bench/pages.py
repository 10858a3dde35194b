"""Public pages under load: `hanji web` serving an anonymous reader, cached and uncached.

1. Seeds a fresh SQLite database under var/bench-pages: one Korean publication with 200 posts
   of a few KB each (bench/_pages_seed.py).
2. Starts `hanji web --workers 2` and `hanji worker`, production-like: DEBUG off, SQLite in
   WAL mode (bench/_pages_server.py).
3. Measures the idle memory of web + worker (RSS and PSS summed over every process).
4. Drives a post page and the home page with wrk (50 connections, 10 s each), with the
   anonymous page cache warm and with it off (HANJI_PAGE_CACHE=0), once with the cache in
   Redis (REDIS_URL, as in production) and once in the default file cache
   (bench/_pages_load.py); then the post page with a browser-like load: 40 readers with six
   keep-alive connections each that fetch, then idle, and a fresh visitor every 0.25 s
   (bench/_browser_load.py).
5. Measures what one uncached page costs inside Django, with the publication's shared data
   cached ("warm") and right after an invalidation ("cold") (bench/_pages_render.py).

Environment: HANJI_BENCH_SECONDS (default 10), HANJI_BENCH_CONNECTIONS (50),
HANJI_BENCH_REDIS_URL (redis://127.0.0.1:6379/0; keys get a prefix of their own and are
removed afterwards), HANJI_BENCH_DATABASE_URL (default: SQLite in the bench data dir),
HANJI_BENCH_WORKERS and HANJI_BENCH_THREADS (`hanji web --workers/--threads`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid

from bench._browser_load import BROWSERS, PER_BROWSER, load_browsers
from bench._pages_load import CONNECTIONS, SECONDS, fetch, load_python, load_wrk, wrk_path
from bench._pages_report import print_report
from bench._pages_seed import post_markdown
from bench._pages_server import (
    DATA_DIR,
    ROOT,
    base_env,
    drop_redis_keys,
    free_port,
    hanji,
    has_command,
    module_json,
    redis_answers,
    running,
    settle_memory,
)

# bench/engagement.py builds on these.
__all__ = [
    "drop_redis_keys",
    "free_port",
    "has_command",
    "main",
    "post_markdown",
    "redis_answers",
    "wrk_path",
]

REDIS_URL = os.environ.get("HANJI_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


def prepare() -> str:
    """A fresh data dir, migrated and seeded; returns the slug of the post to load."""
    shutil.rmtree(DATA_DIR, ignore_errors=True)
    DATA_DIR.mkdir(parents=True)
    env = base_env()
    subprocess.run(hanji("migrate", "--verbosity", "0"), cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-m", "bench._pages_seed"], cwd=ROOT, env=env, check=True)
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from hanji.posts.models import Post; "
            "print(Post.objects.order_by('-published_at')[9].slug)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def render_costs(env: dict[str, str], slug: str) -> dict:
    """CPU and queries of one uncached page inside Django, in a process of its own."""
    return module_json("bench._pages_render", slug, env=env)


def measure_configuration(extra: dict[str, str], pages: dict[str, str], load) -> tuple:
    """Cached and uncached figures for one cache configuration; also the server's name."""
    figures: dict = {}
    server = ""
    for mode in ("cached", "uncached"):
        env = base_env(**extra, HANJI_PAGE_CACHE="1" if mode == "cached" else "0")
        with running(env) as stack:
            server = stack.how
            if mode == "cached":
                figures["idle_after_start"] = settle_memory(stack)
            for page, path in pages.items():
                for _ in range(2):
                    status, cache_state, size = fetch(stack.url + path)
                assert status == 200, (path, status)
                if mode == "cached":
                    assert cache_state == "hit", f"{path} is not served from the cache"
                else:
                    assert cache_state == "", f"{path} went through the page cache"
                figures.setdefault("page_kb", {})[page] = round(size / 1024, 1)
            if mode == "cached":
                figures["idle_after_warmup"] = settle_memory(stack, 1)
            for page, path in pages.items():
                cpu = stack.cpu_seconds()
                row = load(stack.url + path)
                # Server CPU per request: what a page costs, whatever else the machine (and
                # the load generator) is doing meanwhile.
                row["cpu_ms"] = (stack.cpu_seconds() - cpu) * 1000 / max(row["requests"], 1)
                figures[f"{page} {mode}"] = row
            # Readers' browsers: six connections each, mostly idle, and a fresh visitor.
            figures[f"post {mode}, browsers"] = load_browsers(stack.url + pages["post"])
            figures[f"after load ({mode})"] = settle_memory(stack, 1)
    return figures, server


def main() -> dict:
    started = time.monotonic()
    wrk = wrk_path()
    load = (lambda url: load_wrk(wrk, url)) if wrk else load_python
    tool = f"wrk -t2 -c{CONNECTIONS} -d{SECONDS}s" if wrk else "Python threads (no wrk)"
    slug = prepare()
    pages = {"post": f"/posts/{urllib.request.quote(slug)}/", "home": "/"}
    configurations = []
    prefix = f"hanji-bench-{uuid.uuid4().hex[:8]}"
    if redis_answers(REDIS_URL):
        configurations.append(("redis", {"REDIS_URL": REDIS_URL, "HANJI_CACHE_PREFIX": prefix}))
    else:
        print(f"Redis does not answer at {REDIS_URL}: measuring the file cache only")
    configurations.append(("file cache", {}))
    database = "PostgreSQL" if os.environ.get("HANJI_BENCH_DATABASE_URL") else "SQLite (WAL)"
    print(f"load: {tool}; database: {database}; post page {pages['post']}")
    tool += f"; browsers: {BROWSERS} × {PER_BROWSER} connections"

    results: dict = {"tool": tool, "database": database, "configurations": {}}
    try:
        for name, extra in configurations:
            figures, results["server"] = measure_configuration(extra, pages, load)
            figures["render"] = render_costs(base_env(**extra), slug)
            results["configurations"][name] = figures
        # What a newcomer starts (`make run`): `hanji run`, or web + worker with defaults.
        with running(base_env(), workers=None, run=has_command("run")) as stack:
            idle = settle_memory(stack)
            idle["server"] = stack.how
            results["default_idle"] = idle
    finally:
        if any(name == "redis" for name, _ in configurations):
            drop_redis_keys(REDIS_URL, prefix)
    results["seconds"] = round(time.monotonic() - started)
    print_report(results)
    return results


if __name__ == "__main__":
    if sys.argv[1:] == ["seed"]:
        from bench._pages_seed import seed

        seed()
    else:
        from bench import run_alone

        run_alone("pages", main)

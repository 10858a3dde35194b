"""The benchmark's printed report: figures against the budget of issue 2."""

from __future__ import annotations

BUDGET = {
    "cached_rps": 3000,
    "cached_p99_ms": 50,
    "uncached_rps": 300,
    "idle_mb": 200,
}


def print_report(results: dict) -> None:
    print(
        f"\nserver: {results['server']}; database: {results['database']}; load: {results['tool']}"
    )
    for name, figures in results["configurations"].items():
        print(
            f"\n[{name}]  pages: post {figures['page_kb']['post']} KB, home {figures['page_kb']['home']} KB"
        )
        print(
            f"  {'page':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}"
            f"{'CPU ms/req':>12}  budget"
        )
        for key in ("post cached", "home cached", "post uncached", "home uncached"):
            row = figures[key]
            if key.endswith(" cached"):
                ok = row["rps"] >= BUDGET["cached_rps"] and row["p99_ms"] < BUDGET["cached_p99_ms"]
                goal = f"≥{BUDGET['cached_rps']}/s, p99 <{BUDGET['cached_p99_ms']} ms"
            else:
                ok = row["rps"] >= BUDGET["uncached_rps"]
                goal = f"≥{BUDGET['uncached_rps']}/s"
            verdict = "met" if ok and not row["errors"] else "MISSED"
            print(
                f"  {key:<18}{row['rps']:>9.0f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{row['errors']:>8}{row['cpu_ms']:>12.2f}  {verdict} ({goal})"
            )
        for key in ("post cached, browsers", "post uncached, browsers"):
            if row := figures.get(key):
                print(
                    f"  {key:<24} {row['connections']} connections, {row['rps']:.0f} req/s,"
                    f" p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms,"
                    f" max {row['max_ms']:.0f} ms, errors {row['errors']};"
                    f" a fresh visitor waited at most {row['fresh_max_ms']:.0f} ms"
                    f" (errors {row['fresh_errors']})"
                )
        for key in (
            "idle_after_start",
            "idle_after_warmup",
            "after load (cached)",
            "after load (uncached)",
        ):
            memory = figures[key]
            verdict = ""
            if key.startswith("idle"):
                ok = memory["rss_mb"] < BUDGET["idle_mb"]
                verdict = f"  {'met' if ok else 'MISSED'} (<{BUDGET['idle_mb']} MB RSS)"
            print(
                f"  memory {key:<22} RSS {memory['rss_mb']:6.0f} MB, PSS {memory['pss_mb']:6.0f} MB"
                f" over {memory['processes']} processes{verdict}"
            )

    for name, figures in results["configurations"].items():
        render = figures.get("render")
        if render:
            print(f"\n[{name}]  one uncached page inside Django (test client, no HTTP server)")
            for key, row in render.items():
                print(f"  {key:<18}{row['cpu_ms']:>7.2f} ms CPU  {row['queries']:>3} queries")

    idle = results["default_idle"]
    verdict = "met" if idle["rss_mb"] < BUDGET["idle_mb"] else "MISSED"
    print(
        f"\n[{idle['server']}, file cache]  memory idle after start: RSS {idle['rss_mb']:.0f} MB,"
        f" PSS {idle['pss_mb']:.0f} MB over {idle['processes']} processes"
        f"  {verdict} (<{BUDGET['idle_mb']} MB RSS)"
    )
    print(
        "  (RSS counts the pages that forked web workers share once per process; PSS divides"
        " them among the processes and is the memory the machine actually spends.)"
    )

"""Load generation: wrk when it is there (installed with apt-get when running as root), else
keep-alive connections in Python threads."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import threading
import time
import urllib.request

SECONDS = int(os.environ.get("HANJI_BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("HANJI_BENCH_CONNECTIONS", "50"))


def wrk_path() -> str | None:
    if path := shutil.which("wrk"):
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk (apt-get install wrk)", flush=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
            capture_output=True,
            check=False,
        )
    return shutil.which("wrk")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def load_wrk(wrk: str, url: str) -> dict[str, float]:
    command = [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", url]
    return parse_wrk(subprocess.run(command, capture_output=True, text=True, check=True).stdout)


def parse_wrk(output: str) -> dict[str, float]:
    """Throughput, median and 99th percentile latency, requests and errors of a wrk run
    (started with --latency)."""
    percentiles = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)\s*$", output, re.M))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "errors": (int(bad.group(1)) if bad else 0)
        + (sum(int(n) for n in errors.groups()) if errors else 0),
    }


Request = tuple[str, str, dict[str, str]]  # method, path, headers


def run_clients(url: str, next_request) -> dict[str, float]:
    """Fallback load generator (slower than wrk): CONNECTIONS keep-alive connections in
    threads for SECONDS; `next_request(connection index, request number)` gives each request."""
    import http.client
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    latencies: list[list[float]] = [[] for _ in range(CONNECTIONS)]
    errors = [0] * CONNECTIONS
    stop = time.monotonic() + SECONDS

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        n = 0
        while time.monotonic() < stop:
            n += 1
            method, path, headers = next_request(index, n)
            t0 = time.perf_counter()
            try:
                connection.request(method, path, headers=headers)
                response = connection.getresponse()
                response.read()
                errors[index] += response.status != 200
            except OSError:
                errors[index] += 1
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
                continue
            latencies[index].append((time.perf_counter() - t0) * 1000)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CONNECTIONS)]
    t0 = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - t0
    every = sorted(x for one in latencies for x in one)
    return {
        "rps": len(every) / took,
        "p50_ms": every[len(every) // 2],
        "p99_ms": every[int(len(every) * 0.99)],
        "requests": len(every),
        "errors": sum(errors),
    }


def load_python(url: str) -> dict[str, float]:
    """GETs of one page from Python threads (when wrk is missing)."""
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    return run_clients(url, lambda index, n: ("GET", path, {}))


def fetch(url: str) -> tuple[int, str, int]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers.get("X-Hanji-Cache", ""), len(response.read())

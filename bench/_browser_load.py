"""A browser-like load: many readers, each with a browser's six keep-alive connections that
fetch a page, then sit idle while the reader reads, then fetch again.

wrk keeps every connection busy; browsers do not. Their idle connections are what froze the
server once (issue 12 §1: two idle connections held every other client for 30 s), so this
load measures what a reader waits for while most connections are idle, and a probe asks for
the page on a fresh connection every PROBE_EVERY seconds, as a newcomer's first visit would.

Environment: HANJI_BENCH_SECONDS (default 10), HANJI_BENCH_BROWSERS (default 40, i.e. 240
connections), HANJI_BENCH_THINK (seconds a connection idles between fetches, default 2).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from urllib.parse import urlsplit

SECONDS = int(os.environ.get("HANJI_BENCH_SECONDS", "10"))
BROWSERS = int(os.environ.get("HANJI_BENCH_BROWSERS", "40"))
PER_BROWSER = 6  # what Chrome and Firefox open to one host over HTTP/1.1
THINK = float(os.environ.get("HANJI_BENCH_THINK", "2"))
PROBE_EVERY = 0.25
GIVE_UP = 30.0  # seconds; a request taking longer counts as an error


async def fetch(reader, writer, host: str, path: str) -> int:
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: bench\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    headers = dict(line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line)
    headers = {k.strip().lower(): v.strip() for k, v in headers.items()}
    if b"content-length" in headers:
        await reader.readexactly(int(headers[b"content-length"]))
    else:  # chunked
        while size := int((await reader.readline()).strip() or b"0", 16):
            await reader.readexactly(size + 2)
        await reader.readline()
    return status


async def connection(url, path: str, stop: float, latencies: list, errors: list) -> None:
    parts = urlsplit(url)
    reader = writer = None
    while time.monotonic() < stop:
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            started = time.perf_counter()
            status = await asyncio.wait_for(fetch(reader, writer, parts.netloc, path), GIVE_UP)
            latencies.append((time.perf_counter() - started) * 1000)
            errors.append(status != 200)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            errors.append(True)
            if writer is not None:
                writer.close()
            reader = writer = None  # the server closed an idle connection: open a new one
        await asyncio.sleep(random.uniform(THINK / 2, THINK * 1.5))
    if writer is not None:
        writer.close()


async def probe(url: str, path: str, stop: float, latencies: list, errors: list) -> None:
    parts = urlsplit(url)
    while time.monotonic() < stop:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            status = await asyncio.wait_for(fetch(reader, writer, parts.netloc, path), GIVE_UP)
            writer.close()
            latencies.append((time.perf_counter() - started) * 1000)
            errors.append(status != 200)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            errors.append(True)
        await asyncio.sleep(PROBE_EVERY)


async def _run(url: str) -> dict:
    path = urlsplit(url).path or "/"
    stop = time.monotonic() + SECONDS
    latencies: list[float] = []
    errors: list[bool] = []
    fresh: list[float] = []
    fresh_errors: list[bool] = []
    tasks = [connection(url, path, stop, latencies, errors) for _ in range(BROWSERS * PER_BROWSER)]
    started = time.monotonic()
    await asyncio.gather(probe(url, path, stop, fresh, fresh_errors), *tasks)
    took = time.monotonic() - started
    every = sorted(latencies)
    return {
        "connections": BROWSERS * PER_BROWSER,
        "rps": len(every) / took,
        "p50_ms": every[len(every) // 2] if every else 0.0,
        "p99_ms": every[int(len(every) * 0.99)] if every else 0.0,
        "max_ms": every[-1] if every else 0.0,
        "requests": len(every),
        "errors": sum(errors),
        "fresh_max_ms": max(fresh, default=0.0),
        "fresh_errors": sum(fresh_errors),
    }


def load_browsers(url: str) -> dict:
    """Readers' browsers on URL for SECONDS: latency of their requests and of fresh ones."""
    return asyncio.run(_run(url))


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(load_browsers(sys.argv[1])))

"""The view spool under real concurrency: processes append while another takes batches away.

Every record must land in exactly one batch: none lost to a rename racing an append, none
read twice.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from hanji.engagement.spool import FileSpool, RedisSpool, encode

WRITERS, PER_WRITER = 4, 2500


def _make(kind: str, where: str, prefix: str = ""):
    return FileSpool(Path(where)) if kind == "file" else RedisSpool(url=where, prefix=prefix)


def _write(spec: tuple, writer: int) -> None:
    spool = _make(*spec)
    for i in range(PER_WRITER):
        spool.append(encode(writer * PER_WRITER + i, f"v{writer}", 1.0))


def _drain(spool, seen: Counter) -> None:
    spool.take()
    for batch_id in spool.batches():
        seen["batches"] += 1
        for record in spool.read(batch_id):
            seen[record.post_id] += 1
        spool.remove(batch_id)


def _run(spec: tuple) -> Counter:
    # Spawned, not forked: the test process has threads (a live server), and a forked child
    # of a threaded process may deadlock.
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write, args=(spec, w)) for w in range(WRITERS)]
    for process in writers:
        process.start()
    spool = _make(*spec)
    seen: Counter = Counter()
    while any(process.is_alive() for process in writers):
        _drain(spool, seen)  # take batches away while the writers are appending
    for process in writers:
        process.join()
        assert process.exitcode == 0
    _drain(spool, seen)
    return seen


def _assert_exactly_once(seen: Counter) -> None:
    assert seen.pop("batches") > 2  # batches really were taken while writers appended
    assert sum(seen.values()) == WRITERS * PER_WRITER
    assert set(seen) == set(range(WRITERS * PER_WRITER))
    assert max(seen.values()) == 1


def test_the_file_spool_loses_and_repeats_nothing_under_concurrent_appends_and_takes(tmp_path):
    _assert_exactly_once(_run(("file", str(tmp_path / "views"))))


def test_the_redis_spool_loses_and_repeats_nothing_under_concurrent_appends_and_takes():
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL (the Redis spool is used only with Redis)")
    prefix = f"hanji-test-{uuid.uuid4().hex[:8]}"
    try:
        _assert_exactly_once(_run(("redis", settings.REDIS_URL, prefix)))
    finally:
        RedisSpool(prefix=prefix).clear()


def test_a_torn_line_is_skipped_not_fatal(tmp_path):
    spool = FileSpool(tmp_path)
    spool.append(encode(1, "v", 1.0))
    with open(spool.pending, "ab") as fh:
        fh.write(b"garbage without fields\n\xff\xfe\n12 v")
    spool.take()
    (batch,) = spool.batches()
    assert [r.post_id for r in spool.read(batch)] == [1]

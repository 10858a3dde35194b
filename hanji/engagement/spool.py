"""Where view records wait until the periodic job folds them into Post.view_count.

A view beacon must never write to the database: on SQLite every write takes the one write
lock, and thousands of readers at once would queue behind each other. A beacon appends one
short line, "<post id> <visitor> <unix time>", to a spool instead:

- with REDIS_URL, a Redis list (one RPUSH, shared by every web process on every machine);
- without it, a file under the data dir, appended with O_APPEND (one write per view, shared by
  the web processes of one machine, like the file cache; several machines need Redis).

The folding job takes the pending records away as a *batch* with a new id in one atomic step
(RENAME), so beacons go on into a fresh spool while it works. A batch stays where it is until
the database has committed it (with its id, in ViewBatch), so a job that dies half way leaves
the batch to the next run, and a batch applied but not yet removed is recognised and dropped,
never counted twice.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings


@dataclass(frozen=True)
class Record:
    post_id: int
    visitor: str
    at: float
    source: str = ""  # where the view came from (hanji.analytics.sources token), or ""


def encode(post_id: int, visitor: str, at: float, source: str = "") -> bytes:
    tail = f" {source[:200]}" if source else ""
    return f"{post_id} {visitor} {at:.3f}{tail}\n".encode()


def decode(lines: Iterator[bytes]) -> list[Record]:
    """Records of a batch; a torn or foreign line is skipped, never fatal."""
    records = []
    for line in lines:
        try:
            post_id, visitor, at, *source = line.decode().split()
            if len(source) > 1:
                continue
            records.append(Record(int(post_id), visitor[:64], float(at), "".join(source)[:200]))
        except (ValueError, UnicodeDecodeError):
            continue
    return records


def new_batch_id() -> str:
    """Unique, and sorted by when the batch was taken, so batches fold in order of time."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"


class FileSpool:
    """Append-only file spool for one machine.

    Writers open the pending file, take a shared lock, and check that it is still the pending
    file (same inode) before writing; the folding job renames it, then takes an exclusive lock
    on the renamed file, which waits for every writer still inside. A writer that opened the
    old file but locked it after the rename sees the inode changed and writes to the new one.

    The process keeps its file open between views (opening and closing it was a third of the
    beacon's own time): a view costs a lock, a stat of the pending name, a write and an
    unlock; the file is opened again only after the fold has renamed it.
    """

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory or settings.DATA_DIR / "engagement" / "views")
        self.directory.mkdir(parents=True, exist_ok=True)
        self.pending = self.directory / "pending.log"
        self._fd: int | None = None
        self._inode: tuple[int, int] | None = None
        self._lock = threading.Lock()  # threads of one process share the open file

    def _open(self) -> int:
        if self._fd is None:
            fd = os.open(self.pending, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            opened = os.fstat(fd)
            self._fd, self._inode = fd, (opened.st_ino, opened.st_dev)
        return self._fd

    def _close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
        self._fd = self._inode = None

    def append(self, line: bytes) -> None:
        # Each try races only a rename by the fold; under heavy contention ten were too few.
        with self._lock:
            for _attempt in range(1000):
                fd = self._open()
                fcntl.flock(fd, fcntl.LOCK_SH)
                try:
                    try:
                        current = os.stat(self.pending)
                    except FileNotFoundError:
                        current = None
                    if current is None or (current.st_ino, current.st_dev) != self._inode:
                        self._close()  # renamed by the fold: the next try opens the new one
                        continue
                    os.write(fd, line)
                    return
                finally:
                    if self._fd == fd:
                        fcntl.flock(fd, fcntl.LOCK_UN)
            raise OSError("could not append to the view spool")

    def take(self) -> None:
        """Turn the pending records into a batch (nothing happens when there are none)."""
        try:
            os.rename(self.pending, self.directory / f"batch-{new_batch_id()}.log")
        except FileNotFoundError:
            pass

    def batches(self) -> list[str]:
        return sorted(p.name[6:-4] for p in self.directory.glob("batch-*.log"))

    def read(self, batch_id: str) -> list[Record]:
        path = self.directory / f"batch-{batch_id}.log"
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return []
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits for writers still appending
            with os.fdopen(os.dup(fd), "rb") as fh:
                return decode(iter(fh))
        finally:
            os.close(fd)

    def remove(self, batch_id: str) -> None:
        (self.directory / f"batch-{batch_id}.log").unlink(missing_ok=True)

    def clear(self) -> None:
        """Forget every pending record (tests; an operator resetting counts)."""
        for path in [self.pending, *self.directory.glob("batch-*.log")]:
            path.unlink(missing_ok=True)
        with self._lock:
            self._close()

    def pending_count(self) -> int:
        total = 0
        for path in [self.pending, *self.directory.glob("batch-*.log")]:
            try:
                with open(path, "rb") as fh:
                    total += sum(1 for _ in fh)
            except FileNotFoundError:
                pass
        return total


# Moves the pending list to a batch key and records the batch id, in one atomic step.
_TAKE = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('RENAME', KEYS[1], KEYS[2])
  redis.call('SADD', KEYS[3], ARGV[1])
  return 1
end
return 0
"""


class RedisSpool:
    """The same spool as a Redis list; batches are listed in a set, so none is forgotten."""

    def __init__(self, url: str | None = None, prefix: str | None = None) -> None:
        import redis

        self.client = redis.Redis.from_url(url or settings.REDIS_URL)
        base = prefix or settings.CACHES["default"].get("KEY_PREFIX", "hanji")
        # One hash tag keeps every key of the spool in one Redis Cluster slot.
        self.tag = f"{{{base}:views}}"
        self.pending = f"{self.tag}:pending"
        self.index = f"{self.tag}:batches"
        self._take = self.client.register_script(_TAKE)

    def _batch_key(self, batch_id: str) -> str:
        return f"{self.tag}:batch:{batch_id}"

    def append(self, line: bytes) -> None:
        self.client.rpush(self.pending, line)

    def take(self) -> None:
        batch_id = new_batch_id()
        self._take(keys=[self.pending, self._batch_key(batch_id), self.index], args=[batch_id])

    def batches(self) -> list[str]:
        return sorted(member.decode() for member in self.client.smembers(self.index))

    def read(self, batch_id: str) -> list[Record]:
        return decode(iter(self.client.lrange(self._batch_key(batch_id), 0, -1)))

    def remove(self, batch_id: str) -> None:
        pipe = self.client.pipeline()
        pipe.delete(self._batch_key(batch_id))
        pipe.srem(self.index, batch_id)
        pipe.execute()

    def clear(self) -> None:
        keys = [self.pending, self.index] + [self._batch_key(b) for b in self.batches()]
        self.client.delete(*keys)

    def pending_count(self) -> int:
        total = self.client.llen(self.pending)
        for batch_id in self.batches():
            total += self.client.llen(self._batch_key(batch_id))
        return total


_spool: FileSpool | RedisSpool | None = None
_spool_key: tuple | None = None


def get_spool() -> FileSpool | RedisSpool:
    """The spool of this process (Redis when REDIS_URL is set, else the data dir's file)."""
    global _spool, _spool_key
    key = (settings.REDIS_URL, str(settings.DATA_DIR))
    if _spool is None or _spool_key != key:
        _spool = RedisSpool() if settings.REDIS_URL else FileSpool()
        _spool_key = key
    return _spool

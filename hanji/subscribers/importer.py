"""Import subscribers from CSV: a million rows in seconds, with a report of every rejected line.

1. The file is streamed (csvread) and parsed into rows, in a thread of its own: address
   normalized, name cleaned, tags, signup date, status. Bad lines become rejections with
   their line number.
2. Rows are merged in batches of BATCH addresses (duplicates inside the batch first).
3. Each batch goes into a temporary staging table (one JSON document on SQLite, COPY on
   PostgreSQL), and set-based statements do the rest (importdb): new subscribers inserted
   with ON CONFLICT DO NOTHING (each pointing at this Import row, whose consent statement
   is their consent record), existing ones read once, subscriptions added except for
   suppressed subscribers and readers who left that newsletter.
4. Progress goes to the Import row in every batch's transaction (the studio reads it) and
   to a callback (the terminal's progress bar).

Existing subscribers keep their status: an import never re-activates an unsubscribed,
bounced or complained address, nor confirms a pending one. A second run of the same file
finds every row existing and unchanged, so it changes nothing.
"""

from __future__ import annotations

import getpass
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from hanji.subscribers import csvread, figures
from hanji.subscribers.importrows import Batch, Batcher, ImportFailed, find_header
from hanji.subscribers.models import (
    Import,
    ImportRejection,
    ImportState,
    Newsletter,
    SubscriberStatus,
)
from hanji.subscribers.queue import enqueue

logger = logging.getLogger(__name__)
BATCH = 10_000


@dataclass
class Counts:
    processed: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    suppressed: int = 0
    rejected: int = 0
    # Rows whose address came earlier in the same batch of the file, merged into that row.
    # (A repeat in a later batch meets the subscriber the earlier one made: "unchanged" or
    # "updated", which keeps every row in exactly one count.)
    duplicates: int = 0


def default_consent(operator: str, filename: str, when: datetime, publication_name: str) -> str:
    return _(
        "Imported as active by %(operator)s from the file %(file)s on %(time)s. "
        "The operator states that each person in the file agreed to receive %(publication)s "
        "by email."
    ) % {
        "operator": operator,
        "file": filename,
        "time": when.strftime("%Y-%m-%d %H:%M %Z"),
        "publication": publication_name,
    }


def create_import(
    publication,
    path: str,
    *,
    status: str = SubscriberStatus.ACTIVE,
    newsletters: list[Newsletter] | None = None,
    tags: list[str] | None = None,
    consent: str = "",
    created_by=None,
    operator: str = "",
    filename: str = "",
) -> Import:
    """An Import row ready to run (by run_import in this process, or the task). `filename`
    is the name the person knows the file by (an upload is stored under another)."""
    if status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING):
        raise ValueError("an import adds active or pending subscribers")
    if not newsletters:
        from hanji.subscribers.actions import chosen_newsletters

        newsletters = chosen_newsletters(publication, [])
    filename = (filename or os.path.basename(path))[:255]
    if status == SubscriberStatus.ACTIVE and not consent.strip():
        operator = operator or getattr(created_by, "username", "") or getpass.getuser()
        with translation.override(publication.language):
            consent = default_consent(operator, filename, timezone.localtime(), publication.name)
    return Import.objects.create(
        publication=publication,
        path=str(path),
        filename=filename,
        status=status,
        newsletter_ids=[n.pk for n in newsletters],
        tags=[t.strip() for t in tags or [] if t.strip()],
        consent=consent.strip(),
        created_by=created_by,
        total_bytes=os.path.getsize(path),
    )


def enqueue_import(import_run: Import) -> None:
    enqueue("run_import", import_run.pk)


def run_import(
    import_id: int,
    progress: Callable[[Import], None] | None = None,
    overrides: dict[str, str] | None = None,
) -> Import:
    """Run one import to the end. Safe to run again: a second run changes nothing."""
    import_run = Import.objects.select_related("publication").get(pk=import_id)
    if import_run.state == ImportState.DONE:
        return import_run
    import_run.state = ImportState.RUNNING
    import_run.started_at = timezone.now()
    import_run.error = ""
    try:
        import_run.total_rows = max(0, csvread.count_lines(import_run.path) - 1)
        import_run.save()
        counts = _run(import_run, progress, overrides)
    except (ImportFailed, OSError) as error:
        import_run.state = ImportState.FAILED
        import_run.error = csvread.printable(str(error))  # it may quote the file
        import_run.finished_at = timezone.now()
        import_run.save()
        return import_run
    import_run.state = ImportState.DONE
    import_run.finished_at = timezone.now()
    import_run.processed_bytes = import_run.total_bytes
    _store_counts(import_run, counts)
    import_run.save()
    if import_run.status == SubscriberStatus.ACTIVE:
        from hanji.analytics.signups import count_imported

        count_imported(import_run.publication, counts.created)
    # whoever ran it (the studio's worker, the CLI, a test): the figures change here
    figures.forget(import_run.publication_id)
    if progress:
        progress(import_run)
    return import_run


PROGRESS_FIELDS = [
    "processed_bytes",
    "processed_rows",
    "created_count",
    "merged_count",
    "unchanged_count",
    "suppressed_count",
    "rejected_count",
    "duplicate_count",
    "encoding",
]


def _store_counts(import_run: Import, counts: Counts) -> None:
    import_run.processed_rows = counts.processed
    import_run.created_count = counts.created
    import_run.merged_count = counts.merged
    import_run.unchanged_count = counts.unchanged
    import_run.suppressed_count = counts.suppressed
    import_run.rejected_count = counts.rejected
    import_run.duplicate_count = counts.duplicates


def _run(import_run: Import, progress, overrides) -> Counts:
    """Read the file batch by batch and write each batch (see _in_thread for PostgreSQL)."""
    from hanji.subscribers.importdb import Stage

    counts = Counts()
    now = timezone.now()
    with open(import_run.path, "rb") as handle:
        sample = handle.read(csvread.SAMPLE)
        try:
            encoding = csvread.detect_encoding(sample)
        except csvread.UnreadableFile as error:
            raise ImportFailed(str(error)) from None
        if encoding == "utf-16":
            raise ImportFailed(_("UTF-16 files are not supported; save the file as CSV (UTF-8)."))
        import_run.encoding = encoding
        handle.seek(0)
        source = csvread.LineSource(handle, encoding)
        dialect = csvread.sniff_dialect(sample[:4096].decode(encoding, "replace"))
        records = csvread.rows(source, dialect)
        mapping, first = find_header(records, overrides)
        batcher = Batcher(mapping, import_run, now)
        stage = Stage(import_run, now)

        def produce():
            processed = 0
            if first:
                batcher.add(*first)
                processed += 1
            for line, cells in records:
                batcher.add(line, cells)
                processed += 1
                if len(batcher.pending) >= BATCH:
                    yield batcher.take(source, processed, stage.encode)
            yield batcher.take(source, processed, stage.encode)

        batches = _in_thread(produce(), import_run.pk)
        try:
            with stage:
                for batch in batches:
                    _flush(stage, batch, import_run, counts, progress)
        finally:
            batches.close()  # stops the reading thread if writing failed
    return counts


def _in_thread(batches: Iterator[Batch], import_id: int) -> Iterator[Batch]:
    """Read and encode batches in a thread while this one writes the previous batch. The
    database works with the GIL released (in its own process on PostgreSQL, inside sqlite3's
    statement steps on SQLite), so reading costs little time, as long as each batch takes
    few steps that need the GIL: the SQLite statements pass rows in and out as one JSON
    document each (importdb). At most two batches wait in between, so memory stays flat."""
    queue_: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()
    language = translation.get_language()
    done = object()

    def put(item) -> None:
        while not stop.is_set():
            try:
                queue_.put(item, timeout=0.5)
                return
            except queue.Full:
                continue

    def run() -> None:
        translation.activate(language)  # rejection reasons in the importer's language
        try:
            for batch in batches:
                put(batch)
            put(done)
        except BaseException as error:  # handed to the writing thread, which raises it
            put(error)

    reader = threading.Thread(target=run, name=f"import-{import_id}", daemon=True)
    with _quick_gil_handoff():
        reader.start()
        try:
            while (item := queue_.get()) is not done:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            reader.join(timeout=5)


# While the reading thread parses, the writing thread needs the GIL back a few times per
# statement (COPY goes out in 128 KB pieces, each waiting for the server): with Python's
# 5 ms switch interval it waited up to 5 ms each time, 4 s of a million-row import on
# PostgreSQL. A tenth of a millisecond costs the reading thread nothing measurable.
SWITCH_INTERVAL = 0.0001
_handoff_lock = threading.Lock()
_handoff_users = 0
_handoff_saved = 0.0


@contextmanager
def _quick_gil_handoff():
    """A short switch interval for the process while an import runs (the first import in
    sets it, the last one out restores it)."""
    global _handoff_users, _handoff_saved
    with _handoff_lock:
        if _handoff_users == 0:
            _handoff_saved = sys.getswitchinterval()
            sys.setswitchinterval(min(_handoff_saved, SWITCH_INTERVAL))
        _handoff_users += 1
    try:
        yield
    finally:
        with _handoff_lock:
            _handoff_users -= 1
            if _handoff_users == 0:
                sys.setswitchinterval(_handoff_saved)


def _flush(stage, batch: Batch, import_run: Import, counts: Counts, progress) -> None:
    counts.processed = batch.processed
    counts.rejected += len(batch.rejections)
    counts.duplicates += batch.duplicates
    import_run.processed_bytes = min(batch.position, import_run.total_bytes)
    # The progress goes in the batch's own transaction: the studio sees the figures and the
    # rows together, and a batch costs one commit.
    with transaction.atomic():
        if batch.rows:
            stage.write(batch.rows, batch.payload, counts)
        _store_counts(import_run, counts)
        if batch.rejections:
            ImportRejection.objects.bulk_create(
                [
                    ImportRejection(
                        import_run=import_run,
                        line=p.line,
                        reason=csvread.printable(p.reason[:300]),
                        excerpt=csvread.printable(p.excerpt[:200]),
                    )
                    for p in batch.rejections
                ],
                batch_size=2000,
            )
        import_run.save(update_fields=PROGRESS_FIELDS)
    if progress:
        progress(import_run)

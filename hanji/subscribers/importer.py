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
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone, translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from hanji.subscribers import csvread
from hanji.subscribers.actions import erased_digest
from hanji.subscribers.addresses import InvalidEmail, clean_name, normalize_email
from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    ErasedAddress,
    Import,
    ImportRejection,
    ImportState,
    Newsletter,
    SubscriberStatus,
)

logger = logging.getLogger(__name__)
BATCH = 10_000
STAGE = "hanji_import_stage"
STATUS_WORDS = {
    "active": SubscriberStatus.ACTIVE,
    "subscribed": SubscriberStatus.ACTIVE,
    "구독": SubscriberStatus.ACTIVE,
    "구독중": SubscriberStatus.ACTIVE,
    "활성": SubscriberStatus.ACTIVE,
    "pending": SubscriberStatus.PENDING,
    "unconfirmed": SubscriberStatus.PENDING,
    "대기": SubscriberStatus.PENDING,
    "미인증": SubscriberStatus.PENDING,
    "unsubscribed": SubscriberStatus.UNSUBSCRIBED,
    "구독취소": SubscriberStatus.UNSUBSCRIBED,
    "구독 취소": SubscriberStatus.UNSUBSCRIBED,
    "해지": SubscriberStatus.UNSUBSCRIBED,
    "수신거부": SubscriberStatus.UNSUBSCRIBED,
    "수신 거부": SubscriberStatus.UNSUBSCRIBED,
    "bounced": SubscriberStatus.BOUNCED,
    "반송": SubscriberStatus.BOUNCED,
    "cleaned": SubscriberStatus.BOUNCED,
    "complained": SubscriberStatus.COMPLAINED,
    "spam": SubscriberStatus.COMPLAINED,
    "스팸신고": SubscriberStatus.COMPLAINED,
    "스팸 신고": SubscriberStatus.COMPLAINED,
}
# When one address appears twice with different statuses, the stricter one wins.
STRICTNESS = {
    SubscriberStatus.PENDING: 0,
    SubscriberStatus.ACTIVE: 1,
    SubscriberStatus.UNSUBSCRIBED: 2,
    SubscriberStatus.BOUNCED: 3,
    SubscriberStatus.COMPLAINED: 4,
}


class ImportFailed(Exception):
    """The file cannot be imported at all (no email column, unreadable); nothing was written."""


@dataclass(slots=True)
class Row:
    email: str
    name: str
    tags: list[str]
    created: datetime  # naive UTC (parse_created)
    status: str
    line: int


@dataclass
class Batch:
    rows: list[Row]
    payload: object  # the rows encoded for the staging table (Stage.encode)
    rejections: list[csvread.Problem]
    processed: int  # records read so far
    position: int  # bytes read so far


@dataclass
class Counts:
    processed: int = 0
    created: int = 0
    merged: int = 0
    unchanged: int = 0
    suppressed: int = 0
    rejected: int = 0


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
) -> Import:
    """An Import row ready to run (by run_import in this process, or the task)."""
    if status not in (SubscriberStatus.ACTIVE, SubscriberStatus.PENDING):
        raise ValueError("an import adds active or pending subscribers")
    if not newsletters:
        from hanji.subscribers.actions import chosen_newsletters

        newsletters = chosen_newsletters(publication, [])
    filename = os.path.basename(path)
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
    from hanji.subscribers.tasks import run_import as task

    transaction.on_commit(lambda: task.enqueue(import_run.pk))


def parse_created(cell: str, now: datetime, zone) -> datetime:
    """A signup date as exported by other platforms (ISO, 2024.03.01, 2024/03/01 12:00),
    in the publication's time zone when it names none; the import time when unreadable.

    `now` and the result are naive UTC, as the staging tables take them: a million aware
    datetimes cost a second in tzinfo swaps and comparisons alone."""
    cell = cell.strip()
    if not cell:
        return now
    try:
        value = datetime.fromisoformat(cell)
    except ValueError:
        normalized = cell.replace(".", "-").replace("/", "-").rstrip("-")
        try:
            value = parse_datetime(normalized.replace(" ", "T", 1)) or parse_datetime(normalized)
            if value is None:
                day = parse_date(normalized[:10])
                value = datetime(day.year, day.month, day.day) if day else None
        except ValueError:
            value = None
        if value is None:
            return now
    try:
        if value.tzinfo is None:
            value -= zone.utcoffset(value)  # the zone's offset at that wall-clock time
        else:
            value = value.astimezone(UTC).replace(tzinfo=None)
    except OverflowError:  # the first or last day datetime can hold: not a signup date
        return now
    # A signup date in the future is a typo, not a fact; keep the import time instead.
    return value if value < now else now


class Batcher:
    """Turns CSV records into merged rows, ready for one batch each."""

    def __init__(self, mapping: dict[str, int], import_run: Import, counts: Counts, now: datetime):
        self.mapping = mapping
        self.default_status = import_run.status
        self.extra_tags = list(import_run.tags)
        self.counts = counts
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as parse_created
        self.pending: dict[str, Row] = {}
        self.rejections: list[csvread.Problem] = []
        self.erased = set(
            ErasedAddress.objects.filter(publication_id=import_run.publication_id).values_list(
                "digest", flat=True
            )
        )
        self.publication_id = import_run.publication_id
        self.zone = ZoneInfo(import_run.publication.time_zone)
        missing = 1 << 30  # an index past any row: "no such column"
        self.email_index = mapping["email"]
        self.name_index = mapping.get("name", missing)
        self.tags_index = mapping.get("tags", missing)
        self.created_index = mapping.get("created", missing)
        self.status_index = mapping.get("status", missing)
        self.extra_tags = sorted(set(self.extra_tags))

    def reject(self, line: int, reason: str, excerpt: str = "") -> None:
        self.rejections.append(csvread.Problem(line, str(reason), (excerpt or "")[:200]))

    def add(self, line: int, cells: list[str]) -> None:
        # The hot loop of an import: a million calls, so no helper calls it can do without.
        try:
            raw = cells[self.email_index]
        except IndexError:
            self.reject(line, _("The line has no cell in the email column."), ",".join(cells))
            return
        try:
            email = normalize_email(raw)
        except InvalidEmail as error:
            self.reject(line, str(error.message), raw)
            return
        if self.erased and erased_digest(self.publication_id, email) in self.erased:
            self.reject(
                line,
                _("This reader deleted their data here; only they can subscribe again."),
                email,
            )
            return
        width = len(cells)
        name = cells[self.name_index] if self.name_index < width else ""
        if name and not (name.isprintable() and name == name.strip() and "  " not in name):
            name = clean_name(name)
        elif len(name) > 200:
            name = name[:200]
        tags = self.extra_tags
        if self.tags_index < width and cells[self.tags_index]:
            tags = sorted(set(csvread.split_tags(cells[self.tags_index])) | set(tags))
        created = (
            parse_created(cells[self.created_index], self.now, self.zone)
            if self.created_index < width
            else self.now
        )
        status = self.default_status
        if self.status_index < width:
            named = STATUS_WORDS.get(cells[self.status_index].strip().lower())
            if named in SUPPRESSED_STATUSES:
                status = named  # the old platform's suppression comes along
        seen = self.pending.get(email)
        if seen is None:
            self.pending[email] = Row(email, name, tags, created, status, line)
            return
        seen.name = seen.name or name
        seen.tags = sorted(set(seen.tags) | set(tags))
        seen.created = min(seen.created, created)
        if STRICTNESS[SubscriberStatus(status)] > STRICTNESS[SubscriberStatus(seen.status)]:
            seen.status = status

    def take(self, source: csvread.LineSource, processed: int, encode) -> Batch:
        """The merged rows and the rejected lines since the last call."""
        rows = list(self.pending.values())
        batch = Batch(
            rows=rows,
            payload=encode(rows),
            rejections=self.rejections + source.problems,
            processed=processed,
            position=source.position,
        )
        self.pending = {}
        self.rejections = []
        source.problems.clear()
        return batch


def _find_header(records, overrides: dict[str, str] | None):
    """The column mapping and the records after the header. A file without a header row
    whose first cell is an address is read as one address per line."""
    for line, cells in records:
        mapping = csvread.map_header(cells, overrides)
        if "email" in mapping:
            return mapping, None
        try:
            normalize_email(cells[0])
        except InvalidEmail:
            raise ImportFailed(
                _(
                    "Line %(line)d should name the columns and one of them must be the email "
                    "address (email, 이메일 …). Found: %(found)s"
                )
                % {"line": line, "found": ", ".join(c[:40] for c in cells[:10])}
            ) from None
        return {"email": 0, "name": 1}, (line, cells)
    raise ImportFailed(_("The file is empty."))


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
    "encoding",
]


def _store_counts(import_run: Import, counts: Counts) -> None:
    import_run.processed_rows = counts.processed
    import_run.created_count = counts.created
    import_run.merged_count = counts.merged
    import_run.unchanged_count = counts.unchanged
    import_run.suppressed_count = counts.suppressed
    import_run.rejected_count = counts.rejected


def _run(import_run: Import, progress, overrides) -> Counts:
    """Read the file batch by batch and write each batch (see _in_thread for PostgreSQL)."""
    from hanji.subscribers.importdb import Stage

    counts = Counts()
    now = timezone.now()
    with open(import_run.path, "rb") as handle:
        sample = handle.read(csvread.SAMPLE)
        encoding = csvread.detect_encoding(sample)
        if encoding == "utf-16":
            raise ImportFailed(_("UTF-16 files are not supported; save the file as CSV (UTF-8)."))
        import_run.encoding = encoding
        handle.seek(0)
        source = csvread.LineSource(handle, encoding)
        dialect = csvread.sniff_dialect(sample[:4096].decode(encoding, "replace"))
        records = csvread.rows(source, dialect)
        mapping, first = _find_header(records, overrides)
        batcher = Batcher(mapping, import_run, counts, now)
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

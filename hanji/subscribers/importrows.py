"""An import's CSV records turned into merged rows, one batch at a time (the reading half of
an import; importer runs it in a thread of its own, importdb writes what it yields).

A million calls go through Batcher.add, so it does without helper calls where it can, and
signup dates stay naive UTC (parse_created).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from hanji.subscribers import csvread
from hanji.subscribers.actions import erased_digest
from hanji.subscribers.addresses import InvalidEmail, clean_name, normalize_email
from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    ErasedAddress,
    Import,
    SubscriberStatus,
)

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
    duplicates: int  # rows merged into an earlier row of the same address in this batch
    position: int  # bytes read so far


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

    def __init__(self, mapping: dict[str, int], import_run: Import, now: datetime):
        self.default_status = import_run.status
        self.now = now.astimezone(UTC).replace(tzinfo=None)  # naive UTC, as parse_created
        self.pending: dict[str, Row] = {}
        self.rejections: list[csvread.Problem] = []
        self.duplicates = 0
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
        self.extra_tags = sorted(set(import_run.tags))

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
        self.duplicates += 1  # reported as its own count: it became no subscriber of its own
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
            duplicates=self.duplicates,
        )
        self.pending = {}
        self.rejections = []
        self.duplicates = 0
        source.problems.clear()
        return batch


def find_header(records, overrides: dict[str, str] | None):
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

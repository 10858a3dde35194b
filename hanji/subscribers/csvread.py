"""Reading subscriber CSV files as they come from Excel, Stibee, Maily, Mailchimp, Substack.

Streams the file (memory stays flat whatever its size), detects UTF-8 (with or without BOM)
and CP949/EUC-KR (Korean Excel), decodes line by line so a file that mixes encodings loses
no line, cuts off lines longer than MAX_LINE instead of reading them whole, and maps the
header row to Hanji's columns.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.utils.translation import gettext as _

MAX_LINE = 64 * 1024
SAMPLE = 256 * 1024
csv.field_size_limit(MAX_LINE * 2)

COLUMN_ALIASES: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "mail",
        "address",
        "이메일",
        "이메일 주소",
        "이메일주소",
        "메일",
        "메일 주소",
        "전자우편",
        "구독자 이메일",
    ),
    "name": ("name", "full name", "first name", "이름", "성명", "구독자 이름", "닉네임", "별명"),
    "tags": ("tags", "tag", "labels", "태그", "라벨", "그룹"),
    "created": (
        "created",
        "created_at",
        "created at",
        "signup date",
        "subscribed",
        "subscribed at",
        "date",
        "가입일",
        "구독일",
        "등록일",
        "구독 일시",
        "가입 일시",
        "생성일",
    ),
    "status": ("status", "state", "상태", "구독 상태", "구독상태"),
}


def _norm_header(cell: str) -> str:
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').lower().replace("_", " ").split())


def map_header(row: list[str], overrides: dict[str, str] | None = None) -> dict[str, int]:
    """{hanji column: index} for a header row; overrides map a Hanji column to a header."""
    headers = [_norm_header(cell) for cell in row]
    mapping: dict[str, int] = {}
    for column, header in (overrides or {}).items():
        wanted = _norm_header(header)
        if wanted in headers:
            mapping[column] = headers.index(wanted)
    for column, aliases in COLUMN_ALIASES.items():
        if column in mapping:
            continue
        normalized = {a.replace("_", " ") for a in aliases}
        for index, header in enumerate(headers):
            if header in normalized and index not in mapping.values():
                mapping[column] = index
                break
    return mapping


class UnreadableFile(ValueError):
    """The file is in an encoding Hanji does not read; the message says what to do."""


def _looks_like_utf16(sample: bytes) -> bool:
    """UTF-16 without a byte-order mark: text in it has a NUL in every other byte, which no
    CSV in UTF-8 or CP949 ever has."""
    head = sample[:4096]
    if len(head) < 4:
        return False
    even, odd = head[0::2].count(0), head[1::2].count(0)
    return max(even, odd) >= len(head) // 4


# Workbooks saved as .xlsx (a zip) or .xls (OLE2): the file people upload most by mistake.
WORKBOOK_MAGIC = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
CONTROL_BYTES = bytes([*range(0, 9), *range(14, 32)])


def refuse_workbook(sample: bytes) -> None:
    """Raise UnreadableFile for an Excel workbook (.xlsx, .xls)."""
    if sample.startswith(WORKBOOK_MAGIC):
        raise UnreadableFile(
            _(
                "This is an Excel workbook, not a CSV file. In Excel, choose File › Save As "
                "› “CSV UTF-8” and upload that file."
            )
        )


def refuse_binary(sample: bytes) -> None:
    """Raise UnreadableFile for a file that is not text (more than 16 control bytes, and more
    than 5% of it; a NUL or two in a cell of a real CSV is read, and cleaned later)."""
    head = sample[:65536]
    if sum(head.count(byte) for byte in CONTROL_BYTES) > max(16, len(head) / 20):
        raise UnreadableFile(
            _("This file is not text. Upload the subscriber list as a CSV file (UTF-8).")
        )


def detect_encoding(sample: bytes) -> str:
    """ "utf-8-sig", "utf-8", "cp949" (which reads EUC-KR too) or "utf-16" (with a BOM, or
    without one when it clearly is). Raises UnreadableFile when most lines are in neither
    UTF-8 nor CP949: such a file used to be read silently as a guessed encoding (ISO 8859-16),
    every Korean name garbled."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    refuse_workbook(sample)
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_like_utf16(sample):
        return "utf-16"
    refuse_binary(sample)
    cut = sample.rfind(b"\n")
    head = sample[: cut + 1] if cut > 0 else sample
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        head.decode("cp949")
        return "cp949"
    except UnicodeDecodeError:
        pass
    # A file that mixes encodings line by line is read line by line (see LineSource); one in
    # another encoding altogether is refused.
    votes = {"utf-8": 0, "cp949": 0, None: 0}
    for line in head.splitlines()[:2000]:
        votes[_line_encoding(line)] += 1
    if votes[None] > votes["utf-8"] + votes["cp949"]:
        raise UnreadableFile(
            _(
                "The file is in neither UTF-8 nor CP949 (EUC-KR). Save it from your "
                "spreadsheet as “CSV UTF-8” and upload it again."
            )
        )
    return "utf-8" if votes["utf-8"] >= votes["cp949"] else "cp949"


def _line_encoding(line: bytes) -> str | None:
    for encoding in ("utf-8", "cp949"):
        try:
            line.decode(encoding)
            return encoding
        except UnicodeDecodeError:
            continue
    return None


@dataclass
class Problem:
    line: int
    reason: str
    excerpt: str = ""


@dataclass
class LineSource:
    """Physical lines of a binary file as text, with the problems met on the way."""

    stream: BinaryIO
    encoding: str
    problems: list[Problem] = field(default_factory=list)
    line: int = 0  # physical line number of the last line yielded
    position: int = 0  # bytes consumed

    def _alternate(self) -> str:
        return "cp949" if self.encoding.startswith("utf-8") else "utf-8"

    def __iter__(self) -> Iterator[str]:
        read = self.stream.readline
        encoding = "utf-8" if self.encoding == "utf-8-sig" else self.encoding
        alternate = self._alternate()
        first = True
        while True:
            raw = read(MAX_LINE)
            if not raw:
                return
            self.position += len(raw)
            self.line += 1
            if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
                # An over-long line: skip the rest of it without holding it in memory.
                while True:
                    more = read(MAX_LINE)
                    self.position += len(more)
                    if not more or more.endswith(b"\n"):
                        break
                self.problems.append(
                    Problem(
                        self.line,
                        _("The line is longer than 64 KB."),
                        raw[:80].decode("utf-8", "replace"),
                    )
                )
                yield "\n"  # keeps csv's line count equal to ours
                continue
            if first and raw.startswith(codecs.BOM_UTF8):
                raw = raw[3:]
            first = False
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                try:
                    text = raw.decode(alternate)
                except UnicodeDecodeError:
                    self.problems.append(
                        Problem(
                            self.line,
                            _("The line is in neither UTF-8 nor CP949 (EUC-KR)."),
                            raw[:80].decode("utf-8", "replace"),
                        )
                    )
                    yield "\n"
                    continue
            yield text


def count_lines(path: str) -> int:
    lines = 0
    last = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
            last = chunk
    return lines + (1 if last and not last.endswith(b"\n") else 0)


TAG_SPLIT = re.compile(r"[,;|]")


def split_tags(cell: str) -> list[str]:
    """The tags in a cell, each trimmed, at most 100 characters and free of control
    characters (PostgreSQL's jsonb refuses a NUL)."""
    cell = cell or ""
    if not cell.isprintable():
        cell = "".join(c if c.isprintable() else " " for c in cell)
    return [t for t in (part.strip()[:100] for part in TAG_SPLIT.split(cell)) if t]


def printable(text: str) -> str:
    """Text for a report: control characters shown as U+FFFD (a NUL cannot even be stored
    in a PostgreSQL text column)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else "\ufffd" for c in text)


def rows(
    source: LineSource, dialect: type[csv.Dialect] | csv.Dialect = csv.excel
) -> Iterator[tuple[int, list[str]]]:
    """(line number, cells) for every CSV record; empty records are skipped.

    A quote that is never closed (or closed lines later) makes the csv module read the lines
    after it as one cell: the subscribers on them vanish into a name. Such a record, when the
    lines it swallowed look like records of their own, is rejected with the lines it covers,
    so the preview and the rejected-lines download show them."""
    reader = csv.reader(source, dialect)
    delimiter = getattr(dialect, "delimiter", ",")
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            source.problems.append(Problem(reader.line_num, _("Not valid CSV: %s") % error))
            continue
        if reader.line_num > start and _swallowed_records(cells, delimiter):
            source.problems.append(_unclosed_quote(start, reader.line_num, cells))
            continue
        if cells and any(cell.strip() for cell in cells):
            yield reader.line_num, cells


def _swallowed_records(cells: list[str], delimiter: str) -> bool:
    """Whether a multi-line cell holds lines that look like CSV records (a delimiter or an
    address), not a name or a note that simply spans two lines."""
    for cell in cells:
        if "\n" in cell or "\r" in cell:
            for inner in cell.splitlines()[1:]:
                if delimiter in inner or "@" in inner:
                    return True
    return False


def _unclosed_quote(start: int, end: int, cells: list[str]) -> Problem:
    reason = _(
        'A quote (") opened on line %(start)d is not closed until line %(end)d, so lines '
        "%(start)d to %(end)d read as one; none of them was imported. Fix the quote on "
        "line %(start)d and import those lines again."
    ) % {"start": start, "end": end}
    # Numbered by its last line, as every record is (the reason names the first).
    return Problem(end, reason, printable(",".join(cells)[:200]))


def sniff_dialect(sample_text: str) -> type[csv.Dialect] | csv.Dialect:
    """Comma by default; a semicolon or tab file (European Excel, TSV) when it clearly is."""
    first = sample_text.split("\n", 1)[0]
    if first.count("\t") > first.count(",") and first.count("\t") >= 1:
        return csv.excel_tab
    if first.count(";") > first.count(",") and first.count(";") >= 1:

        class Semicolon(csv.excel):
            delimiter = ";"

        return Semicolon
    return csv.excel

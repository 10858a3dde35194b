"""CSV files uploaded for an import (the studio's import wizard): stored in the data dir, read
back by name, previewed (header, automatic column mapping, first rows, problems), and remapped
when the person chose other columns than the automatic guess. The importer then reads the file.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from hanji.publications.models import Publication
from hanji.subscribers import csvread
from hanji.subscribers.actions.common import Refused
from hanji.subscribers.addresses import InvalidEmail, normalize_email

PREVIEW_ROWS = 10
PREVIEW_LINES = 2000
# Hanji's columns, in the order the wizard offers them (csvread.COLUMN_ALIASES maps headers).
COLUMNS = tuple(csvread.COLUMN_ALIASES)


def imports_dir(publication: Publication) -> Path:
    path = Path(settings.DATA_DIR) / "imports" / str(publication.pk)
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_upload(publication: Publication, upload) -> Path:
    """Stream the uploaded CSV to the data dir (never into memory)."""
    name = f"{uuid.uuid4().hex}.csv"
    path = imports_dir(publication) / name
    with open(path, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return path


def upload_path(publication: Publication, name: str) -> Path:
    """The stored upload `name` of this publication; Refused for anything else (another
    publication's file, a path, a name that was never stored)."""
    if not name or "/" in name or "\\" in name or not name.endswith(".csv"):
        raise Refused(_("The uploaded file is gone. Upload it again."))
    path = imports_dir(publication) / name
    if not path.is_file():
        raise Refused(_("The uploaded file is gone. Upload it again."))
    return path


def readable_encoding(sample: bytes) -> str:
    """The encoding of an upload that starts with `sample`; Refused, saying what to do, for a
    workbook, a binary file, UTF-16 or an encoding Hanji cannot read."""
    try:
        encoding = csvread.detect_encoding(sample)
    except csvread.UnreadableFile as error:
        raise Refused(str(error)) from None
    if encoding == "utf-16":
        raise Refused(_("UTF-16 files are not supported; save the file as CSV (UTF-8)."))
    return encoding


def check_upload(path: Path) -> None:
    """Refused when the stored upload cannot be read as a CSV (see readable_encoding)."""
    with open(path, "rb") as handle:
        readable_encoding(handle.read(csvread.SAMPLE))


def preview_upload(path: Path) -> dict:
    """Header, automatic column mapping, the first rows, and problems in the first lines."""
    with open(path, "rb") as handle:
        sample = handle.read(csvread.SAMPLE)
        encoding = readable_encoding(sample)
        handle.seek(0)
        source = csvread.LineSource(handle, encoding)
        dialect = csvread.sniff_dialect(sample[:4096].decode(encoding, "replace"))
        records = csvread.rows(source, dialect)
        header: list[str] = []
        rows: list[list[str]] = []
        problems: list[tuple[int, str, str]] = []
        mapping: dict[str, int] = {}
        for line, cells in records:
            if not header:
                header = cells
                mapping = csvread.map_header(cells)
                continue
            if len(rows) < PREVIEW_ROWS:
                rows.append(cells)
            index = mapping.get("email", 0)
            try:
                normalize_email(cells[index] if index < len(cells) else "")
            except InvalidEmail as error:
                if len(problems) < 50:
                    problems.append((line, str(error.message), ",".join(cells)[:120]))
            if line > PREVIEW_LINES:
                break
        problems += [(p.line, p.reason, p.excerpt) for p in source.problems[:20]]
    return {
        "header": header,
        "mapping": mapping,
        "rows": rows,
        "problems": problems,
        "encoding": encoding,
    }


def apply_mapping(path: Path, header: list[str], chosen: dict[str, int]) -> Path:
    """When the person mapped columns differently from the automatic guess, rewrite the header
    line with Hanji's column names (the importer then reads the file as mapped)."""
    if csvread.map_header(header) == chosen:
        return path
    names = [f"ignored {i}" for i in range(len(header))]
    for column, index in chosen.items():
        if 0 <= index < len(names):
            names[index] = column
    out = io.StringIO()
    csv.writer(out).writerow(names)
    mapped = path.with_name(path.stem + "-mapped.csv")
    with open(path, "rb") as src, open(mapped, "wb") as dst:
        src.readline()
        dst.write(out.getvalue().encode("utf-8"))
        shutil.copyfileobj(src, dst, 1 << 20)
    os.remove(path)
    return mapped

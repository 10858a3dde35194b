"""Fill empty Korean msgstrs in hanji/locale/ko/LC_MESSAGES/django.po from TSV files.

Each line of a TSV is `msgid<TAB>msgstr`, or `msgid<TAB>msgid_plural<TAB>msgstr` for plurals
(Korean has one plural form). Used after `make messages` picks up new strings.
Usage: .venv/bin/python tools/i18n_fill.py docs/i18n/*.ko.tsv
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

PO = Path("hanji/locale/ko/LC_MESSAGES/django.po")


def unescape(text: str) -> str:
    return text.replace("\\t", "\t").replace("\\n", "\n")


def po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def load(paths: list[str]) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) >= 2:
                table[unescape(cols[0])] = unescape(cols[-1])
    return table


def read_string(lines: list[str], i: int) -> tuple[str, int]:
    """The (possibly multi-line) string starting at lines[i]; returns it and the next index."""
    first = lines[i].split(" ", 1)[1]
    parts = [first]
    i += 1
    while i < len(lines) and lines[i].startswith('"'):
        parts.append(lines[i])
        i += 1
    text = "".join(
        bytes(p.strip()[1:-1], "utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
        for p in parts
    )
    return text, i


def fill(table: dict[str, str]) -> int:
    lines = PO.read_text(encoding="utf-8").splitlines()
    out: list[str] = []
    filled = 0
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("msgid "):
            msgid, j = read_string(lines, i)
            out.extend(lines[i:j])
            i = j
            plural = None
            if i < len(lines) and lines[i].startswith("msgid_plural "):
                plural, j = read_string(lines, i)
                out.extend(lines[i:j])
                i = j
            key = "msgstr[0] " if plural is not None else "msgstr "
            if i < len(lines) and lines[i].startswith(key):
                value, j = read_string(lines, i)
                if not value and msgid and msgid in table:
                    out.append(key + po_quote(table[msgid]))
                    filled += 1
                else:
                    out.extend(lines[i:j])
                i = j
                continue
            continue
        out.append(line)
        i += 1
    text = "\n".join(out) + "\n"
    text = re.sub(r"^#, fuzzy\n(?=msgid \"[^\"])", "", text, flags=re.M)
    PO.write_text(text, encoding="utf-8")
    return filled


if __name__ == "__main__":
    print(f"filled {fill(load(sys.argv[1:]))} Korean strings")

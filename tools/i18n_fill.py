"""Fill empty Korean msgstrs in hanji/locale/ko/LC_MESSAGES/django.po from TSV files.

Each line of a TSV is `msgid<TAB>msgstr`, or `msgid<TAB>msgid_plural<TAB>msgstr` for plurals
(Korean has one plural form). Used after `make messages` picks up new strings: whoever adds
strings writes their Korean into a TSV, fills the catalog with this tool and deletes the TSV
(the catalog, in 해요체, is the one source of the translations).
Usage: .venv/bin/python tools/i18n_fill.py docs/i18n/*.ko.tsv
"""

from __future__ import annotations

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


def _unfuzzy(lines: list[str]) -> list[str]:
    """Drop makemessages' fuzzy guesses: a guessed translation of a changed string is more
    often wrong than right, and compilemessages ignores it anyway. The entry becomes
    untranslated, to be filled from the tables or translated anew."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#,") and "fuzzy" in line and not _is_header(lines, i):
            flags = [f.strip() for f in line[2:].split(",") if f.strip() != "fuzzy"]
            if flags:
                out.append("#, " + ", ".join(flags))
            i += 1
            while i < len(lines) and lines[i].startswith("#|"):
                i += 1
            # copy msgid (and msgid_plural), then blank the msgstr(s)
            while i < len(lines) and (lines[i].startswith("msgid") or lines[i].startswith('"')):
                out.append(lines[i])
                i += 1
            while i < len(lines) and lines[i].startswith("msgstr"):
                key = lines[i].split(" ", 1)[0]
                out.append(f'{key} ""')
                i += 1
                while i < len(lines) and lines[i].startswith('"'):
                    i += 1
            continue
        out.append(line)
        i += 1
    return out


def _is_header(lines: list[str], i: int) -> bool:
    return (
        i + 1 < len(lines)
        and lines[i + 1] == 'msgid ""'
        and (i + 2 < len(lines) and lines[i + 2] == 'msgstr ""')
    )


def fill(table: dict[str, str]) -> int:
    lines = _unfuzzy(PO.read_text(encoding="utf-8").splitlines())
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
    PO.write_text("\n".join(out) + "\n", encoding="utf-8")
    return filled


if __name__ == "__main__":
    print(f"filled {fill(load(sys.argv[1:]))} Korean strings")

"""The Korean catalog is complete, compiled, and its ids are the strings the code looks up."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parents[2] / "hanji" / "locale"
KO = LOCALE / "ko" / "LC_MESSAGES"

pytestmark = pytest.mark.skipif(not shutil.which("msgfmt"), reason="needs gettext's msgfmt")


def test_every_korean_string_is_translated_and_none_is_fuzzy():
    report = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(KO / "django.po")],
        capture_output=True, text=True, check=True,
    ).stderr  # fmt: skip
    assert "untranslated" not in report and "fuzzy" not in report, report


def test_the_compiled_catalog_is_the_one_of_the_po_file(tmp_path):
    compiled = tmp_path / "django.mo"
    subprocess.run(
        ["msgfmt", "--check-format", "-o", str(compiled), str(KO / "django.po")], check=True
    )
    assert compiled.read_bytes() == (KO / "django.mo").read_bytes(), "run make messages"


def ids(po: Path) -> list[str]:
    """The msgids of a .po file, as written (escapes left as they are)."""
    found, current = [], None
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith(("msgid ", "msgid_plural ")):
            current = [line.split(" ", 1)[1].strip('"')]
            found.append(current)
        elif line.startswith('"') and current is not None:
            current.append(line.strip('"'))
        else:
            current = None
    return ["".join(parts) for parts in found]


def test_no_id_holds_an_escape_python_would_have_read():
    # "\u201c" in Python source is one character at run time but six in the extracted id, so
    # such a string is never found in the catalog and shows in English.
    escaped = [i for i in ids(KO / "django.po") if re.search(r"\\\\[uUx][0-9a-fA-F]{2}", i)]
    assert not escaped, escaped

"""Comment text: normalized once when written, rendered once to HTML.

What a reader types is plain text. Normalizing it:

1. Refuse anything over RAW_LIMIT characters before doing any work (a 100 KB paste).
2. Unicode NFC, so the same words are the same code points (Hangul typed on macOS arrives
   decomposed, as separate jamo).
3. Line breaks become \\n; other control characters, bidirectional overrides and isolates
   (a "right-to-left override" can make `exe.txt` read as `txt.exe`), zero-width spaces and
   Unicode tag characters are removed; a zero-width joiner survives only inside an emoji
   sequence and a zero-width non-joiner only between letters of scripts that need it.
4. At most MAX_MARKS combining marks in a row (a "Zalgo" flood stacks hundreds on one letter).
5. Trailing spaces go, more than two blank lines become two; then the length limit, in
   characters as a reader counts them.

Rendering escapes everything, then makes http(s) addresses into links with
rel="nofollow ugc noopener" and keeps line breaks; the result passes nh3 with an allowlist of
p, br and a, as every stored HTML does.
"""

from __future__ import annotations

import html
import re
import unicodedata

import nh3
from django.utils.translation import gettext as _

MAX_LENGTH = 5000
RAW_LIMIT = 20000
MAX_MARKS = 3
MAX_LINES = 200

BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
INVISIBLE = set("\u200b\u2060\ufeff\u180e\u00ad\u2061\u2062\u2063\u2064\u115f\u1160\u3164\uffa0")
ZWJ, ZWNJ = "\u200d", "\u200c"
LINK_REL = "nofollow ugc noopener"


class CommentTextError(ValueError):
    """Why a comment's text is refused, in words for the reader."""


def _is_emoji_part(char: str) -> bool:
    code = ord(char)
    return (
        unicodedata.category(char) == "So"
        or 0x1F000 <= code <= 0x1FAFF
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
    )


def _joins_letters(before: str, after: str) -> bool:
    """ZWNJ matters between letters of Arabic, Persian and Indic scripts (not Latin or Hangul)."""
    return all(
        c and unicodedata.category(c)[0] in "LM" and 0x0590 <= ord(c) <= 0x0DFF
        for c in (before, after)
    )


def normalize(text: str) -> str:
    """The stored form of a comment; raises CommentTextError with a message for the reader."""
    if len(text) > RAW_LIMIT:
        raise CommentTextError(
            _("A comment can be at most %(limit)s characters long (this one has %(count)s).")
            % {"limit": f"{MAX_LENGTH:,}", "count": f"{len(text):,}"}
        )
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    marks = 0
    for index, char in enumerate(text):
        if char == "\t":
            char = " "
        elif char in "\u2028\u2029\x85":
            char = "\n"
        if char in BIDI_CONTROLS or char in INVISIBLE:
            continue
        category = unicodedata.category(char)
        if char == ZWJ:
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (out and _is_emoji_part(out[-1]) and after and _is_emoji_part(after)):
                continue
        elif char == ZWNJ:
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (out and _joins_letters(out[-1], after)):
                continue
        elif char != "\n" and category in ("Cc", "Cs", "Cf"):
            # Other controls and invisible formatting characters, Unicode tags included.
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                continue
        else:
            marks = 0
        out.append(char)
    lines = [line.rstrip() for line in "".join(out).split("\n")]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    if not text:
        raise CommentTextError(_("Write something first."))
    if len(text) > MAX_LENGTH:
        raise CommentTextError(
            _("A comment can be at most %(limit)s characters long (this one has %(count)s).")
            % {"limit": f"{MAX_LENGTH:,}", "count": f"{len(text):,}"}
        )
    if text.count("\n") >= MAX_LINES:
        raise CommentTextError(
            _("A comment can have at most %(limit)s lines.") % {"limit": MAX_LINES}
        )
    return text


# An address: http(s), an ASCII host, then a path. The path may hold Hangul (Korean slugs),
# but a word glued to the host ("https://hanji.kr에서") is not part of the link.
URL = re.compile(
    r"\bhttps?://[A-Za-z0-9.-]+(?::\d{1,5})?(?:[/?#][^\s<>\"'`]*)?",
    re.IGNORECASE,
)
TRAILING = ".,;:!?'\"”’)]}>…。、"


def _trim(url: str) -> str:
    """Leave sentence punctuation after an address out of the link (but keep balanced ")")."""
    while url and url[-1] in TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


def find_links(text: str) -> list[str]:
    return [_trim(m.group(0)) for m in URL.finditer(text) if _trim(m.group(0))]


_cleaner = nh3.Cleaner(
    tags={"p", "br", "a"},
    attributes={"a": {"href"}},
    link_rel=LINK_REL,
    url_schemes={"http", "https"},
    clean_content_tags={"script", "style"},
)


def _linkify(line: str) -> str:
    parts: list[str] = []
    position = 0
    for match in URL.finditer(line):
        url = _trim(match.group(0))
        if not url or "://" not in url or not url.split("://", 1)[1].strip("."):
            continue
        start, end = match.start(), match.start() + len(url)
        parts.append(html.escape(line[position:start]))
        label = html.escape(url if len(url) <= 60 else url[:57] + "…")
        parts.append(f'<a href="{html.escape(url)}">{label}</a>')
        position = end
    parts.append(html.escape(line[position:]))
    return "".join(parts)


def render(text: str) -> str:
    """HTML of a normalized comment: paragraphs at blank lines, <br> at line breaks."""
    paragraphs = [p for p in text.split("\n\n") if p.strip()]
    out = "".join(
        "<p>" + "<br>".join(_linkify(line) for line in paragraph.split("\n")) + "</p>"
        for paragraph in paragraphs
    )
    return _cleaner.clean(out)

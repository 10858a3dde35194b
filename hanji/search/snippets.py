"""Highlighting: the query's words marked in a title and a snippet around the best match.
The text is escaped first, then <mark> goes around the matches, so nothing in a post's text
becomes markup."""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from hanji.search.terms import QueryWord, is_hangul

SNIPPET_CHARS = 180
LEAD_CHARS = 50  # text shown before the first match of the snippet


def needles(words: list[QueryWord]) -> re.Pattern | None:
    """One pattern for what to mark: a Hangul word with or without spaces between its
    syllables, a Latin word as a prefix (layoff marks layoffs), typo corrections too."""
    parts = []
    for word in words:
        texts = [word.text, *(a for a in word.alternatives if not is_hangul(a))]
        for text in texts:
            if is_hangul(text):
                parts.append(r"\s*".join(map(re.escape, text)))
            else:
                parts.append(re.escape(text) + ("[a-z0-9]*" if word.latin else ""))
    if not parts:
        return None
    parts = sorted(set(parts), key=len, reverse=True)
    return re.compile("|".join(parts), re.IGNORECASE)


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    if pattern is None:
        return escape(text)
    out, last = [], 0
    for found in pattern.finditer(text):
        if found.end() == found.start():
            continue
        out.append(escape(text[last : found.start()]))
        out.append(f"<mark>{escape(found.group())}</mark>")
        last = found.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))


def best_window(text: str, pattern: re.Pattern | None) -> tuple[int, int]:
    """The stretch of text with the most different query words in SNIPPET_CHARS (among the
    first 200 matches: a common word may match thousands of times in a long post)."""
    if pattern is None:
        return 0, SNIPPET_CHARS
    found = [
        (m.start(), m.group().lower())
        for m, _ in zip(pattern.finditer(text), range(200), strict=False)
    ]
    if not found:
        return 0, SNIPPET_CHARS
    span = SNIPPET_CHARS - LEAD_CHARS
    best, best_start, end = -1, 0, 0
    inside: dict[str, int] = {}  # the words between found[i] and found[end - 1], counted
    for i, (start, _word) in enumerate(found):
        while end < len(found) and found[end][0] < start + span:
            inside[found[end][1]] = inside.get(found[end][1], 0) + 1
            end += 1
        if len(inside) > best:
            best, best_start = len(inside), start
        word = found[i][1]
        inside[word] -= 1
        if not inside[word]:
            del inside[word]
    begin = max(0, best_start - LEAD_CHARS)
    return begin, begin + SNIPPET_CHARS


def snippet(text: str, pattern: re.Pattern | None) -> SafeString:
    begin, end = best_window(text, pattern)
    if begin > 0:  # start at a word boundary
        space = text.find(" ", begin, begin + 20)
        begin = space + 1 if space != -1 else begin
    if end < len(text):  # end at a word boundary
        space = text.rfind(" ", end - 30, end)
        end = space if space > begin else end
    piece = " ".join(text[begin:end].split())  # only the window: a text may be 40 KB
    html = highlight(piece, pattern)
    prefix = "… " if begin > 0 else ""
    suffix = " …" if end < len(text) else ""
    return mark_safe(prefix + html + suffix)

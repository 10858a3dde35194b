"""The words of the search index, made in Python so that SQLite and PostgreSQL index the same.

A text becomes a list of *terms*, each a run of letters and digits that both SQLite's FTS5
`unicode61` tokenizer and PostgreSQL's `simple` configuration keep as one token:

1. The text is folded: NFKC (full-width Latin and digits become ASCII), lower case, and
   accents removed from Latin letters (café → cafe). Hangul syllables are kept as they are.
2. A Hangul word (a run of syllables) gives its syllable bigrams (샘알트만이 → 샘알 알트 트만 만이)
   and the whole word. A one-syllable word is its own term.
3. Any other word (Latin, digits, other scripts) is one term.

A query is made of groups, one per query word; a post matches when every group matches (see
`QueryWord`). A Hangul query word matches by its bigrams, so 알트만 finds 알트만은, 알트만이 and
샘알트만; particles at the end of a query word are dropped (알트만은 → 알트만). A compound is
found written with or without a space: 샘 알트만 matches 샘알트만 (샘 as a prefix of 샘알), and
샘알트만 matches 샘 알트만 through its splits (샘 + 알트만, each split an alternative).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

MAX_QUERY_CHARS = 200  # longer queries are cut: no reader types more, and time stays bounded
MAX_QUERY_WORDS = 8
MAX_WORD_CHARS = 40  # longer "words" (hashes, base64) are not words anyone searches for

_HANGUL = "\uac00-\ud7a3"
# A Hangul run, or a run of other letters and digits (\w without the underscore).
_WORD = re.compile(rf"[{_HANGUL}]+|[^\W_{_HANGUL}]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LATIN = re.compile(r"[a-z][a-z0-9]*")

# Particles and endings that a reader may type after a noun, dropped from the end of a Hangul
# query word (longest first) when at least two syllables remain. Those that also end many
# nouns (이 고양이, 가 전문가, 과 결과, 로 경로, 도 가속도) only when three remain; 만 and 나
# never (알트만, 하나).
PARTICLES = sorted(
    """은 는 을 를 의 에 와 으로 에서 에게 한테 까지 부터 처럼 보다 이나 이다 입니다 이고 이며
    에는 에서는 으로는 로는 과의 와의 이라는 라는 이란 들이 들은 들을 들의 에대한 에대해""".split(),
    key=len,
    reverse=True,
)
AMBIGUOUS_PARTICLES = ["이", "가", "과", "로", "도", "들"]


def fold(text: str) -> str:
    """NFKC, lower case, accents off Latin letters; Hangul syllables unchanged."""
    text = unicodedata.normalize("NFKC", text).lower()
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", stripped)


def is_hangul(word: str) -> bool:
    return "\uac00" <= word[0] <= "\ud7a3"


def bigrams(word: str) -> list[str]:
    return [word[i : i + 2] for i in range(len(word) - 1)] if len(word) > 1 else [word]


def index_terms(text: str) -> list[str]:
    """The terms of one field's text, in order (see the module's docstring)."""
    terms: list[str] = []
    for word in _WORD.findall(fold(text)):
        if len(word) > MAX_WORD_CHARS:
            continue
        if is_hangul(word):
            terms.extend(bigrams(word))
            if len(word) > 2:
                terms.append(word)
        else:
            terms.append(word)
    return terms


def index_text(text: str) -> str:
    """The terms of a text as one space-separated string (what the index columns store)."""
    return " ".join(index_terms(text))


def latin_words(text: str) -> set[str]:
    """The Latin words (4 letters or more) of a text, for typo correction."""
    return {
        w
        for w in _WORD.findall(fold(text))
        if 4 <= len(w) <= MAX_WORD_CHARS and _LATIN.fullmatch(w)
    }


@dataclass
class QueryWord:
    """One word of the query. It matches a post when all of `terms` are there (a term ending
    in `*` is a prefix), or all of one of `splits` (a compound cut in two: 샘 + 알트만), or
    one of `alternatives` (whole words: the word itself, the typo corrections, two Latin words
    written as one)."""

    text: str  # the folded word as the reader typed it (for highlighting)
    terms: list[str]
    alternatives: list[str] = field(default_factory=list)
    splits: list[list[str]] = field(default_factory=list)
    latin: bool = False


def strip_particle(word: str) -> str:
    for particle in PARTICLES:
        if word.endswith(particle) and len(word) - len(particle) >= 2:
            return word[: -len(particle)]
    if word[-1] in AMBIGUOUS_PARTICLES and len(word) >= 4:
        return word[:-1]
    return word


def _english_stem(word: str) -> str:
    """layoffs → layoff, companies → compan (then matched as a prefix)."""
    for ending in ("ies", "es", "s", "ing", "ed"):
        if word.endswith(ending) and len(word) - len(ending) >= 4 and not word.endswith("ss"):
            return word[: -len(ending)]
    return word


def clean_query(raw: str) -> str:
    """The query as searched: control characters gone, cut at MAX_QUERY_CHARS."""
    return " ".join(_CONTROL.sub(" ", raw or "").split())[:MAX_QUERY_CHARS]


def parse_query(raw: str) -> list[QueryWord]:
    """The query's words. Every character outside letters and digits (quotes, `*`, `-`, `^`,
    parentheses, operators' punctuation) only separates words, so no input is ever a query
    operator: NEAR, OR and AND are searched as the words they are."""
    words = _query_words(fold(clean_query(raw)))
    result: list[QueryWord] = []
    for word in dict.fromkeys(words):  # repeated words add nothing
        if is_hangul(word):
            core = strip_particle(word)
            if len(core) == 1:
                result.append(QueryWord(core, [core + "*"]))
            else:
                whole = [w for w in dict.fromkeys([core, word]) if len(w) > 2]
                result.append(QueryWord(core, bigrams(core), whole, _splits(core)))
        elif _LATIN.fullmatch(word) and len(word) >= 3:
            stem = _english_stem(word)
            result.append(QueryWord(word, [stem + "*"], [word], latin=True))
        else:
            result.append(QueryWord(word, [word], latin=bool(_LATIN.fullmatch(word))))
        if len(result) == MAX_QUERY_WORDS:
            break
    _join_latin_pairs(result)
    return result


def _query_words(text: str) -> list[str]:
    """The words of a folded query; a particle glued to a Latin word (OpenAI가) is dropped."""
    words, end = [], -1
    for match in _WORD.finditer(text):
        word = match.group()
        glued = match.start() == end and words and not is_hangul(words[-1])
        end = match.end()
        if len(word) > MAX_WORD_CHARS:
            continue
        if glued and is_hangul(word) and _is_particle(word):
            continue
        words.append(word)
    return words


def _is_particle(word: str) -> bool:
    return word in PARTICLES or word in AMBIGUOUS_PARTICLES or word in ("만", "이나", "나")


def _splits(word: str) -> list[list[str]]:
    """샘알트만 → [샘, 알트, 트만], [샘알, 트만], [샘알트, 만]... each part's terms: the compound
    written with a space at that point (a one-syllable part is a whole word)."""
    if not 3 <= len(word) <= 8:
        return []

    def part(piece: str) -> list[str]:
        return bigrams(piece) if len(piece) > 1 else [piece + "*"]  # 황 also finds 황은

    return [part(word[:i]) + part(word[i:]) for i in range(1, len(word))]


def _join_latin_pairs(words: list[QueryWord]) -> None:
    """ "open ai" also finds "OpenAI": a Latin word followed by another offers the two
    written as one as an alternative."""
    for first, second in zip(words, words[1:], strict=False):
        if first.latin and second.latin:
            joined = first.text + second.text
            first.alternatives.append(joined)
            second.alternatives.append(joined)


def damerau_levenshtein(a: str, b: str, limit: int) -> int:
    """Edit distance with adjacent transpositions (optimal string alignment), or limit + 1
    as soon as it is certain to exceed `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            value = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                value = min(value, previous2[j - 2] + 1)
            current[j] = value
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def typo_limit(word: str) -> int:
    return 1 if len(word) <= 5 else 2

"""Searching a publication's posts: the public search, the studio's and the CLI's.

Who may read what is decided by the caller and passed in as querysets of posts
(`full_text_of`): the index holds a post's public part and, apart, its whole text, and the
whole text is matched and quoted only for posts in `full_text_of`; for a reader it is the
memberships access function's `readable_posts` (`reader_full_text` below).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString

from hanji.posts.models import Post
from hanji.publications.models import Publication
from hanji.search import backends
from hanji.search.models import SearchEntry, SearchWord
from hanji.search.snippets import highlight, needles, snippet
from hanji.search.terms import QueryWord, damerau_levenshtein, parse_query, typo_limit

MAX_RESULTS = 50


@dataclass
class SearchResult:
    post: Post
    title: SafeString  # escaped, with <mark>
    snippet: SafeString  # escaped, with <mark>
    title_hit: bool


def reader_full_text(publication: Publication, reader) -> QuerySet[Post] | None:
    """The posts whose whole text this reader may search and see quoted (None: no post's):
    the memberships access function's `readable_posts`."""
    from hanji.memberships.access import readable_posts

    if reader is None:
        return None
    return readable_posts(reader, publication)


def search_posts(
    publication: Publication,
    query: str,
    *,
    full_text_of: QuerySet[Post] | None = None,
    visible: QuerySet[Post] | None = None,
    limit: int = MAX_RESULTS,
) -> list[SearchResult]:
    """The publication's posts matching the query, best first (see hanji.search.backends).

    `visible` is the posts that may be listed: the published ones unless told (the studio
    passes the posts the team member sees, drafts included, and the same as `full_text_of`).
    """
    words = parse_query(query)
    if not words:
        return []
    add_typo_corrections(words)
    if visible is None:
        visible = Post.objects.published().filter(publication=publication)
    scope = backends.Scope(publication.pk, visible, full_text_of)
    hits = _best_per_post(backends.match(words, scope, limit * 2), limit)
    return _results(hits, words)


def _best_per_post(hits: list[backends.Hit], limit: int) -> list[backends.Hit]:
    best: dict[int, backends.Hit] = {}
    for hit in hits:
        best.setdefault(hit.post_id, hit)
    return list(best.values())[:limit]


def _results(hits: list[backends.Hit], words: list[QueryWord]) -> list[SearchResult]:
    if not hits:
        return []
    wanted = Q()
    for hit in hits:
        wanted |= Q(post_id=hit.post_id, part=hit.part)
    entries = {
        (entry.post_id, entry.part): entry
        for entry in SearchEntry.objects.filter(wanted)
        .select_related("post__category")
        .defer("post__body", "t_title", "t_meta", "t_body")
    }
    pattern = needles(words)
    results = []
    for hit in hits:
        entry = entries[(hit.post_id, hit.part)]
        post = entry.post
        text = entry.text or post.subtitle
        results.append(
            SearchResult(
                post, highlight(post.title, pattern), snippet(text, pattern), hit.title_hit
            )
        )
    return results


def add_typo_corrections(words: list[QueryWord]) -> None:
    """A Latin word that no post contains gets the known words one or two edits away
    (opnai → openai) as alternatives."""
    latin = [w for w in words if w.latin and len(w.text) >= 4]
    if not latin:
        return
    known = set(
        SearchWord.objects.filter(word__in=[w.text for w in latin]).values_list("word", flat=True)
    )
    for word in latin:
        if word.text in known:
            continue
        limit = typo_limit(word.text)
        candidates = SearchWord.objects.filter(
            first=word.text[0],
            length__gte=len(word.text) - limit,
            length__lte=len(word.text) + limit,
        ).values_list("word", flat=True)
        letters = set(word.text)
        scored = []
        for candidate in candidates.iterator(chunk_size=2000):
            if len(letters ^ set(candidate)) > 2 * limit:
                continue
            distance = damerau_levenshtein(word.text, candidate, limit)
            if distance <= limit:
                scored.append((distance, candidate))
        word.alternatives.extend(c for _d, c in sorted(scored)[:3])

"""SQLite: the FTS5 table search_fts over the entries' term columns."""

from __future__ import annotations

from django.db import connection

from hanji.search.backends import Hit, Scope
from hanji.search.terms import QueryWord

# bm25 weights of the columns t_title, t_meta, t_body.
WEIGHTS = "10.0, 4.0, 1.0"
# A query matching more entries of the publication than this ranks only the newest RANKED
# of them (title matches among them first): ranking thousands of matches of a very common word (the,
# 이, a one-syllable prefix) costs a second, and the newest are what such a reader wants.
RANKED = 1000


def _term(term: str) -> str:
    # Terms are letters and digits only (hanji.search.terms); quoting keeps AND/OR/NEAR words.
    return f'"{term[:-1]}"*' if term.endswith("*") else f'"{term}"'


def _word(word: QueryWord) -> str:
    options = [word.terms, *word.splits]
    expressions = ["(" + " AND ".join(map(_term, terms)) + ")" for terms in options]
    expressions += map(_term, word.alternatives)
    return expressions[0] if len(expressions) == 1 else "(" + " OR ".join(expressions) + ")"


def expression(words: list[QueryWord]) -> str:
    return " AND ".join(_word(w) for w in words)


def _cutoff(query: str, publication_id: int) -> int | None:
    """The rowid below which a very common query's matches are not ranked (see RANKED)."""
    sql = """
        SELECT search_fts.rowid FROM search_fts
        JOIN search_searchentry e ON e.id = search_fts.rowid
        WHERE search_fts MATCH %s AND e.publication_id = %s
        ORDER BY search_fts.rowid DESC LIMIT 1 OFFSET %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, publication_id, RANKED])
        row = cursor.fetchone()
    return row[0] if row else None


def _ranked(query: str, where: str, params: list, limit: int, title: bool) -> list[Hit]:
    sql = f"""
        SELECT e.post_id, e.part, bm25(search_fts, {WEIGHTS}) AS score
        FROM search_fts
        JOIN search_searchentry e ON e.id = search_fts.rowid
        JOIN posts_post p ON p.id = e.post_id
        WHERE search_fts MATCH %s AND {where}
        ORDER BY score ASC, COALESCE(p.published_at, p.updated_at) DESC
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *params, limit])
        return [Hit(post, part, title, -score) for post, part, score in cursor]


def match(words: list[QueryWord], scope: Scope, limit: int) -> list[Hit]:
    """Title matches first (a query on the title column alone), then the rest."""
    query = expression(words)
    where, params = scope.where()
    cutoff = _cutoff(query, scope.publication_id)
    if cutoff is not None:
        where, params = where + " AND search_fts.rowid >= %s", [*params, cutoff]
    hits = _ranked(f"{{t_title}} : ({query})", where, params, limit, True)
    if len(hits) < limit:
        seen = {(h.post_id, h.part) for h in hits}
        rest = _ranked(query, where, params, limit, False)
        hits += [h for h in rest if (h.post_id, h.part) not in seen][: limit - len(hits)]
    return hits

"""SQLite: the FTS5 table search_fts over the entries' term columns."""

from __future__ import annotations

from django.db import connection

from hanji.search.backends import Hit, Scope
from hanji.search.terms import QueryWord

# bm25 weights of the columns t_title, t_meta, t_body.
WEIGHTS = "10.0, 4.0, 1.0"


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


def match(words: list[QueryWord], scope: Scope, limit: int) -> list[Hit]:
    query = expression(words)
    where, params = scope.where()
    sql = f"""
        SELECT e.post_id, e.part,
               e.id IN (SELECT rowid FROM search_fts WHERE search_fts MATCH %s) AS title_hit,
               bm25(search_fts, {WEIGHTS}) AS score
        FROM search_fts
        JOIN search_searchentry e ON e.id = search_fts.rowid
        JOIN posts_post p ON p.id = e.post_id
        WHERE search_fts MATCH %s AND {where}
        ORDER BY title_hit DESC, score ASC, COALESCE(p.published_at, p.updated_at) DESC
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [f"{{t_title}} : ({query})", query, *params, limit])
        return [Hit(post, part, bool(title), -score) for post, part, title, score in cursor]

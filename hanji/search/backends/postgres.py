"""PostgreSQL: the entries' generated tsvector column `vector` with its GIN index."""

from __future__ import annotations

from django.db import connection

from hanji.search.backends import Hit, Scope
from hanji.search.terms import QueryWord

# ts_rank weights of D, C (body), B (subtitle, category, tags, authors), A (title).
WEIGHTS = "{0.05, 0.1, 0.4, 1.0}"
# A query matching more entries of the publication than this ranks only the newest RANKED
# of them (title matches among them first): ts_rank over thousands of long posts' vectors
# costs hundreds of milliseconds, and the newest are what such a reader wants.
RANKED = 200


def _term(term: str) -> str:
    # Terms are letters and digits only (hanji.search.terms): quoting is enough.
    return f"'{term[:-1]}':*" if term.endswith("*") else f"'{term}'"


def _word(word: QueryWord) -> str:
    options = [word.terms, *word.splits]
    expressions = ["(" + " & ".join(map(_term, terms)) + ")" for terms in options]
    expressions += map(_term, word.alternatives)
    return expressions[0] if len(expressions) == 1 else "(" + " | ".join(expressions) + ")"


def expression(words: list[QueryWord]) -> str:
    return " & ".join(_word(w) for w in words)


def _cutoff(query: str, publication_id: int) -> int | None:
    """The entry id below which a very common query's matches are not ranked (see RANKED)."""
    sql = """
        SELECT e.id FROM search_searchentry e
        WHERE e.vector @@ CAST(%s AS tsquery) AND e.publication_id = %s
        ORDER BY e.id DESC OFFSET %s LIMIT 1"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, publication_id, RANKED])
        row = cursor.fetchone()
    return row[0] if row else None


def match(words: list[QueryWord], scope: Scope, limit: int) -> list[Hit]:
    query = expression(words)
    where, params = scope.where()
    cutoff = _cutoff(query, scope.publication_id)
    if cutoff is not None:
        where, params = where + " AND e.id >= %s", [*params, cutoff]
    sql = f"""
        SELECT e.post_id, e.part, e.title_vector @@ q AS title_hit,
               ts_rank('{WEIGHTS}', e.vector, q, 1) AS score
        FROM search_searchentry e
        JOIN posts_post p ON p.id = e.post_id, CAST(%s AS tsquery) q
        WHERE e.vector @@ q AND {where}
        ORDER BY title_hit DESC, score DESC, COALESCE(p.published_at, p.updated_at) DESC
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [query, *params, limit])
        return [Hit(post, part, bool(title), score) for post, part, title, score in cursor]

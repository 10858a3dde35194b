"""PostgreSQL: the entries' generated tsvector column `vector` with its GIN index."""

from __future__ import annotations

from django.db import connection

from hanji.search.backends import Hit, Scope
from hanji.search.terms import QueryWord

# ts_rank weights of D, C (body), B (subtitle, category, tags, authors), A (title).
WEIGHTS = "{0.05, 0.1, 0.4, 1.0}"


def _term(term: str, weight: str) -> str:
    # Terms are letters and digits only (hanji.search.terms): quoting is enough.
    if term.endswith("*"):
        return f"'{term[:-1]}':*{weight}"
    return f"'{term}'" + (f":{weight}" if weight else "")


def _word(word: QueryWord, weight: str) -> str:
    options = [word.terms, *word.splits]
    expressions = ["(" + " & ".join(_term(t, weight) for t in terms) + ")" for terms in options]
    expressions += (_term(t, weight) for t in word.alternatives)
    return expressions[0] if len(expressions) == 1 else "(" + " | ".join(expressions) + ")"


def expression(words: list[QueryWord], weight: str = "") -> str:
    return " & ".join(_word(w, weight) for w in words)


def match(words: list[QueryWord], scope: Scope, limit: int) -> list[Hit]:
    where, params = scope.where()
    sql = f"""
        SELECT e.post_id, e.part, e.vector @@ tq AS title_hit,
               ts_rank('{WEIGHTS}', e.vector, q, 1) AS score
        FROM search_searchentry e
        JOIN posts_post p ON p.id = e.post_id,
             CAST(%s AS tsquery) q, CAST(%s AS tsquery) tq
        WHERE e.vector @@ q AND {where}
        ORDER BY title_hit DESC, score DESC, COALESCE(p.published_at, p.updated_at) DESC
        LIMIT %s"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [expression(words), expression(words, "A"), *params, limit])
        return [Hit(post, part, bool(title), score) for post, part, title, score in cursor]

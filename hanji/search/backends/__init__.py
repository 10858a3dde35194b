"""How each database matches and ranks search entries: one small interface, two variants.

`match(words, scope, limit)` returns the best entries, ordered: title matches first (every
query word in the title), then the database's relevance (FTS5 bm25 on SQLite, ts_rank on
PostgreSQL, both weighing title > subtitle/category/tags/authors > body), then recency.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models import QuerySet

from hanji.search.terms import QueryWord


@dataclass(frozen=True)
class Hit:
    post_id: int
    part: int
    title_hit: bool
    score: float


@dataclass
class Scope:
    """Which entries a search may see: the posts it may list (`visible`) and those whose
    whole text the reader may read (`full_text_of`; None: only the public parts)."""

    publication_id: int
    visible: QuerySet
    full_text_of: QuerySet | None

    def where(self) -> tuple[str, list]:
        visible_sql, visible_params = _ids_sql(self.visible)
        sql = f"e.publication_id = %s AND e.post_id IN ({visible_sql})"
        params = [self.publication_id, *visible_params]
        if self.full_text_of is None:
            return sql + " AND e.part = 0", params
        full_sql, full_params = _ids_sql(self.full_text_of)
        return sql + f" AND (e.part = 0 OR e.post_id IN ({full_sql}))", params + full_params


def _ids_sql(queryset: QuerySet) -> tuple[str, list]:
    sql, params = queryset.order_by().values("id").query.sql_with_params()
    return sql, list(params)


def match(words: list[QueryWord], scope: Scope, limit: int) -> list[Hit]:
    if not words:
        return []
    if connection.vendor == "postgresql":
        from hanji.search.backends import postgres as backend
    else:
        from hanji.search.backends import sqlite as backend
    return backend.match(words, scope, limit)

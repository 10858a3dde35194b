"""The database's own index over search entries (created by migration 0001, see models.py)."""

from __future__ import annotations

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE search_fts USING fts5(
        t_title, t_meta, t_body,
        content='search_searchentry', content_rowid='id',
        tokenize='unicode61 remove_diacritics 0', prefix='1')""",
    """CREATE TRIGGER search_fts_insert AFTER INSERT ON search_searchentry BEGIN
        INSERT INTO search_fts(rowid, t_title, t_meta, t_body)
        VALUES (new.id, new.t_title, new.t_meta, new.t_body);
    END""",
    """CREATE TRIGGER search_fts_delete AFTER DELETE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, t_title, t_meta, t_body)
        VALUES ('delete', old.id, old.t_title, old.t_meta, old.t_body);
    END""",
    """CREATE TRIGGER search_fts_update AFTER UPDATE ON search_searchentry BEGIN
        INSERT INTO search_fts(search_fts, rowid, t_title, t_meta, t_body)
        VALUES ('delete', old.id, old.t_title, old.t_meta, old.t_body);
        INSERT INTO search_fts(rowid, t_title, t_meta, t_body)
        VALUES (new.id, new.t_title, new.t_meta, new.t_body);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS search_fts_update",
    "DROP TRIGGER IF EXISTS search_fts_delete",
    "DROP TRIGGER IF EXISTS search_fts_insert",
    "DROP TABLE IF EXISTS search_fts",
]

POSTGRES_CREATE = [
    """ALTER TABLE search_searchentry ADD COLUMN vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('simple'::regconfig, t_title), 'A')
        || setweight(to_tsvector('simple'::regconfig, t_meta), 'B')
        || setweight(to_tsvector('simple'::regconfig, t_body), 'C')) STORED""",
    "CREATE INDEX search_entry_vector ON search_searchentry USING gin (vector)",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS search_entry_vector",
    "ALTER TABLE search_searchentry DROP COLUMN IF EXISTS vector",
]


def _run(schema_editor, statements: dict[str, list[str]]) -> None:
    for sql in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def create_index(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE})


def drop_index(apps, schema_editor) -> None:
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP})


# Migration 0002: the title's own small vector, so "every query word in the title" is checked
# without reading the whole post's vector (a weight-A query must read it).
POSTGRES_TITLE_CREATE = [
    """ALTER TABLE search_searchentry ADD COLUMN title_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, t_title)) STORED""",
]
POSTGRES_TITLE_DROP = ["ALTER TABLE search_searchentry DROP COLUMN IF EXISTS title_vector"]


def create_title_vector(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_TITLE_CREATE})


def drop_title_vector(apps, schema_editor) -> None:
    _run(schema_editor, {"postgresql": POSTGRES_TITLE_DROP})

"""The database half of an import: a staging table and set-based statements per batch.

SQLite: the batch goes into a TEMP table from one JSON document (json_each), the existing
subscribers are read by a join, and INSERT OR IGNORE … SELECT adds the new ones. PostgreSQL:
COPY into a TEMP table, then one statement inserts with ON CONFLICT DO NOTHING, subscribes
the new rows and reads the existing ones. Both use the unique (publication, email) index to
tell new from existing.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from django.db import connection

from hanji.subscribers import counts as status_counts
from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    Import,
    NewsletterOptOut,
    Subscriber,
    Subscription,
)

STAGE = "hanji_import_stage"
SQLITE_CACHE_KB = int(os.environ.get("HANJI_IMPORT_SQLITE_CACHE", "-65536"))  # 64 MB
SUB = Subscriber._meta.db_table
SUBSCRIPTION = Subscription._meta.db_table
OPT_OUT = NewsletterOptOut._meta.db_table
SUPPRESSED = tuple(str(s) for s in SUPPRESSED_STATUSES)


INSERT_COLUMNS = (
    "publication_id, email, name, status, source, tags, notes, created_at, confirmed_at, "
    "unsubscribed_at, advertising_consent_at, night_consent_at, advertising_reminded_at, "
    "token_version, updated_at, import_run_id"
)


def _tags(tags: list[str]) -> str:
    return json.dumps(tags, ensure_ascii=False) if tags else "[]"


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value: str) -> str:
    """A value in PostgreSQL's COPY text format (names are already free of control
    characters, but a backslash must be doubled). Most values need nothing: looking is
    cheaper than translating a million of them."""
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        return value.translate(_COPY_ESCAPES)
    return value


class Stage:
    def __init__(self, import_run: Import, now: datetime):
        self.import_run = import_run
        self.publication_id = import_run.publication_id
        self.newsletter_ids = list(import_run.newsletter_ids)
        self.now = now
        self.pg = connection.vendor == "postgresql"
        # `now` as the database takes it in a parameter; on SQLite what Django's backend stores
        # (UTC, naive, str()).
        self.db_now = now if self.pg else str(now.astimezone(UTC).replace(tzinfo=None))

    def __enter__(self):
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    # Emptied by every commit (one batch, one transaction), which is cheaper
                    # than a TRUNCATE (a new file) per batch.
                    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (email text, name text, "
                    "tags text, created_at timestamptz, status varchar(12)) ON COMMIT DELETE ROWS"
                )
            else:
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (email TEXT, name TEXT, "
                    "tags TEXT, created_at TEXT, status TEXT)"
                )
                # A bulk load: a bigger page cache for the index look-ups into a big table
                # (SQLite's default is 2 MB), given back when the import ends.
                cursor.execute("PRAGMA cache_size")
                self._sqlite_cache = cursor.fetchone()[0]
                cursor.execute(f"PRAGMA cache_size = {SQLITE_CACHE_KB}")
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
            if not self.pg:
                cursor.execute(f"PRAGMA cache_size = {self._sqlite_cache}")
        return False

    # --- one batch ------------------------------------------------------------------------

    def encode(self, rows) -> str:
        """The batch as the staging table takes it: COPY text on PostgreSQL, a JSON list of
        rows on SQLite. Runs in the reading thread, alongside the database work."""
        if self.pg:
            return "".join(
                f"{r.email}\t{_copy_text(r.name)}\t{_copy_text(_tags(r.tags))}\t"
                f"{r.created.isoformat()}+00\t{r.status}\n"  # created is naive UTC
                for r in rows
            )
        return json.dumps(
            # created is naive UTC, and str() of it is what Django's SQLite backend stores.
            [(r.email, r.name, _tags(r.tags), str(r.created), r.status) for r in rows],
            ensure_ascii=False,
        )

    def _load(self, cursor, payload) -> None:
        if self.pg:
            # An import can be run again (it is idempotent), so a batch need not wait for its
            # WAL to reach the disk; a crash loses at most the last batches, never consistency.
            cursor.execute("SET LOCAL synchronous_commit = off")
            with cursor.cursor.copy(
                f"COPY {STAGE} (email, name, tags, created_at, status) FROM STDIN"
            ) as copy:
                copy.write(payload)
        else:
            cursor.execute(f"DELETE FROM {STAGE}")
            # One statement reading the rows from JSON: executemany holds the GIL for every row.
            cursor.execute(
                f"INSERT INTO {STAGE} (email, name, tags, created_at, status) "
                "SELECT json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), "
                "json_extract(r.value, '$[2]'), json_extract(r.value, '$[3]'), "
                "json_extract(r.value, '$[4]') FROM json_each(%s) r",
                [payload],
            )

    def write(self, rows, payload, counts) -> None:
        with connection.cursor() as cursor:
            self._load(cursor, payload)
            if self.pg:
                added, existing = self._insert_and_subscribe(cursor)
            else:
                existing = self._existing(cursor)
                added = self._insert_and_subscribe_sqlite(cursor)
            updated = self._merge(cursor, rows, existing)
            joined = self._subscribe(cursor, existing)
        # In the batch's transaction, like the rows: the studio's figures move with them.
        status_counts.change(self.publication_id, added)
        created = sum(added.values())
        for subscriber_id, (_name, _tags, status) in existing.items():
            if status in SUPPRESSED:
                counts.suppressed += 1
            elif subscriber_id in updated or subscriber_id in joined:
                counts.merged += 1
            else:
                counts.unchanged += 1
        counts.created += created

    def _found(self, rows) -> dict[int, tuple[str, list, str]]:
        """{id: (name, tags, status)} of the existing subscribers in `rows` (id, email, name,
        tags, status), remembering each one's address for _merge."""
        found = {}
        self._email_to_id = {}
        for subscriber_id, email, name, tags, status in rows:
            if isinstance(tags, str):
                tags = json.loads(tags or "[]")
            found[subscriber_id] = (name, tags or [], status)
            self._email_to_id[email] = subscriber_id
        return found

    def _existing(self, cursor) -> dict[int, tuple[str, list, str]]:
        """SQLite: the staged addresses that are subscribers already. They come as one JSON
        document: sqlite3 lets go of the GIL for every row it steps through, and getting it
        back from the reading thread each time made a re-import three times slower."""
        cursor.execute(
            "SELECT json_group_array(json_array(s.id, s.email, s.name, json(s.tags), s.status)) "
            f"FROM {STAGE} t CROSS JOIN {SUB} s ON s.publication_id = %s AND s.email = t.email",
            [self.publication_id],
        )
        return self._found(json.loads(cursor.fetchone()[0]))

    def _merge(self, cursor, rows, existing) -> set[int]:
        """Fill in a missing name and add new tags; nothing else of an existing row moves."""
        updates = []
        for row in rows:
            subscriber_id = self._email_to_id.get(row.email)
            if subscriber_id is None:
                continue
            name, tags, _status = existing[subscriber_id]
            new_name = name or row.name
            new_tags = sorted(set(tags) | set(row.tags)) if not set(row.tags) <= set(tags) else tags
            if new_name != name or new_tags is not tags:
                updates.append(
                    (
                        new_name,
                        json.dumps(new_tags, ensure_ascii=False),
                        self.db_now,
                        subscriber_id,
                    )
                )
        if updates:
            cursor.executemany(
                f"UPDATE {SUB} SET name = %s, tags = %s{'::jsonb' if self.pg else ''}, "
                "updated_at = %s WHERE id = %s",
                updates,
            )
        return {u[3] for u in updates}

    def _insert_and_subscribe_sqlite(self, cursor) -> dict[str, int]:
        """SQLite: add the new addresses and put them on the newsletters; returns how many
        were added, per status. The rows one INSERT adds get the ids above the largest before it; those
        of this import among them are this batch's (another writer may have added rows of
        its own in between)."""
        now = self.db_now
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {SUB}")
        before = cursor.fetchone()[0]
        # The unique (publication, email) index decides what is new, also against a reader
        # who subscribes through the form while the import runs.
        cursor.execute(
            f"INSERT OR IGNORE INTO {SUB} ({INSERT_COLUMNS}) "
            "SELECT %s, t.email, t.name, t.status, 'import', t.tags, '', t.created_at, "
            "CASE WHEN t.status = 'active' THEN %s END, "
            "CASE WHEN t.status = 'unsubscribed' THEN %s END, "
            f"NULL, NULL, NULL, 0, %s, %s FROM {STAGE} t",
            [self.publication_id, now, now, now, self.import_run.pk],
        )
        if not cursor.rowcount:
            return {}
        cursor.execute(
            f"SELECT status, count(*) FROM {SUB} WHERE id > %s AND import_run_id = %s "
            "GROUP BY status",
            [before, self.import_run.pk],
        )
        added = dict(cursor.fetchall())
        if self.newsletter_ids:
            marks = ", ".join(["%s"] * len(SUPPRESSED))
            cursor.execute(
                f"INSERT OR IGNORE INTO {SUBSCRIPTION} (subscriber_id, newsletter_id, created_at) "
                f"SELECT s.id, n.value, %s FROM {SUB} s CROSS JOIN json_each(%s) n "
                f"WHERE s.id > %s AND s.import_run_id = %s AND s.status NOT IN ({marks})",
                [now, json.dumps(self.newsletter_ids), before, self.import_run.pk, *SUPPRESSED],
            )
        return added

    def _insert_and_subscribe(
        self, cursor
    ) -> tuple[dict[str, int], dict[int, tuple[str, list, str]]]:
        """PostgreSQL, one statement: add the new addresses, put them on the newsletters (no
        ids travel to the client and back) and read the staged addresses that were not added,
        which are the existing subscribers. Returns ({status: how many were added}, existing).

        Inserting first means only those few rows are looked up; looking every staged address
        up before the insert cost a second index probe per row. The look-up sees the table as
        it was when the statement began, so the rows it adds are not among the existing. A
        LATERAL look-up with LIMIT 1 cannot be flattened: one unique-index probe per address
        whatever the statistics say (the table grows faster than autovacuum's statistics
        during an import, and with stale ones the planner would scan the publication)."""
        now = self.now
        marks = ", ".join(["%s"] * len(SUPPRESSED))
        cursor.execute(
            f"WITH new AS (INSERT INTO {SUB} ({INSERT_COLUMNS}) "
            "SELECT %s, t.email, t.name, t.status, 'import', t.tags::jsonb, '', t.created_at, "
            "CASE WHEN t.status = 'active' THEN %s::timestamptz END, "
            "CASE WHEN t.status = 'unsubscribed' THEN %s::timestamptz END, "
            f"NULL, NULL, NULL, 0, %s, %s FROM {STAGE} t "
            "ON CONFLICT (publication_id, email) DO NOTHING RETURNING id, email, status), "
            f"joined AS (INSERT INTO {SUBSCRIPTION} (subscriber_id, newsletter_id, created_at) "
            "SELECT n.id, l.id, %s FROM new n CROSS JOIN unnest(%s::bigint[]) AS l(id) "
            f"WHERE n.status NOT IN ({marks}) "
            "ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING) "
            f"SELECT s.id, s.email, s.name, s.tags, s.status FROM {STAGE} t "
            "CROSS JOIN LATERAL (SELECT id, email, name, tags, status "
            f"FROM {SUB} WHERE publication_id = %s AND email = t.email LIMIT 1) s "
            "WHERE NOT EXISTS (SELECT FROM new n WHERE n.email = t.email) "
            # The counts of added rows per status ride along as rows without an id.
            "UNION ALL SELECT NULL, status, NULL, NULL, count(*)::text FROM new GROUP BY status",
            [
                self.publication_id,
                now,
                now,
                now,
                self.import_run.pk,
                now,
                self.newsletter_ids,
                *SUPPRESSED,
                self.publication_id,
            ],
        )
        rows = cursor.fetchall()
        added = {row[1]: int(row[4]) for row in rows if row[0] is None}
        return added, self._found(row for row in rows if row[0] is not None)

    def _pairs(self, cursor, table: str, ids: list[int]) -> set[tuple[int, int]]:
        """(subscriber, newsletter) pairs of `table` for these subscribers and newsletters."""
        wanted = set(self.newsletter_ids)
        if self.pg:
            # Per-subscriber index probes whatever the (stale) statistics say; see
            # _insert_and_subscribe.
            cursor.execute(
                "SELECT p.subscriber_id, p.newsletter_id FROM unnest(%s::bigint[]) AS u(id) "
                "CROSS JOIN LATERAL (SELECT subscriber_id, newsletter_id FROM "
                f"{table} WHERE subscriber_id = u.id OFFSET 0) p",
                [ids],
            )
            return {pair for pair in cursor.fetchall() if pair[1] in wanted}
        # One JSON document in and one out, for the reason _existing gives.
        cursor.execute(
            "SELECT json_group_array(json_array(subscriber_id, newsletter_id)) "
            f"FROM {table} WHERE subscriber_id IN (SELECT value FROM json_each(%s))",
            [json.dumps(ids)],
        )
        return {tuple(pair) for pair in json.loads(cursor.fetchone()[0]) if pair[1] in wanted}

    def _subscribe(self, cursor, existing) -> set[int]:
        """Put the existing subscribers who may be mailed on the import's newsletters, except
        where the reader left that newsletter before. Returns those that joined one."""
        old = [i for i, (_n, _t, status) in existing.items() if status not in SUPPRESSED]
        if not self.newsletter_ids or not old:
            return set()
        skip = self._pairs(cursor, SUBSCRIPTION, old) | self._pairs(cursor, OPT_OUT, old)
        pairs = [
            (subscriber_id, newsletter_id)
            for newsletter_id in self.newsletter_ids
            for subscriber_id in old
            if (subscriber_id, newsletter_id) not in skip
        ]
        if not pairs:
            return set()
        now = self.db_now
        if self.pg:
            cursor.execute(
                f"INSERT INTO {SUBSCRIPTION} (subscriber_id, newsletter_id, created_at) "
                "SELECT unnest(%s::bigint[]), unnest(%s::bigint[]), %s "
                "ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING",
                [[p[0] for p in pairs], [p[1] for p in pairs], now],
            )
        else:
            cursor.execute(
                f"INSERT OR IGNORE INTO {SUBSCRIPTION} (subscriber_id, newsletter_id, created_at) "
                "SELECT json_extract(p.value, '$[0]'), json_extract(p.value, '$[1]'), %s "
                "FROM json_each(%s) p",
                [now, json.dumps(pairs)],
            )
        return {sid for sid, _nid in pairs}

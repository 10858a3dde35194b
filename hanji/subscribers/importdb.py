"""The database half of an import: a staging table and set-based statements per batch.

SQLite: the batch goes into a TEMP table by executemany; INSERT OR IGNORE … SELECT … RETURNING
adds the new subscribers. PostgreSQL: COPY into a TEMP table, then INSERT … SELECT … ON
CONFLICT DO NOTHING RETURNING. Both read existing subscribers with one join per batch and
use the unique (publication, email) index for it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from django.db import connection

from hanji.subscribers.models import (
    SUPPRESSED_STATUSES,
    ConsentEvent,
    Import,
    NewsletterOptOut,
    Subscriber,
    SubscriberStatus,
    Subscription,
)

STAGE = "hanji_import_stage"
SUB = Subscriber._meta.db_table
SUBSCRIPTION = Subscription._meta.db_table
OPT_OUT = NewsletterOptOut._meta.db_table
CONSENT = ConsentEvent._meta.db_table
SUPPRESSED = tuple(str(s) for s in SUPPRESSED_STATUSES)


class Stage:
    def __init__(self, import_run: Import, now: datetime):
        self.import_run = import_run
        self.publication_id = import_run.publication_id
        self.newsletter_ids = list(import_run.newsletter_ids)
        self.now = now
        self.pg = connection.vendor == "postgresql"
        self.channel = f"import #{import_run.pk}: {import_run.filename}"[:200]
        self.statement = import_run.consent
        # The staging table drives every join: one index look-up per staged address. SQLite's
        # planner has no statistics for a fresh table and may pick the other order (a scan
        # of the staging table per subscriber); CROSS JOIN fixes the order there.
        self.join = "JOIN" if self.pg else "CROSS JOIN"

    def __enter__(self):
        with connection.cursor() as cursor:
            if self.pg:
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (email text, name text, "
                    "tags text, created_at timestamptz, status varchar(12))"
                )
            else:
                cursor.execute(
                    f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (email TEXT, name TEXT, "
                    "tags TEXT, created_at TEXT, status TEXT)"
                )
        return self

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        return False

    # --- one batch ------------------------------------------------------------------------

    def _dt(self, value: datetime):
        if self.pg:
            return value
        # What Django's SQLite backend stores (UTC, naive, str()), without its per-call cost.
        return str(value.astimezone(UTC).replace(tzinfo=None))

    def _load(self, cursor, rows) -> None:
        cursor.execute(f"DELETE FROM {STAGE}")
        tuples = [
            (
                r.email,
                r.name,
                json.dumps(r.tags, ensure_ascii=False) if r.tags else "[]",
                self._dt(r.created),
                r.status,
            )
            for r in rows
        ]
        if self.pg:
            with cursor.cursor.copy(
                f"COPY {STAGE} (email, name, tags, created_at, status) FROM STDIN"
            ) as copy:
                for item in tuples:
                    copy.write_row(item)
            cursor.execute(f"ANALYZE {STAGE}")
        else:
            cursor.executemany(
                f"INSERT INTO {STAGE} (email, name, tags, created_at, status) "
                "VALUES (%s, %s, %s, %s, %s)",
                tuples,
            )

    def write(self, rows, counts) -> None:
        with connection.cursor() as cursor:
            self._load(cursor, rows)
            existing = self._existing(cursor)
            updated = self._merge(cursor, rows, existing)
            new_ids = self._insert(cursor)
            self._subscribe(cursor)
            if new_ids:
                self._log_consent(cursor, new_ids)
            joined = self._joined_existing(cursor, existing) if existing else set()
        for subscriber_id, (_name, _tags, status) in existing.items():
            if status in SUPPRESSED:
                counts.suppressed += 1
            elif subscriber_id in updated or subscriber_id in joined:
                counts.merged += 1
            else:
                counts.unchanged += 1
        counts.created += len(new_ids)

    def _existing(self, cursor) -> dict[int, tuple[str, list, str]]:
        cursor.execute(
            f"SELECT s.id, s.email, s.name, s.tags, s.status FROM {STAGE} t "
            f"{self.join} {SUB} s ON s.publication_id = %s AND s.email = t.email",
            [self.publication_id],
        )
        found = {}
        self._email_to_id = {}
        for subscriber_id, email, name, tags, status in cursor.fetchall():
            if isinstance(tags, str):
                tags = json.loads(tags or "[]")
            found[subscriber_id] = (name, tags or [], status)
            self._email_to_id[email] = subscriber_id
        return found

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
                        self._dt(self.now),
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

    def _insert(self, cursor) -> list[tuple[int, str]]:
        now = self._dt(self.now)
        active = str(SubscriberStatus.ACTIVE)
        columns = (
            "publication_id, email, name, status, source, tags, notes, created_at, "
            "confirmed_at, unsubscribed_at, advertising_consent_at, night_consent_at, "
            "advertising_reminded_at, token_version, updated_at"
        )
        select = (
            f"SELECT %s, t.email, t.name, t.status, 'import', t.tags{'::jsonb' if self.pg else ''}, "
            f"'', t.created_at, CASE WHEN t.status = %s THEN %s{'::timestamptz' if self.pg else ''} END, "
            f"CASE WHEN t.status = 'unsubscribed' THEN %s{'::timestamptz' if self.pg else ''} END, "
            f"NULL, NULL, NULL, 0, %s FROM {STAGE} t "
            f"WHERE NOT EXISTS (SELECT 1 FROM {SUB} s WHERE s.publication_id = %s AND s.email = t.email)"
        )
        params = [self.publication_id, active, now, now, now, self.publication_id]
        if self.pg:
            sql = (
                f"INSERT INTO {SUB} ({columns}) {select} "
                "ON CONFLICT (publication_id, email) DO NOTHING RETURNING id"
            )
        else:
            sql = f"INSERT OR IGNORE INTO {SUB} ({columns}) {select} RETURNING id"
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]

    def _subscribe(self, cursor) -> None:
        """Every staged address that may receive mail joins the import's newsletters, unless
        it left that newsletter before."""
        marks = ", ".join(["%s"] * len(SUPPRESSED))
        conflict = "ON CONFLICT (newsletter_id, subscriber_id) DO NOTHING" if self.pg else ""
        verb = "INSERT INTO" if self.pg else "INSERT OR IGNORE INTO"
        for newsletter_id in self.newsletter_ids:
            cursor.execute(
                f"{verb} {SUBSCRIPTION} (subscriber_id, newsletter_id, created_at) "
                f"SELECT s.id, %s, %s FROM {STAGE} t "
                f"{self.join} {SUB} s ON s.publication_id = %s AND s.email = t.email "
                f"WHERE s.status NOT IN ({marks}) AND NOT EXISTS (SELECT 1 FROM {OPT_OUT} o "
                f"WHERE o.newsletter_id = %s AND o.subscriber_id = s.id) {conflict}",
                [
                    newsletter_id,
                    self._dt(self.now),
                    self.publication_id,
                    *SUPPRESSED,
                    newsletter_id,
                ],
            )

    def _joined_existing(self, cursor, existing) -> set[int]:
        """Existing subscribers that this batch put on a newsletter (they count as merged)."""
        if not self.newsletter_ids:
            return set()
        ids = list(existing)
        found: set[int] = set()
        for start in range(0, len(ids), 5000):
            chunk = ids[start : start + 5000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"SELECT DISTINCT subscriber_id FROM {SUBSCRIPTION} "
                f"WHERE subscriber_id IN ({marks}) AND created_at = %s",
                [*chunk, self._dt(self.now)],
            )
            found.update(r[0] for r in cursor.fetchall())
        return found

    def _log_consent(self, cursor, new_ids: list[int]) -> None:
        action = "import" if self.import_run.status != SubscriberStatus.ACTIVE else "import-active"
        if self.pg:
            cursor.execute(
                f"INSERT INTO {CONSENT} (publication_id, subscriber_id, email, action, statement, "
                "channel, ip, user_agent, created_at) "
                f"SELECT s.publication_id, s.id, s.email, %s, %s, %s, NULL, '', %s FROM {SUB} s "
                "WHERE s.id = ANY(%s)",
                [action, self.statement, self.channel, self.now, new_ids],
            )
            return
        now = self._dt(self.now)
        for start in range(0, len(new_ids), 10_000):
            chunk = new_ids[start : start + 10_000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"INSERT INTO {CONSENT} (publication_id, subscriber_id, email, action, statement, "
                "channel, ip, user_agent, created_at) "
                f"SELECT s.publication_id, s.id, s.email, %s, %s, %s, NULL, '', %s FROM {SUB} s "
                f"WHERE s.id IN ({marks})",
                [action, self.statement, self.channel, now, *chunk],
            )

"""Benchmark: import 1,000,000 subscribers from CSV, count segments, export.

    HANJI_DATA_DIR=var/bench .venv/bin/python -m bench.subscribers            # SQLite
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_subs \\
        HANJI_DATA_DIR=var/bench .venv/bin/python -m bench.subscribers        # PostgreSQL

Budget (DESIGN.md): import under 20 s on each database, peak memory under 300 MB and flat;
segment count under 200 ms on PostgreSQL. BENCH_SUBSCRIBERS_ROWS changes the row count.
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROWS = int(os.environ.get("BENCH_SUBSCRIBERS_ROWS", "1000000"))
SLUG = "bench-subscribers"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hanji.settings")
    os.environ.setdefault("HANJI_DATA_DIR", "var/bench")
    import django
    from django.conf import settings

    if not settings.configured or not django.apps.apps.ready:
        django.setup()


def generate_csv(path: Path, rows: int, seed: int = 7) -> None:
    """A realistic export: Korean names, some tags (one common, one rare), 1% duplicates, 0.1%
    bad addresses."""
    rng = random.Random(seed)
    family = "김이박최정강조윤장임한오서신권황안송류홍"
    given = ["민준", "서연", "도윤", "하은", "지호", "수아", "예준", "지유", "주원", "서윤"]
    domains = ["gmail.com", "naver.com", "daum.net", "kakao.com", "hanmail.net", "example.co.kr"]
    start = datetime(2020, 1, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("email,name,tags,created\n")
        for i in range(rows):
            roll = rng.random()
            if roll < 0.001:
                email = f"broken-{i}-at-nowhere"
            elif roll < 0.011 and i > 10:
                email = f"user{rng.randrange(i)}@{domains[rng.randrange(i) % 6]}"
            else:
                email = f"user{i}@{domains[i % 6]}"
            name = rng.choice(family) + rng.choice(given) if rng.random() < 0.7 else ""
            tags = "vip" if i % 10 == 0 else ("seoul, 2024" if i % 7 == 0 else "")
            if i % 1000 == 3:
                tags = "founding"  # a small group, as most tags are
            created = (start + timedelta(minutes=3 * i)).strftime("%Y-%m-%d %H:%M:%S")
            out.write(f'{email},{name},"{tags}",{created}\n')


class MemorySampler(threading.Thread):
    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.samples: list[int] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            self.samples.append(self.process.memory_info().rss)
            time.sleep(self.interval)

    def stop(self) -> dict:
        self.running = False
        self.join()
        mb = [s / 2**20 for s in self.samples] or [0]
        quarter = max(1, len(mb) // 4)
        return {
            "start_mb": round(mb[0], 1),
            "peak_mb": round(max(mb), 1),
            "quartiles_mb": [
                round(max(mb[i : i + quarter]), 1) for i in range(0, len(mb), quarter)
            ][:4],
        }


def _clean(publication_id: int) -> None:
    from django.db import connection

    from hanji.subscribers.models import ConsentEvent, Import, Newsletter, Subscriber, Subscription

    with connection.cursor() as cursor:
        newsletter_ids = list(
            Newsletter.objects.filter(publication_id=publication_id).values_list("id", flat=True)
        )
        for model, column, value in (
            (ConsentEvent, "publication_id", [publication_id]),
            (Subscription, "newsletter_id", newsletter_ids),
            (Subscriber, "publication_id", [publication_id]),
        ):
            for item in value:
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE {column} = %s", [item])
    Import.objects.filter(publication_id=publication_id).delete()


def _timed(function, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main() -> dict:
    _setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import QuerySet

    from hanji.publications.models import Publication
    from hanji.subscribers.exporter import write_csv
    from hanji.subscribers.importer import create_import, run_import
    from hanji.subscribers.models import Newsletter, Segment
    from hanji.subscribers.queries import recipient_count, segment_count, segment_recipients

    call_command("migrate", verbosity=0)
    vendor = connection.vendor
    publication, _ = Publication.objects.get_or_create(slug=SLUG, defaults={"name": "벤치마크"})
    _clean(publication.pk)
    weekly, _ = Newsletter.objects.get_or_create(
        publication=publication, slug="weekly", defaults={"name": "주간"}
    )
    figures: dict = {"database": vendor, "rows": ROWS, "date": datetime.now(UTC).date().isoformat()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "subscribers.csv"
        started = time.perf_counter()
        generate_csv(path, ROWS)
        figures["generate_s"] = round(time.perf_counter() - started, 2)
        figures["file_mb"] = round(path.stat().st_size / 2**20, 1)

        sampler = MemorySampler()
        sampler.start()
        started = time.perf_counter()
        import_run = run_import(create_import(publication, str(path), newsletters=[weekly]).pk)
        figures["import_s"] = round(time.perf_counter() - started, 2)
        figures["import_memory"] = sampler.stop()
        figures["rows_per_s"] = round(ROWS / figures["import_s"])
        figures["created"] = import_run.created_count
        figures["merged"] = import_run.merged_count
        figures["rejected"] = import_run.rejected_count

        started = time.perf_counter()
        again = run_import(create_import(publication, str(path), newsletters=[weekly]).pk)
        figures["reimport_s"] = round(time.perf_counter() - started, 2)
        figures["reimport_created"] = again.created_count

    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE subscribers_subscriber")
            cursor.execute("VACUUM ANALYZE subscribers_subscription")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    vip = Segment.objects.create(
        publication=publication, name="vip", tags=["vip"], newsletter=weekly
    )
    founding = Segment.objects.create(
        publication=publication, name="founding", tags=["founding"], newsletter=weekly
    )
    recent = Segment.objects.create(
        publication=publication,
        name="recent",
        statuses=["active"],
        signed_up_from=date(2024, 1, 1),
    )
    # What the studio shows before a send: segment_recipients(...).count() (fast path).
    figures["count_newsletter_ms"] = round(
        _timed(lambda: segment_recipients(publication, weekly).count()), 1
    )
    figures["count_newsletter"] = recipient_count(publication, weekly)
    # The same number by the plain join of subscriptions and subscribers, for comparison.
    figures["count_newsletter_join_ms"] = round(
        _timed(lambda: QuerySet.count(segment_recipients(publication, weekly))), 1
    )
    figures["count_newsletter_join"] = QuerySet.count(segment_recipients(publication, weekly))
    figures["count_vip_ms"] = round(_timed(lambda: segment_count(vip)), 1)
    figures["count_vip"] = segment_count(vip)
    figures["count_rare_tag_ms"] = round(_timed(lambda: segment_count(founding)), 1)
    figures["count_rare_tag"] = segment_count(founding)
    figures["count_recent_ms"] = round(_timed(lambda: segment_count(recent)), 1)
    figures["count_recent"] = segment_count(recent)

    sampler = MemorySampler()
    sampler.start()
    started = time.perf_counter()
    with open(os.devnull, "w", encoding="utf-8") as out:
        exported = write_csv(out, publication, segment_recipients(publication, weekly))
    figures["export_s"] = round(time.perf_counter() - started, 2)
    figures["export_rows"] = exported
    figures["export_memory"] = sampler.stop()
    Segment.objects.filter(pk__in=[vip.pk, founding.pk, recent.pk])._raw_delete(connection.alias)

    for key, value in figures.items():
        print(f"subscribers.{key}: {value}")
    return figures


if __name__ == "__main__":
    from bench import run_alone

    run_alone("subscribers", main)

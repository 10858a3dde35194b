"""Benchmark: analytics at 10,000,000 events over 1,000 posts and 1,000,000 subscribers
(PostgreSQL, issue 15).

    .venv/bin/python -m bench.analytics              the full size
    .venv/bin/python -m bench.analytics --scale 0.01 a quick smoke run (tests/analytics runs it)

1. Populate with INSERT … SELECT generate_series (never the ORM): 1,000 posts; 90 days of
   their daily figures (PostDay), views by source (PostSourceDay, SourceDay); 1,000,000
   subscribers with their SignupSource and SubscriberDay; 10,000,000 raw view rows
   (DayVisitor) over the last 10 days, a million a day.
2. The publication analytics screen (last 30 days, and 90 days) and one post's analytics,
   through Django's test client (the server's own work), cold (cache cleared, first request)
   and warm (median of 7). Budget: under 300 ms each.
3. The roll-up of a day's events: a day's views (1,000,000 at full size: 10,000,000 events
   over 10 days) through hanji.analytics.actions.add_views in the view fold's batches of
   50,000, each in its own transaction; and the purge of a day's raw rows (purge_raw).
   Budget: under 30 s each.

It builds its own database, `bench_analytics` (BENCH_ANALYTICS_DATABASE_URL to change), in a
child process.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench import child_figures, measure_page, pages_within, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_ANALYTICS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_analytics"
)
PAGE_BUDGET_MS = 300
ROLLUP_BUDGET_S = 30
SLUG = "bench-analytics"
DAYS = 90
RAW_DAYS = 10
FOLD_BATCH = 50_000


def sizes(scale: float) -> dict[str, int]:
    return {
        "posts": max(10, int(1_000 * min(1.0, scale * 10))),
        "events": max(10_000, int(10_000_000 * scale)),
        "subscribers": max(1_000, int(1_000_000 * scale)),
    }


def _copy_posts(cursor, publication_id: int, template_id: int, count: int) -> None:
    """`count` published posts like the template one, by one INSERT … SELECT."""
    from hanji.posts.models import Post

    columns = [f.column for f in Post._meta.concrete_fields if f.column != "id"]
    chosen = []
    for column in columns:
        if column == "slug":
            chosen.append("'post-' || g")
        elif column == "title":
            chosen.append("'벤치마크 글 ' || g")
        elif column == "published_at":
            chosen.append("now() - (g * interval '2 hours')")
        else:
            chosen.append(f'p."{column}"')
    names = ", ".join(f'"{c}"' for c in columns)
    cursor.execute(
        f"INSERT INTO posts_post ({names}) SELECT {', '.join(chosen)} "
        "FROM posts_post p, generate_series(1, %s) AS g WHERE p.id = %s",
        [count, template_id],
    )


def _populate(size: dict[str, int]) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from hanji.analytics.models import DayVisitor
    from hanji.analytics.signups import local_day
    from hanji.posts.actions import publish_post, save_post
    from hanji.publications.models import Publication, Role, TeamMember

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    publication = Publication.objects.create(name="벤치마크 레터", slug=SLUG)
    owner = get_user_model().objects.create_user("owner@example.com", "owner@example.com", "pw-1")
    TeamMember.objects.create(publication=publication, user=owner, role=Role.OWNER)
    template = publish_post(save_post(publication, title="원본", body_markdown="본문 " * 200))
    today = local_day(publication)
    first = today - timedelta(days=DAYS - 1)
    pub = publication.pk
    with connection.cursor() as cursor:
        _copy_posts(cursor, pub, template.pk, size["posts"] - 1)
        # Daily figures: every post every day, views spread unevenly (some posts are hits).
        cursor.execute(
            """
            INSERT INTO analytics_postday (post_id, day, views, visitors, signups, paid_signups)
            SELECT p.id, %(first)s::date + d, (p.id * 7 + d * 13) %% 400 + 5,
                   (p.id * 7 + d * 13) %% 300 + 3, (p.id + d) %% 5, (p.id + d) %% 23 / 22
            FROM posts_post p, generate_series(0, %(days)s - 1) AS d
            WHERE p.publication_id = %(pub)s
            """,
            {"first": first, "days": DAYS, "pub": pub},
        )
        # Sources: 6 channels plus 4 referrer hosts and 2 utm sources a post a day.
        cursor.execute(
            """
            INSERT INTO analytics_postsourceday (post_id, day, channel, name, views)
            SELECT p.id, %(first)s::date + d, s.channel, s.name, (p.id + d + s.k) %% 50 + 1
            FROM posts_post p, generate_series(0, %(days)s - 1) AS d,
                 (VALUES (1, 'direct', ''), (2, 'internal', ''), (3, 'email', ''),
                         (4, 'search', 'google.com'), (5, 'search', 'search.naver.com'),
                         (6, 'social', 't.co'), (7, 'site', 'blog.example.org'),
                         (8, 'utm', 'newsletter'), (9, 'utm', 'kakao')) AS s(k, channel, name)
            WHERE p.publication_id = %(pub)s
            """,
            {"first": first, "days": DAYS, "pub": pub},
        )
        cursor.execute(
            """
            INSERT INTO analytics_sourceday (publication_id, day, channel, name, views)
            SELECT %(pub)s, day, channel, name, sum(views) FROM analytics_postsourceday
            GROUP BY day, channel, name
            """,
            {"pub": pub},
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber
                (publication_id, email, name, status, source, tags, notes, created_at,
                 confirmed_at, unsubscribed_at, token_version, updated_at)
            SELECT %(pub)s, 'reader' || g || '@example.org', '',
                   CASE WHEN g %% 9 = 0 THEN 'unsubscribed' ELSE 'active' END,
                   CASE WHEN g %% 10 = 0 THEN 'import' ELSE 'form' END, '[]'::jsonb, '',
                   now() - (g %% %(days)s) * interval '1 day',
                   now() - (g %% %(days)s) * interval '1 day',
                   CASE WHEN g %% 9 = 0 THEN now() - (g %% 7) * interval '1 day' END, 0, now()
            FROM generate_series(1, %(n)s) AS g
            """,
            {"pub": pub, "n": size["subscribers"], "days": DAYS},
        )
        cursor.execute(
            """
            INSERT INTO analytics_signupsource
                (subscriber_id, publication_id, kind, post_id, channel, referrer_host,
                 utm_source, utm_medium, utm_campaign, created_at, gained_on)
            SELECT s.id, %(pub)s,
                   (ARRAY['post', 'home', 'embed', 'page', 'api'])[s.id %% 5 + 1],
                   CASE WHEN s.id %% 5 = 0 THEN p.ids[s.id %% cardinality(p.ids) + 1] END,
                   (ARRAY['direct', 'search', 'social', 'email', 'site'])[s.id %% 5 + 1],
                   '', '', '', '', s.created_at, s.created_at::date
            FROM subscribers_subscriber s, (SELECT array_agg(id ORDER BY id) AS ids
                FROM posts_post WHERE publication_id = %(pub)s) AS p
            WHERE s.publication_id = %(pub)s AND s.source = 'form'
            """,
            {"pub": pub},
        )
        cursor.execute(
            """
            INSERT INTO analytics_subscriberday (publication_id, day, kind, gained, lost)
            SELECT %(pub)s, %(first)s::date + d, k.kind,
                   (%(n)s / %(days)s / 7) + (d * 3 + k.i) %% 20, (d + k.i) %% 15
            FROM generate_series(0, %(days)s - 1) AS d,
                 (VALUES (1, 'post'), (2, 'home'), (3, 'embed'), (4, 'page'), (5, 'api'),
                         (6, 'import'), (7, 'studio')) AS k(i, kind)
            """,
            {"pub": pub, "first": first, "days": DAYS, "n": size["subscribers"]},
        )
        # The raw rows: events over the last RAW_DAYS days, one visitor per event, written
        # without their primary key, which is then built once (as a restore would; inserting
        # 10,000,000 rows into two b-trees took over 15 minutes on the loaded machine).
        per_day = size["events"] // RAW_DAYS
        table = DayVisitor._meta.db_table
        cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {table}_pkey")
        cursor.execute(
            """
            INSERT INTO analytics_dayvisitor (post_id, day, visitor)
            SELECT p.ids[g / %(raw)s %% cardinality(p.ids) + 1], %(today)s::date - (g %% %(raw)s),
                   'v' || g
            FROM generate_series(0, %(n)s - 1) AS g, (SELECT array_agg(id ORDER BY id) AS ids
                FROM posts_post WHERE publication_id = %(pub)s) AS p
            """,
            {"today": today, "raw": RAW_DAYS, "n": per_day * RAW_DAYS, "pub": pub},
        )
        cursor.execute(f"ALTER TABLE {table} ADD PRIMARY KEY (day, post_id, visitor)")
        cursor.execute("VACUUM ANALYZE")
    return {"populate_s": round(time.perf_counter() - started, 1), "publication_id": pub}


def _rollup(publication_id: int, events: int, posts: list[int]) -> dict:
    """A day's views through the fold's own aggregation, in fold-sized batches."""
    from django.db import transaction

    from hanji.analytics.actions import add_views

    sources = [
        "search:google.com|||",
        "social:t.co|kakao||",
        "direct:|||",
        "email:|newsletter|email|",
    ]
    base = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0).timestamp()
    started = time.perf_counter()
    done = 0
    while done < events:
        count = min(FOLD_BATCH, events - done)
        batch = [
            (
                posts[(done + i) % len(posts)],
                f"r{(done + i) * 2654435761 % 10**12:012d}",
                base + 3 * 3600 + (done + i) % 3600,
                sources[(done + i) % 4],
            )
            for i in range(count)
        ]
        with transaction.atomic():
            add_views(batch)
        done += count
    return {"rollup_events": events, "rollup_s": round(time.perf_counter() - started, 1)}


def child(scale: float) -> dict:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("HANJI_DATA_DIR", str(ROOT / "var" / "bench-analytics"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "hanji.settings"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from hanji.analytics.actions import purge_raw
    from hanji.analytics.models import DayVisitor
    from hanji.analytics.signups import local_day
    from hanji.posts.models import Post
    from hanji.publications.models import Publication

    settings.ALLOWED_HOSTS = ["*"]
    size = sizes(scale)
    figures = _populate(size)
    publication = Publication.objects.get(slug=SLUG)
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(get_user_model().objects.get(username="owner@example.com"))
    today = local_day(publication)
    post = Post.objects.filter(publication=publication, slug="post-1").get()
    quarter = f"?from={today - timedelta(days=DAYS - 1)}&to={today}"
    pages = {
        "publication_30_days": f"/studio/p/{SLUG}/analytics/",
        "publication_90_days": f"/studio/p/{SLUG}/analytics/{quarter}",
        "post_30_days": f"/studio/p/{SLUG}/posts/{post.pk}/analytics/",
        "post_90_days": f"/studio/p/{SLUG}/posts/{post.pk}/analytics/{quarter}",
    }
    client.get(pages["post_30_days"])  # imports and templates, not the data
    for name, url in pages.items():
        figures[name] = measure_page(client, url)
    posts = list(Post.objects.filter(publication=publication).values_list("pk", flat=True))
    figures.update(_rollup(publication.pk, size["events"] // RAW_DAYS, posts))
    figures["raw_rows_before_purge"] = DayVisitor.objects.count()
    started = time.perf_counter()
    # The raw rows span today and the RAW_DAYS - 1 days before; keeping RAW_DAYS - 2 days
    # deletes exactly the oldest day's rows.
    settings.HANJI_ANALYTICS_RAW_DAYS = RAW_DAYS - 2
    figures["purged_rows"] = purge_raw(today=today)
    figures["purge_s"] = round(time.perf_counter() - started, 1)
    figures.update(size, scale=scale)
    figures["within_budget"] = (
        figures["rollup_s"] < ROLLUP_BUDGET_S
        and figures["purge_s"] < ROLLUP_BUDGET_S
        and pages_within(figures, pages, PAGE_BUDGET_MS)
    )
    return figures


def run(scale: float = 1.0) -> dict:
    recreate_database(DATABASE_URL)
    return child_figures("bench.analytics", "--scale", str(scale))


def report(figures: dict) -> None:
    print(
        f"analytics: {figures['events']:,} events, {figures['posts']:,} posts,"
        f" {figures['subscribers']:,} subscribers (PostgreSQL, scale {figures['scale']})"
    )
    print(f"  populate: {figures['populate_s']} s")
    for name in ("publication_30_days", "publication_90_days", "post_30_days", "post_90_days"):
        f = figures[name]
        print(
            f"  {name:20} cold {f['cold_ms']:7.1f} ms   warm median {f['warm_median_ms']:6.1f} ms"
        )
    print(
        f"  roll-up of a day ({figures['rollup_events']:,} views): {figures['rollup_s']} s;"
        f" purge of a day ({figures['purged_rows']:,} raw rows): {figures['purge_s']} s"
        f"  budget {ROLLUP_BUDGET_S} s"
    )
    print(f"  budgets: {'met' if figures['within_budget'] else 'MISSED'}")


def main(scale: float | None = None) -> dict:
    scale = scale if scale is not None else float(os.environ.get("BENCH_ANALYTICS_SCALE", "1"))
    figures = run(scale)
    report(figures)
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.analytics")
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 10,000,000 events")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.scale)))
    else:
        from bench import run_alone

        run_alone("analytics", lambda: main(args.scale))

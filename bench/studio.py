"""Benchmark: server time of the studio's dashboard, post list and subscriber list with
1,000,000 subscribers and 1,000 posts on PostgreSQL.

    .venv/bin/python -m bench.studio

Budget (issue 5): each page under 300 ms at the server, no query per row (counted: every
request's queries are captured; the lists show 50 rows a page, so a query per row would be
50 or more, and the verdict asks for fewer than MAX_QUERIES). The pages are
requested through Django's test client in one process (the server's own work: middleware,
queries, templates; no network). Each page is measured cold (the cache of dashboard figures
emptied first) and warm (median of several requests).

It builds its own database, `bench_studio` on the local PostgreSQL (BENCH_STUDIO_DATABASE_URL
to change), in a child process, so the figures never mix with another benchmark's settings.
BENCH_STUDIO_SUBSCRIBERS changes the row count.

Then, on the same database, `hanji web` + `hanji worker` serve the studio on loopback and
Chromium measures the time from a click on a post in the post list to a usable editor
(bench/_editor_click.py; budget under 1 s, issue 12). BENCH_STUDIO_EDITOR=0 skips it.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from bench import child_figures, measure_page, pages_within, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_STUDIO_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_studio"
)
SUBSCRIBERS = int(os.environ.get("BENCH_STUDIO_SUBSCRIBERS", "1000000"))
POSTS = 1000
BUDGET_MS = 300
EDITOR_BUDGET_MS = 1000
ROWS_PER_PAGE = 50
MAX_QUERIES = 25  # well under one per row of a 50-row page
SLUG = "bench-studio"
OWNER, PASSWORD = "owner@example.com", "bench-secret-1"
DATA_DIR = ROOT / "var" / "bench-studio"


def _populate() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from hanji.posts.models import Post
    from hanji.publications.models import Publication, Role, TeamMember
    from hanji.subscribers.models import Newsletter

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    publication = Publication.objects.create(name="벤치마크 레터", slug=SLUG)
    owner = get_user_model().objects.create_user(OWNER, OWNER, PASSWORD)
    TeamMember.objects.create(publication=publication, user=owner, role=Role.OWNER)
    newsletter = Newsletter.objects.create(publication=publication, name="주간", slug="weekly")
    now = timezone.now()
    Post.objects.bulk_create(
        Post(
            publication=publication,
            title=f"벤치마크 글 {i}",
            slug=f"post-{i}",
            body="<p>" + "한지 " * 300 + "</p>",
            status="published" if i % 10 else "draft",
            published_at=now - timezone.timedelta(hours=i) if i % 10 else None,
            view_count=i * 7,
        )
        for i in range(POSTS)
    )
    with connection.cursor() as cursor:
        # A million subscribers over three years, mostly active, in one statement each.
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber
                (publication_id, email, name, status, source, tags, notes, created_at,
                 confirmed_at, token_version, updated_at)
            SELECT %s, 'reader' || g || '@example.org', '독자' || g,
                   CASE WHEN g %% 20 = 0 THEN 'unsubscribed' WHEN g %% 50 = 1 THEN 'pending'
                        WHEN g %% 97 = 2 THEN 'bounced' ELSE 'active' END,
                   CASE WHEN g %% 3 = 0 THEN 'import' ELSE 'form' END,
                   CASE WHEN g %% 10 = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END, '',
                   now() - (g * interval '90 seconds'), now() - (g * interval '90 seconds'), 0, now()
            FROM generate_series(1, %s) AS g
            """,
            [publication.pk, SUBSCRIBERS],
        )
        cursor.execute(
            """
            INSERT INTO subscribers_subscription (subscriber_id, newsletter_id, created_at)
            SELECT id, %s, created_at FROM subscribers_subscriber WHERE publication_id = %s
            """,
            [newsletter.pk, publication.pk],
        )
        cursor.execute("VACUUM ANALYZE")
    populated = time.perf_counter()
    # The rows went in by hand in SQL, behind the actions' back: count them once, as
    # `hanji subscribers recount` does (the counters the studio reads, hanji.subscribers.counts).
    from hanji.subscribers import counts

    counts.recount(publication.pk)
    return {
        "populate_s": round(populated - started, 1),
        "recount_ms": round((time.perf_counter() - populated) * 1000, 1),
    }


def _tenth_page(client, url: str) -> str:
    """The post list's tenth page, by following "Older" nine times (keyset cursors)."""
    import re

    for _ in range(9):
        html = client.get(url).content.decode()
        url = re.search(r'href="([^"]*)" rel="next"', html).group(1).replace("&amp;", "&")
    return url


def child() -> dict:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("HANJI_DATA_DIR", str(DATA_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "hanji.settings"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    settings.ALLOWED_HOSTS = ["*"]
    figures = _populate()
    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(get_user_model().objects.get(username=OWNER))
    pages = {
        "dashboard": f"/studio/p/{SLUG}/",
        "post_list": f"/studio/p/{SLUG}/posts/",
        "subscriber_list": f"/studio/p/{SLUG}/subscribers/",
        "subscriber_list_filtered": f"/studio/p/{SLUG}/subscribers/?status=active&tag=vip",
        "post_list_page_10": _tenth_page(client, f"/studio/p/{SLUG}/posts/"),
    }
    client.get(pages["dashboard"])  # warm the process (imports, templates), not the cache
    for name, url in pages.items():
        figures[name] = measure_page(client, url)
    figures["subscribers"] = SUBSCRIBERS
    figures["posts"] = POSTS
    figures["budget_ms"] = BUDGET_MS
    figures["within_budget"] = pages_within(figures, pages, BUDGET_MS)
    figures["max_queries"] = MAX_QUERIES
    figures["no_query_per_row"] = all(figures[name]["cold_queries"] < MAX_QUERIES for name in pages)
    return figures


def main() -> dict:
    recreate_database(DATABASE_URL)
    figures = child_figures("bench.studio")
    print(
        f"studio pages with {figures['subscribers']:,} subscribers and {figures['posts']:,} posts (PostgreSQL)"
    )
    print(f"  populate: {figures['populate_s']} s; recount {figures['recount_ms']} ms")
    for name in (
        "dashboard",
        "post_list",
        "post_list_page_10",
        "subscriber_list",
        "subscriber_list_filtered",
    ):
        f = figures[name]
        print(
            f"  {name:26} cold {f['cold_ms']:7.1f} ms   warm median {f['warm_median_ms']:6.1f} ms"
            f"   max {f['warm_max_ms']:6.1f} ms   queries cold {f['cold_queries']}, warm {f['warm_queries']}"
        )
        print(
            f"  {'':26} cold SQL {f['cold_sql_ms']} ms, slowest {f['cold_slowest_sql_ms']} ms: "
            f"{f['cold_slowest_sql'][:90]}"
        )
    verdict = "met" if figures["within_budget"] else "MISSED"
    print(f"  budget {BUDGET_MS} ms per page (cold and warm): {verdict}")
    rows = "met" if figures["no_query_per_row"] else "MISSED"
    print(
        f"  no query per row (fewer than {MAX_QUERIES} queries on a {ROWS_PER_PAGE}-row page): {rows}"
    )
    if os.environ.get("BENCH_STUDIO_EDITOR", "1") != "0":
        figures["editor"] = editor_click()
    return figures


def editor_click() -> dict:
    """The click-to-editor time in Chromium, against `hanji web` on the bench database."""
    from bench import _editor_click
    from bench._pages_server import base_env, running

    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = base_env(DATABASE_URL=DATABASE_URL, HANJI_DATA_DIR=str(DATA_DIR))
    with running(env, log=DATA_DIR / "server.log") as stack:
        figures = _editor_click.measure(stack.url, SLUG, OWNER, PASSWORD)
        figures["server"] = stack.how
    print(f"  click in the post list to a usable editor, Chromium, {figures['server']}:")
    print(
        f"    cold (empty browser cache) {figures['cold_ms']} ms, median "
        f"{figures['cold_median_ms']} ms; warm median {figures['warm_median_ms']} ms, "
        f"max {figures['warm_max_ms']} ms"
    )
    print(
        f"    click to a typed character shown, from outside (with Playwright's round trips): "
        f"cold median {figures['typed_cold_median_ms']} ms, warm {figures['typed_warm_median_ms']} ms"
    )
    print(
        f"    static files of the editor page: {figures['static_transfer_kb']} KB on the wire, "
        f"{figures['static_body_kb']} KB decoded; bundle headers {figures['bundle_headers']}"
    )
    print(f"    phases of a cold click (ms after navigation start): {figures['cold_phases_ms']}")
    print(f"    phases of a warm click: {figures['warm_phases_ms']}")
    for asset in sorted(figures["assets"], key=lambda a: -a["body"])[:6]:
        print(
            f"      {asset['name'][:70]:70} {asset['transfer'] / 1024:7.1f} KB wire "
            f"{asset['body'] / 1024:7.1f} KB {asset['ms']:5d} ms"
        )
    worst = max(figures["cold_median_ms"], figures["warm_median_ms"])
    verdict = "met" if worst < EDITOR_BUDGET_MS else f"MISSED by {worst - EDITOR_BUDGET_MS} ms"
    print(f"    budget {EDITOR_BUDGET_MS} ms: {verdict}")
    return figures


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child()))
    else:
        from bench import run_alone

        run_alone("studio", main)

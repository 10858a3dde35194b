"""Benchmark: server time of a post's analytics screen (its email section included) when the
post's one send has 1,000,000 deliveries, on PostgreSQL.

    .venv/bin/python -m bench.mail

Budget (issue 15): under 300 ms at the server. The screen reads the send's figures
(hanji.analytics SendFigures, LinkFigures), never the deliveries or raw events, so its time
should not grow with the send; the benchmark proves it on a send of a million. The page is
requested through Django's test client in one process (middleware, queries, templates; no
network), cold (first request of the process after a warm-up of another page) and warm
(median of several).

It also times what the figures cost where they are kept: a million unique opens counted one
by one is what a send's readers do over days, so it measures 2,000 opens through
hanji.sending.events.opened (the pixel's own path) and reports the cost of one; and the
rebuild of the send's figures from its million deliveries (`hanji analytics rebuild`).

It builds its own database, `bench_mail` on the local PostgreSQL (BENCH_MAIL_DATABASE_URL
to change), in a child process. BENCH_MAIL_DELIVERIES changes the row count.
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
    "BENCH_MAIL_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_mail"
)
DELIVERIES = int(os.environ.get("BENCH_MAIL_DELIVERIES", "1000000"))
OPENS = 2000
BUDGET_MS = 300
SLUG = "bench-mail"
OWNER = "owner@example.com"
DATA_DIR = ROOT / "var" / "bench-mail"


def _populate() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from hanji.posts.models import Post
    from hanji.publications.models import Publication, Role, TeamMember
    from hanji.sending.models import Send, SendLink
    from hanji.subscribers.models import Newsletter

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    publication = Publication.objects.create(name="벤치마크 레터", slug=SLUG)
    owner = get_user_model().objects.create_user(OWNER, OWNER, "bench-secret-1")
    TeamMember.objects.create(publication=publication, user=owner, role=Role.OWNER)
    newsletter = Newsletter.objects.create(publication=publication, name="주간", slug="weekly")
    now = timezone.now()
    post = Post.objects.create(
        publication=publication,
        title="백만 명에게 보낸 글",
        slug="million",
        body="<p>" + "한지 " * 300 + "</p>",
        status="published",
        published_at=now,
    )
    send = Send.objects.create(
        publication=publication,
        post=post,
        newsletter=newsletter,
        subject=post.title,
        state="sent",
        scheduled_at=now,
        first_sent_at=now,
        finished_at=now,
        total=DELIVERIES,
        sent_count=DELIVERIES,
    )
    SendLink.objects.bulk_create(
        SendLink(send=send, position=i, url=f"https://example.com/link-{i}") for i in range(20)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber
                (publication_id, email, name, status, source, tags, notes, created_at,
                 confirmed_at, token_version, updated_at)
            SELECT %s, 'reader' || g || '@example.org', '독자' || g, 'active', 'form',
                   '[]'::jsonb, '', now(), now(), 0, now()
            FROM generate_series(1, %s) AS g
            """,
            [publication.pk, DELIVERIES],
        )
        # Every delivery sent; a third opened (and a tenth clicked) before the figures were
        # kept, so the rebuild has work like a real old send's.
        cursor.execute(
            """
            INSERT INTO sending_delivery
                (send_id, subscriber_id, state, paid, attempts, next_attempt_at, claimed_by,
                 sent_at, code, error, provider_message_id, opened_at, clicked_at)
            SELECT %s, id, 'sent', false, 1, now(), '', now(), 250, '', '',
                   CASE WHEN id %% 3 = 0 THEN now() END, CASE WHEN id %% 10 = 0 THEN now() END
            FROM subscribers_subscriber WHERE publication_id = %s
            """,
            [send.pk, publication.pk],
        )
        cursor.execute("VACUUM ANALYZE")
    return {
        "populate_s": round(time.perf_counter() - started, 1),
        "send_id": send.pk,
        "post_id": post.pk,
    }


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

    from hanji.analytics.actions import rebuild_send_figures
    from hanji.sending import events
    from hanji.sending.models import Delivery, Send

    settings.ALLOWED_HOSTS = ["*"]
    figures = _populate()
    send_id, post_id = figures["send_id"], figures["post_id"]

    started = time.perf_counter()
    rebuild_send_figures([send_id])
    figures["rebuild_s"] = round(time.perf_counter() - started, 2)

    # Opens through the pixel's own path, of readers who had not opened yet.
    publication_id = Send.objects.get(pk=send_id).publication_id
    readers = list(
        Delivery.objects.filter(send_id=send_id, opened_at__isnull=True)
        .order_by("pk")
        .values_list("subscriber_id", flat=True)[:OPENS]
    )
    started = time.perf_counter()
    for subscriber_id in readers:
        events.opened(send_id, subscriber_id, publication_id)
    figures["open_ms_each"] = round((time.perf_counter() - started) * 1000 / len(readers), 2)

    client = Client(HTTP_ACCEPT_LANGUAGE="ko")
    client.force_login(get_user_model().objects.get(username=OWNER))
    client.get(f"/studio/p/{SLUG}/")  # warm the process (imports, templates)
    figures["post_analytics"] = measure_page(
        client, f"/studio/p/{SLUG}/posts/{post_id}/analytics/", runs=9
    )
    figures["links_csv"] = measure_page(
        client, f"/studio/p/{SLUG}/posts/{post_id}/links.csv", runs=9
    )
    figures["deliveries"] = DELIVERIES
    figures["budget_ms"] = BUDGET_MS
    figures["within_budget"] = pages_within(figures, ("post_analytics", "links_csv"), BUDGET_MS)
    return figures


def main() -> dict:
    recreate_database(DATABASE_URL)
    figures = child_figures("bench.mail")
    print(f"a post's analytics with {figures['deliveries']:,} deliveries of one send (PostgreSQL)")
    print(f"  populate: {figures['populate_s']} s")
    print(f"  rebuild the send's figures from its deliveries: {figures['rebuild_s']} s")
    print(f"  one open through the pixel's path (mean of {OPENS}): {figures['open_ms_each']} ms")
    for name in ("post_analytics", "links_csv"):
        f = figures[name]
        print(
            f"  {name:16} cold {f['cold_ms']:7.1f} ms   warm median {f['warm_median_ms']:6.1f} ms"
            f"   max {f['warm_max_ms']:6.1f} ms   queries {f['cold_queries']}"
        )
    verdict = "met" if figures["within_budget"] else "MISSED"
    print(f"  budget {BUDGET_MS} ms (cold and warm): {verdict}")
    return figures


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child()))
    else:
        from bench import run_alone

        run_alone("mail", main)

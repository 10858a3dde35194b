"""Benchmark: memberships at 100,000 members on PostgreSQL.

    .venv/bin/python -m bench.memberships

1. The renewal run for the 3,000 PortOne members due today, against the local PortOne fake
   (tests/memberships/fakes.py, in its own process): each renewal is claimed, charged by
   billing key over HTTP, read back, settled and its receipt written to the outbox.
   Budget: under 60 s.
2. The studio's members overview (MRR, ARR, counts by tier and status, monthly movement,
   revenue chart, failed payments), cold and with its stored revenue months dropped, and the
   member list (first page, filtered, and a page deep in the list by keyset), through
   Django's test client (the server's own work).
   Budget: under 300 ms each.

It builds its own database, `bench_members` (BENCH_MEMBERS_DATABASE_URL to change), in a
child process. BENCH_MEMBERS (100000) and BENCH_MEMBERS_DUE (3000) change the sizes.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

from bench import child_figures, measure_page, pages_within, recreate_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE_URL = os.environ.get(
    "BENCH_MEMBERS_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_members"
)
MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
DUE = int(os.environ.get("BENCH_MEMBERS_DUE", "3000"))
RENEWAL_BUDGET_S = 60
PAGE_BUDGET_MS = 300
SLUG = "bench-members"


def _serve_portone(queue) -> None:
    sys.path.insert(0, str(ROOT))
    from tests.memberships.fakes import FakePortOne

    fake = FakePortOne().start()
    queue.put(fake.url)
    fake.thread.join()


def _populate() -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection

    from hanji.memberships.models import MembershipSettings, Tier
    from hanji.publications.models import Publication, Role, TeamMember
    from tests.memberships.fakes import PORTONE_SECRET, PORTONE_WEBHOOK_SECRET

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    publication = Publication.objects.create(
        name="벤치마크 레터",
        slug=SLUG,
        company_name="주식회사 한지",
        representative="김한지",
        address="서울",
        phone="02-123-4567",
        contact_email="help@example.com",
        business_number="123-45-67890",
        mail_order_number="제2026-서울-0001호",
        terms="약관",
        privacy="개인정보",
        recurring_terms="정기결제 약관",
    )
    owner = get_user_model().objects.create_user("owner@example.com", "owner@example.com", "pw-1")
    TeamMember.objects.create(publication=publication, user=owner, role=Role.OWNER)
    MembershipSettings.objects.create(
        publication=publication,
        paid_enabled=True,
        provider="portone",
        portone_api_secret=PORTONE_SECRET,
        portone_webhook_secret=PORTONE_WEBHOOK_SECRET,
        portone_store_id="store-test",
        portone_channel_key="channel",
        mail_order_office="서울",
        hosting_provider="한지",
        terms_version="1",
    )
    gold = Tier.objects.create(
        publication=publication, name="골드", slug="gold", monthly_price=9000, yearly_price=90000
    )
    silver = Tier.objects.create(
        publication=publication, name="실버", slug="silver", monthly_price=5000, yearly_price=50000
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO subscribers_subscriber
                (publication_id, email, name, status, source, tags, notes, created_at,
                 confirmed_at, token_version, updated_at)
            SELECT %s, 'member' || g || '@example.org', '', 'active', 'form', '[]'::jsonb, '',
                   now() - (g * interval '5 minutes'), now(), 0, now()
            FROM generate_series(1, %s) AS g
            """,
            [publication.pk, MEMBERS],
        )
        # Statuses spread like a real list; the first DUE members are PortOne members whose
        # period ended an hour ago (due today); the others renew later.
        cursor.execute(
            """
            INSERT INTO memberships_member
                (publication_id, subscriber_id, tier_id, status, period, amount, currency,
                 provider, provider_customer, provider_subscription, billing_key,
                 current_period_end, past_due_since, retries, next_retry_at, started_at,
                 cancelled_at, ended_at, terms_version, terms_accepted_at, language, updated_at)
            SELECT %(pub)s, s.id, CASE WHEN n %% 3 = 0 THEN %(silver)s ELSE %(gold)s END,
                   CASE WHEN n <= %(due)s THEN 'active' WHEN n %% 17 = 0 THEN 'ended'
                        WHEN n %% 23 = 0 THEN 'past_due' WHEN n %% 29 = 0 THEN 'cancelling'
                        WHEN n %% 31 = 0 THEN 'comped' WHEN n %% 37 = 0 THEN 'trialing'
                        ELSE 'active' END,
                   CASE WHEN n %% 5 = 0 THEN 'year' ELSE 'month' END,
                   CASE WHEN n %% 5 = 0 THEN 90000 ELSE 9000 END, 'KRW',
                   'portone', 'hanji-' || s.id, '', 'bk-' || s.id,
                   CASE WHEN n <= %(due)s THEN now() - interval '1 hour'
                        ELSE now() + ((n %% 28) + 1) * interval '1 day' END,
                   CASE WHEN n %% 23 = 0 THEN now() - interval '1 day' END, 0,
                   CASE WHEN n %% 23 = 0 AND n > %(due)s THEN now() + interval '2 days' END,
                   now() - ((n %% 365) * interval '1 day'),
                   CASE WHEN n %% 29 = 0 THEN now() - ((n %% 200) * interval '1 day') END,
                   CASE WHEN n %% 17 = 0 THEN now() - ((n %% 300) * interval '1 day') END,
                   '1', now(), 'ko', now()
            FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM subscribers_subscriber
                  WHERE publication_id = %(pub)s) s
            """,
            {"pub": publication.pk, "gold": gold.pk, "silver": silver.pk, "due": DUE},
        )
        # A year of receipts (one per member and month for a third of them) for the chart.
        cursor.execute(
            """
            INSERT INTO memberships_payment
                (publication_id, member_id, provider, provider_payment_id, charge_key, amount,
                 currency, status, period_end, attempt, failure, created_at)
            SELECT %s, m.id, 'portone', 'hist-' || m.id || '-' || k, NULL, m.amount, 'KRW',
                   CASE WHEN k = 1 AND m.id %% 23 = 0 THEN 'failed' ELSE 'paid' END, NULL, 1, '',
                   now() - (k * interval '30 days')
            FROM memberships_member m, generate_series(1, 12) AS k
            WHERE m.id %% 3 = 0
            """,
            [publication.pk],
        )
        cursor.execute("VACUUM ANALYZE")
    return {"populate_s": round(time.perf_counter() - started, 1)}


def child() -> dict:
    os.environ["DATABASE_URL"] = DATABASE_URL
    os.environ.setdefault("HANJI_DATA_DIR", str(ROOT / "var" / "bench-members"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "hanji.settings"
    os.environ.pop("REDIS_URL", None)
    queue = multiprocessing.get_context("spawn").Queue()
    server = multiprocessing.get_context("spawn").Process(target=_serve_portone, args=(queue,))
    server.start()
    os.environ["HANJI_PORTONE_API_BASE"] = queue.get(timeout=30)
    import logging

    import django

    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from hanji.memberships.models import Member, Payment
    from hanji.memberships.renewals import run_due_renewals

    settings.ALLOWED_HOSTS = ["*"]
    try:
        figures = _populate()
        started = time.perf_counter()
        counts = run_due_renewals()
        figures["renewal_s"] = round(time.perf_counter() - started, 1)
        figures["renewal_counts"] = counts
        figures["renewed_payments"] = Payment.objects.filter(
            provider_payment_id__startswith="renew-", status="paid"
        ).count()
        figures["still_due"] = Member.objects.filter(
            status="active", current_period_end__lt=django.utils.timezone.now()
        ).count()
        client = Client(HTTP_ACCEPT_LANGUAGE="ko")
        client.force_login(get_user_model().objects.get(username="owner@example.com"))
        middle = Member.objects.order_by("id").values_list("id", flat=True)[MEMBERS // 2]
        pages = {
            "overview": f"/studio/p/{SLUG}/members/",
            "member_list": f"/studio/p/{SLUG}/members/list/",
            "member_list_filtered": f"/studio/p/{SLUG}/members/list/?status=past_due",
            "member_list_deep": f"/studio/p/{SLUG}/members/list/?before_id={middle}",
        }
        client.get(pages["overview"])  # imports and templates, not the cache
        # The overview's worst request: the cache empty and the stored months dropped (the
        # first look after a refund in a closed month), which sums a year of payments again.
        from django.core.cache import cache

        from hanji.memberships.models import RevenueMonth

        RevenueMonth.objects.all().delete()
        cache.clear()
        started = time.perf_counter()
        client.get(pages["overview"])
        figures["overview_rebuild_ms"] = round((time.perf_counter() - started) * 1000, 1)
        for name, url in pages.items():
            figures[name] = measure_page(client, url)
    finally:
        server.terminate()
    figures.update(members=MEMBERS, due=DUE)
    figures["within_budget"] = (
        figures["renewal_s"] < RENEWAL_BUDGET_S
        and figures["overview_rebuild_ms"] < PAGE_BUDGET_MS
        and pages_within(figures, pages, PAGE_BUDGET_MS)
    )
    return figures


def main() -> dict:
    recreate_database(DATABASE_URL)
    figures = child_figures("bench.memberships")
    print(f"memberships with {figures['members']:,} members (PostgreSQL)")
    print(f"  populate: {figures['populate_s']} s")
    print(
        f"  renewal run, {figures['due']:,} due: {figures['renewal_s']} s"
        f" ({figures['renewed_payments']:,} renewed, {figures['still_due']} left due)"
        f"  budget {RENEWAL_BUDGET_S} s"
    )
    for name in ("overview", "member_list", "member_list_filtered", "member_list_deep"):
        f = figures[name]
        print(
            f"  {name:22} cold {f['cold_ms']:7.1f} ms   warm median {f['warm_median_ms']:6.1f} ms"
        )
    print(f"  overview with its stored months dropped: {figures['overview_rebuild_ms']} ms")
    print(f"  budgets: {'met' if figures['within_budget'] else 'MISSED'}")
    return figures


if __name__ == "__main__":
    if "--child" in sys.argv:
        print(json.dumps(child()))
    else:
        main()

"""The creator's figures: members by tier and status, MRR and ARR, monthly movement, failed
payments, revenue, paid members per post. Each is one aggregate query (bench/memberships.py
holds them under 300 ms at 100,000 members)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth

from hanji.memberships.models import (
    Member,
    MemberStatus,
    Payment,
    PaymentStatus,
    Period,
    RevenueMonth,
    month_start,
)
from hanji.subscribers.queries import publication_zone

# What counts toward recurring revenue: members who pay and keep paying (trials, comps and
# gifts pay nothing; a member cancelled at period end will not pay again).
RECURRING = (MemberStatus.ACTIVE, MemberStatus.PAST_DUE)


@dataclass
class Revenue:
    currency: str
    mrr: int  # minor units a month
    members: int

    @property
    def arr(self) -> int:
        return self.mrr * 12


def by_tier_and_status(publication) -> dict[tuple[int, str], int]:
    rows = (
        Member.objects.filter(publication=publication)
        .values_list("tier_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {(tier, status): n for tier, status, n in rows}


def recurring_revenue(publication) -> list[Revenue]:
    """MRR per currency: monthly prices as they are, yearly ones over 12 (rounded down)."""
    rows = (
        Member.objects.filter(publication=publication, status__in=RECURRING)
        .values_list("currency", "period")
        .annotate(total=Sum(Coalesce("discounted_amount", "amount")), n=Count("id"))
        .order_by()
    )
    found: dict[str, Revenue] = {}
    for currency, period, total, n in rows:
        item = found.setdefault(currency, Revenue(currency, 0, 0))
        item.mrr += (total or 0) // 12 if period == Period.YEAR else (total or 0)
        item.members += n
    return sorted(found.values(), key=lambda r: r.currency)


def _months(zone, now: datetime | None, count: int) -> list[datetime]:
    """The first instants of the last `count` months, oldest first, in `zone`."""
    months = [month_start(now, zone)]
    while len(months) < count:
        months.append(month_start(months[-1] - timedelta(days=1), zone))
    return list(reversed(months))


def monthly_movement(publication, count: int = 12, now: datetime | None = None) -> list[dict]:
    """Per month: new members, cancellations asked for, memberships that ended (churn)."""
    zone = publication_zone(publication)
    months = _months(zone, now, count)
    table: dict[date, dict] = {
        m.date(): {"month": m, "new": 0, "cancelled": 0, "churned": 0} for m in months
    }
    members = Member.objects.filter(publication=publication)
    for field, key in (
        ("started_at", "new"),
        ("cancelled_at", "cancelled"),
        ("ended_at", "churned"),
    ):
        rows = (
            members.filter(**{f"{field}__gte": months[0]})
            .annotate(m=TruncMonth(field, tzinfo=zone))
            .values_list("m")
            .annotate(n=Count("id"))
            .order_by()
        )
        for month, n in rows:
            if month is not None and month.date() in table:
                table[month.date()][key] = n
    return list(table.values())


def _paid_by_month(publication, zone, since: datetime) -> dict[date, dict[str, int]]:
    """{first day of the month: {currency: amount paid}} from `since` on."""
    rows = (
        Payment.objects.filter(
            publication=publication, status=PaymentStatus.PAID, created_at__gte=since
        )
        .annotate(m=TruncMonth("created_at", tzinfo=zone))
        .values_list("currency", "m")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    found: dict[date, dict[str, int]] = defaultdict(dict)
    for currency, month, total in rows:
        found[month.date()][currency] = total
    return found


def monthly_revenue(publication, count: int = 12, now: datetime | None = None) -> dict[str, list]:
    """{currency: [(month, amount paid)]} for the chart. Closed months come from RevenueMonth
    (built here when missing), so only the current month's payments are summed each time."""
    zone = publication_zone(publication)
    months = _months(zone, now, count)
    closed = [m.date() for m in months[:-1]]
    totals = dict(
        RevenueMonth.objects.filter(publication=publication, month__in=closed).values_list(
            "month", "totals"
        )
    )
    missing = [m for m in months[:-1] if m.date() not in totals]
    since = missing[0] if missing else months[-1]
    fresh = _paid_by_month(publication, zone, since)
    RevenueMonth.objects.bulk_create(
        [RevenueMonth(publication=publication, month=m.date(), totals=fresh.get(m.date(), {}))
         for m in missing],
        ignore_conflicts=True,
    )  # fmt: skip
    totals.update({m.date(): fresh.get(m.date(), {}) for m in months if m >= since})
    currencies = sorted({c for month in totals.values() for c in month})
    return {c: [(m, totals.get(m.date(), {}).get(c, 0)) for m in months] for c in currencies}


def failed_payments(publication, limit: int = 50):
    return (
        Payment.objects.filter(publication=publication, status=PaymentStatus.FAILED)
        .select_related("member__subscriber", "member__tier")
        .order_by("-created_at", "-id")[:limit]
    )


def members_of(publication, *, tier: int | None = None, status: str = "") -> QuerySet[Member]:
    """The publication's members, of one tier or status when given."""
    members = Member.objects.filter(publication=publication)
    if tier:
        members = members.filter(tier_id=tier)
    if status:
        members = members.filter(status=status)
    return members


def members_page(
    publication,
    *,
    tier: int | None = None,
    status: str = "",
    before_id: int | None = None,
    size: int = 50,
) -> list[Member]:
    """Newest first, keyset-paginated by id (never OFFSET: page 2,000 costs what page 1 does)."""
    members = members_of(publication, tier=tier, status=status)
    if before_id:
        members = members.filter(id__lt=before_id)
    return list(members.select_related("subscriber", "tier").order_by("-id")[:size])


def paid_members_per_post(publication, limit: int = 20) -> list[tuple[int, str, int]]:
    """(post id, title, members who joined from it), most first."""
    rows = (
        Member.objects.filter(publication=publication, source_post__isnull=False)
        .exclude(status=MemberStatus.COMPED)
        .values_list("source_post_id", "source_post__title")
        .annotate(n=Count("id"))
        .order_by("-n")[:limit]
    )
    return list(rows)


def with_access_count(publication) -> int:
    from hanji.memberships.queries import with_access

    return Member.objects.filter(publication=publication).filter(with_access()).count()


FIGURES_SECONDS = 300


def overview_figures(publication) -> dict:
    """The overview's aggregates, kept in the shared cache for FIGURES_SECONDS (each scans the
    publication's members or payments; a dashboard a few minutes old is fine, and a member's
    own pages never read this)."""
    from django.core.cache import cache

    key = f"members-overview:{publication.pk}"
    found = cache.get(key)
    if found is None:
        found = {
            "counts": by_tier_and_status(publication),
            "recurring": recurring_revenue(publication),
            "movement": monthly_movement(publication),
            "monthly_revenue": monthly_revenue(publication),
            "per_post": paid_members_per_post(publication),
        }
        cache.set(key, found, FIGURES_SECONDS)
    return found

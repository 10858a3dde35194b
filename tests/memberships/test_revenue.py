"""The studio's revenue chart: months in the publication's time zone, closed months stored
(RevenueMonth) and dropped when one of their payments changes."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone

from hanji.memberships import stats
from hanji.memberships.models import Payment, RevenueMonth, month_start
from hanji.subscribers.queries import publication_zone

pytestmark = pytest.mark.django_db

ids = count()


@pytest.fixture
def member(make_member, gold):
    return make_member("paying@example.org", gold)


@pytest.fixture
def pay(member):
    def pay(amount: int, created_at, status: str = "paid", currency: str = "KRW") -> Payment:
        return Payment.objects.create(
            publication_id=member.publication_id,
            member=member,
            provider="portone",
            provider_payment_id=f"pay-{next(ids)}",
            amount=amount,
            currency=currency,
            status=status,
            created_at=created_at,
        )

    return pay


def chart(publication) -> dict[str, list[int]]:
    return {c: [a for _m, a in rows] for c, rows in stats.monthly_revenue(publication).items()}


def test_months_are_the_publications_and_closed_ones_are_stored(publication, pay):
    publication.time_zone = "America/Los_Angeles"
    publication.save()
    this_month = month_start(zone=publication_zone(publication))
    # An hour before this month began in Los Angeles is last month there, whatever UTC says.
    pay(5000, this_month - timedelta(hours=1))
    pay(7000, this_month + timedelta(seconds=1))
    pay(300, this_month - timedelta(days=40), currency="USD")
    pay(9999, this_month - timedelta(days=3), status="failed")
    figures = chart(publication)
    assert figures["KRW"][-2:] == [5000, 7000]
    assert figures["USD"][-3:] == [300, 0, 0] and sum(figures["USD"]) == 300
    assert len(figures["KRW"]) == 12
    assert RevenueMonth.objects.filter(publication=publication).count() == 11
    # The next look sums only the current month.
    pay(1000, timezone.now())
    assert chart(publication)["KRW"][-2:] == [5000, 8000]


def test_a_refund_in_a_closed_month_rebuilds_the_stored_months(
    publication, pay, django_assert_num_queries
):
    this_month = month_start(zone=publication_zone(publication))
    old = pay(5000, this_month - timedelta(days=2))
    pay(4000, this_month - timedelta(days=35))
    assert chart(publication)["KRW"][-3:] == [4000, 5000, 0]
    with django_assert_num_queries(2):  # the stored months and this month's payments
        stats.monthly_revenue(publication)
    Payment.objects.filter(pk=old.pk).update(status="refunded")
    assert not RevenueMonth.objects.filter(publication=publication).exists()
    assert chart(publication)["KRW"][-3:] == [4000, 0, 0]


def test_a_late_payment_saved_into_a_closed_month_counts(publication, pay):
    this_month = month_start(zone=publication_zone(publication))
    assert chart(publication) == {}
    assert RevenueMonth.objects.filter(publication=publication).count() == 11
    late = pay(6000, this_month - timedelta(days=1), status="pending")
    assert chart(publication) == {}  # pending is not revenue
    late.status = "paid"
    late.save()
    assert chart(publication)["KRW"][-2:] == [6000, 0]


def test_a_payment_of_this_month_keeps_the_stored_months(publication, pay):
    chart(publication)
    stored = set(RevenueMonth.objects.values_list("pk", flat=True))
    payment = pay(2000, timezone.now(), status="pending")
    Payment.objects.filter(pk=payment.pk).update(status="paid")
    assert set(RevenueMonth.objects.values_list("pk", flat=True)) == stored
    assert chart(publication)["KRW"][-1] == 2000

"""Two renewal workers racing on the same due members charge each once. Each worker is a
thread with its own database connection (as two job processes would have), started together
from a barrier; run on SQLite and on PostgreSQL (DATABASE_URL=postgres://…). The claim is a
Payment row with a unique charge key per member, period and attempt, inserted before the
charge; PortOne itself also refuses to pay one payment id twice."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hanji.memberships.models import Member, MemberStatus, Payment, PaymentStatus
from hanji.memberships.renewals import renew_member, run_due_renewals

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def due_members(with_portone, portone_fake, gold, make_member):
    def make(count: int) -> list[Member]:
        members = []
        for i in range(count):
            member = make_member(f"due{i}@example.org", gold)
            Member.objects.filter(pk=member.pk).update(
                provider="portone",
                billing_key=f"bk-{i}",
                current_period_end=timezone.now() - timedelta(hours=1),
            )
            member.refresh_from_db()
            members.append(member)
        return members

    return make


def _together(*jobs):
    """Run each job in its own thread (its own connection), all released at once."""
    start = threading.Barrier(len(jobs))
    results, errors = [None] * len(jobs), []

    def run(index, job):
        try:
            start.wait(10)
            results[index] = job()
        except Exception as error:  # reported below, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    return results


def test_two_workers_holding_the_same_stale_member_charge_once(due_members, portone_fake):
    (member,) = due_members(1)
    now = timezone.now()
    # Both workers read the member as due before either charged it.
    first, second = Member.objects.get(pk=member.pk), Member.objects.get(pk=member.pk)
    outcomes = _together(lambda: renew_member(first, now), lambda: renew_member(second, now))
    assert sorted(outcomes) == ["claimed elsewhere", "renewed"]
    renewals = [k for k in portone_fake.charged if k.startswith("renew-")]
    assert len(renewals) == 1 and portone_fake.charged[renewals[0]] == 1
    member.refresh_from_db()
    assert member.status == MemberStatus.ACTIVE and member.current_period_end > now
    assert Payment.objects.filter(member=member, status=PaymentStatus.PAID).count() == 1


def test_two_renewal_runs_at_once_charge_every_due_member_once(due_members, portone_fake):
    members = due_members(24)
    now = timezone.now()
    results = _together(
        lambda: run_due_renewals(now, threads=2), lambda: run_due_renewals(now, threads=2)
    )
    renewed = sum(r.get("renewed", 0) for r in results)
    assert renewed == len(members), results
    charges = {k: n for k, n in portone_fake.charged.items() if k.startswith("renew-")}
    assert len(charges) == len(members) and set(charges.values()) == {1}
    assert Payment.objects.filter(status=PaymentStatus.PAID).count() == len(members)
    assert not Payment.objects.filter(status=PaymentStatus.PENDING).exists()
    assert run_due_renewals(now).get("renewed", 0) == 0

"""Hanji's own renewal job for PortOne members (PortOne has no subscriptions; see
docs/decisions.md for why this job and not PortOne's payment schedules).

    run_due_renewals()   periodic (HANJI_PERIODIC_JOBS): charge every member whose period
                         has ended, retry failed charges, end memberships past their end

A charge is claimed before it is made: a Payment row with a unique `charge_key` per member,
period and attempt is inserted first (a page of members in one statement, `claim_page`), so
two workers running the job at once charge once (the loser's insert fails). The PortOne payment id is the same key, and PortOne itself
refuses to pay one payment id twice. A failed charge is retried after RETRY_DELAYS; each
failure emails the member; the third ends the membership. A retry that succeeds starts the
next period where the unpaid one began, so access has no gap.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from hanji.memberships import states
from hanji.memberships.models import Member, MemberStatus, Payment, PaymentStatus
from hanji.memberships.providers.portone import PortOneProvider, period_after

logger = logging.getLogger(__name__)
RETRY_DELAYS = (timedelta(days=1), timedelta(days=3))
MAX_FAILURES = len(RETRY_DELAYS) + 1
STALE_CLAIM = timedelta(minutes=10)
BATCH = 500
THREADS = int(os.environ.get("HANJI_RENEWAL_THREADS", "8"))


def due(now: datetime):
    s = MemberStatus
    return Member.objects.filter(provider="portone").filter(
        Q(status__in=(s.ACTIVE, s.TRIALING), current_period_end__lte=now)
        | Q(status=s.PAST_DUE, next_retry_at__lte=now)
    )


def run_due_renewals(now: datetime | None = None, threads: int = THREADS) -> dict[str, int]:
    """Renew everyone due at `now`, in pages by id (keyset, never OFFSET). A page's charges
    run in a few threads, each with its own database connection: most of a renewal is
    waiting for PortOne and the database. (Inside a transaction, e.g. a test's, one thread:
    other connections could not see its rows.)"""
    now = now or timezone.now()
    if connection.in_atomic_block:
        threads = 1
    counts: dict[str, int] = {}
    last = 0
    while True:
        ids = list(due(now).filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        for outcome in _renew_all(ids, now, threads):
            counts[outcome] = counts.get(outcome, 0) + 1
        last = ids[-1]
    counts["ended"] = counts.get("ended", 0) + end_finished(now)
    return counts


def _renew_all(ids: list[int], now: datetime, threads: int) -> list[str]:
    outcomes: list[str] = []
    pending = queue.SimpleQueue()
    # One query for the page, one to claim it; a member renewed meanwhile by another worker
    # is refused by the claim (its key is made from the period end read here).
    members = list(due(now).filter(pk__in=ids).select_related("tier", "publication"))
    claimed = claim_page(members, now)
    for member in members:
        pending.put((member, claimed.get(member.pk)))

    def work(close: bool) -> None:
        providers: dict[int, PortOneProvider] = {}
        try:
            while True:
                try:
                    member, payment = pending.get_nowait()
                except queue.Empty:
                    return
                try:
                    outcomes.append(renew_member(member, now, providers, payment))
                except Exception:
                    logger.exception("renewal of member %s failed", member.pk)
                    outcomes.append("error")
        finally:
            if close:
                connection.close()  # this thread's own connection

    if threads <= 1:
        work(close=False)
        return outcomes
    workers = [threading.Thread(target=work, args=(True,)) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return outcomes


def end_finished(now: datetime) -> int:
    """Memberships cancelled at period end, gifts and dated comps whose end has passed."""
    s = MemberStatus
    ended = 0
    finished = Member.objects.filter(
        status__in=(s.CANCELLING, s.GIFT, s.COMPED), current_period_end__lte=now
    )
    for member_id in finished.values_list("pk", flat=True)[:BATCH]:
        with transaction.atomic():
            member = Member.objects.select_for_update().get(pk=member_id)
            if member.status in (s.CANCELLING, s.GIFT, s.COMPED) and not member.has_access(now):
                states.apply(member, "end", now=now)
                ended += 1
    return ended


def _key(member: Member) -> str:
    return f"renew-{member.pk}-{member.current_period_end:%Y%m%d%H%M%S}-{member.retries + 1}"


_CLAIM_COLUMNS = (
    "publication_id",
    "member_id",
    "provider",
    "provider_payment_id",
    "charge_key",
    "amount",
    "currency",
    "status",
    "attempt",
    "failure",
    "created_at",
)


def claim_page(members: list[Member], now: datetime) -> dict[int, Payment]:
    """Claim a page of renewals in one statement (INSERT … ON CONFLICT DO NOTHING RETURNING,
    PostgreSQL and SQLite alike): {member id: its new Payment row}. A member left out had its
    key taken by another worker; `renew_member` then tries its one-by-one claim, which takes
    over only a claim whose worker died."""
    if not members:
        return {}
    at = connection.ops.adapt_datetimefield_value(now)
    rows, params = [], []
    for member in members:
        key = _key(member)
        values = (
            member.publication_id,
            member.pk,
            "portone",
            key,
            key,
            member.next_amount(),
            member.currency,
            PaymentStatus.PENDING,
            member.retries + 1,
            "",
            at,
        )
        rows.append("(" + ", ".join(["%s"] * len(values)) + ")")
        params.extend(values)
    table = connection.ops.quote_name(Payment._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({', '.join(_CLAIM_COLUMNS)}) VALUES {', '.join(rows)} "
        "ON CONFLICT DO NOTHING RETURNING id, member_id"
    )
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    with savepoint, connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    by_id = {member.pk: member for member in members}
    claimed = {}
    for payment_id, member_id in found:
        member = by_id[member_id]
        claimed[member_id] = Payment(
            pk=payment_id,
            publication_id=member.publication_id,
            member_id=member_id,
            provider="portone",
            provider_payment_id=_key(member),
            charge_key=_key(member),
            amount=member.next_amount(),
            currency=member.currency,
            status=PaymentStatus.PENDING,
            attempt=member.retries + 1,
            created_at=now,
        )
    return claimed


def _claim(member: Member, now: datetime) -> Payment | None:
    """The Payment row of this attempt, or None when another worker holds it."""
    attempt = member.retries + 1
    key = _key(member)
    # Inside a transaction (a test's) the insert needs its own savepoint; in autocommit it
    # is one statement and a conflict leaves nothing to roll back.
    savepoint = transaction.atomic() if connection.in_atomic_block else contextlib.nullcontext()
    try:
        with savepoint:
            return Payment.objects.create(
                publication_id=member.publication_id,
                member=member,
                provider="portone",
                provider_payment_id=key,
                charge_key=key,
                amount=member.next_amount(),
                currency=member.currency,
                status=PaymentStatus.PENDING,
                attempt=attempt,
                created_at=now,
            )
    except IntegrityError:
        # Taken over only when its worker died mid-charge (the charge is read back below).
        taken = Payment.objects.filter(
            charge_key=key, status=PaymentStatus.PENDING, created_at__lt=now - STALE_CLAIM
        ).update(created_at=now)
        return Payment.objects.get(charge_key=key) if taken else None


def renew_member(
    member: Member | int,
    now: datetime | None = None,
    providers: dict | None = None,
    payment: Payment | None = None,
) -> str:
    """Charge one due member once (see the module's docstring); `providers` keeps one
    PortOne client per publication across a run; `payment` is its claim when the page was
    claimed at once (`claim_page`)."""
    now = now or timezone.now()
    if not isinstance(member, Member):
        member = due(now).select_related("tier", "publication").filter(pk=member).first()
        if member is None:
            return "not due"
    member_id = member.pk
    payment = payment or _claim(member, now)
    if payment is None:
        return "claimed elsewhere"
    from hanji.memberships.queries import settings_of

    providers = {} if providers is None else providers
    provider = providers.get(member.publication_id)
    if provider is None:
        provider = providers[member.publication_id] = PortOneProvider(
            settings_of(member.publication)
        )
    charge = provider.charge(
        payment_id=payment.provider_payment_id,
        billing_key=member.billing_key,
        amount=member.next_amount(),
        currency=member.currency,
        order_name=member.tier.name,
        customer_id=member.provider_customer or f"hanji-{member.subscriber_id}",
    )
    return _settle(member_id, payment, charge.paid, charge.failure, now)


def _settle(member_id: int, payment: Payment, paid: bool, failure: str, now: datetime) -> str:
    from hanji.memberships import tasks

    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("tier").get(pk=member_id)
        if paid:
            end = period_after(member.current_period_end, member.period)
            Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PAID, period_end=end)
            if member.discount_charges_left:
                member.discount_charges_left -= 1
                if member.discount_charges_left == 0:  # the coupon's last charge was this one
                    member.discounted_amount = member.discount_charges_left = None
            states.apply(member, "renewed", period_end=end, now=now)
            payment.status, payment.period_end = PaymentStatus.PAID, end
            # Enqueued in the same transaction (the task row commits with the renewal).
            tasks.send_receipt.enqueue(payment.pk)
            return "renewed"
        Payment.objects.filter(pk=payment.pk).update(
            status=PaymentStatus.FAILED, failure=failure[:300]
        )
        member.retries += 1
        final = member.retries >= MAX_FAILURES
        if final:
            states.apply(member, "end", now=now)
        else:
            member.next_retry_at = now + RETRY_DELAYS[member.retries - 1]
            states.apply(member, "payment_failed", now=now)
        tasks.send_payment_failed.enqueue(member_id, final)
    logger.info("renewal of member %s failed (%s): %s", member_id, member.retries, failure)
    return "ended" if final else "failed"

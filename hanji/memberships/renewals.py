"""Hanji's own renewal job for PortOne members (PortOne has no subscriptions; see
docs/decisions.md for why this job and not PortOne's payment schedules).

    run_due_renewals()   periodic (HANJI_PERIODIC_JOBS): charge every member whose period
                         has ended, retry failed charges, end memberships past their end

A charge is claimed before it is made: a Payment row with a unique `charge_key` per member,
period and attempt is inserted first, so two workers running the job at once charge once
(the loser's insert fails). The PortOne payment id is the same key, and PortOne itself
refuses to pay one payment id twice. A failed charge is retried after RETRY_DELAYS; each
failure emails the member; the third ends the membership. A retry that succeeds starts the
next period where the unpaid one began, so access has no gap.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
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


def due(now: datetime):
    s = MemberStatus
    return Member.objects.filter(provider="portone").filter(
        Q(status__in=(s.ACTIVE, s.TRIALING), current_period_end__lte=now)
        | Q(status=s.PAST_DUE, next_retry_at__lte=now)
    )


def run_due_renewals(now: datetime | None = None) -> dict[str, int]:
    """Renew everyone due at `now`, in pages by id (keyset, never OFFSET)."""
    now = now or timezone.now()
    counts: dict[str, int] = {}
    providers: dict[int, PortOneProvider] = {}
    last = 0
    while True:
        ids = list(due(now).filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        for member_id in ids:
            outcome = renew_member(member_id, now, providers)
            counts[outcome] = counts.get(outcome, 0) + 1
        last = ids[-1]
    counts["ended"] = counts.get("ended", 0) + end_finished(now)
    return counts


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


def _claim(member: Member, now: datetime) -> Payment | None:
    """The Payment row of this attempt, or None when another worker holds it."""
    attempt = member.retries + 1
    key = f"renew-{member.pk}-{member.current_period_end:%Y%m%d%H%M%S}-{attempt}"
    try:
        with transaction.atomic():
            return Payment.objects.create(
                publication_id=member.publication_id,
                member=member,
                provider="portone",
                provider_payment_id=key,
                charge_key=key,
                amount=member.amount,
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


def renew_member(member_id: int, now: datetime | None = None, providers: dict | None = None) -> str:
    """Charge one due member once (see the module's docstring); `providers` keeps one
    PortOne client per publication across a run."""
    now = now or timezone.now()
    member = Member.objects.select_related("tier", "publication", "subscriber").get(pk=member_id)
    if not due(now).filter(pk=member_id).exists():
        return "not due"
    payment = _claim(member, now)
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
        amount=member.amount,
        currency=member.currency,
        order_name=member.tier.name,
        customer_id=member.provider_customer or f"hanji-{member.subscriber_id}",
    )
    return _settle(member_id, payment, charge.paid, charge.failure, now)


def _settle(member_id: int, payment: Payment, paid: bool, failure: str, now: datetime) -> str:
    from hanji.memberships import notices

    with transaction.atomic():
        member = Member.objects.select_for_update().select_related("tier").get(pk=member_id)
        if paid:
            end = period_after(member.current_period_end, member.period)
            Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.PAID, period_end=end)
            states.apply(member, "renewed", period_end=end, now=now)
            payment.status, payment.period_end = PaymentStatus.PAID, end
            transaction.on_commit(lambda: notices.receipt(member, payment))
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
    logger.info("renewal of member %s failed (%s): %s", member_id, member.retries, failure)
    notices.payment_failed(member, final=final)
    return "ended" if final else "failed"

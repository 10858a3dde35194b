"""Emails to members: receipts and dunning, in the language the reader checked out in."""

from __future__ import annotations

from hanji.core import emails
from hanji.memberships.models import Member, Payment
from hanji.publications.links import absolute_url


def money(amount: int, currency: str) -> str:
    """ "₩9,000" or "$5.00" from an amount in minor units."""
    if currency == "USD":
        return f"${amount // 100:,}.{amount % 100:02d}"
    return f"₩{amount:,}"


def _context(member: Member) -> dict:
    return {
        "tier": member.tier.name,
        "amount": money(member.amount, member.currency),
        "account_url": absolute_url(member.publication, "memberships:account"),
        "period_end": member.current_period_end,
    }


def receipt(member: Member, payment: Payment) -> None:
    context = {
        **_context(member),
        "paid": money(payment.amount, payment.currency),
        "payment_id": payment.provider_payment_id,
        "paid_at": payment.created_at,
    }
    emails.send(
        "membership-receipt",
        member.subscriber.email,
        context,
        member.publication,
        language=member.language,
    )


def payment_failed(member: Member, *, final: bool) -> None:
    """A failed charge: each failure is told; the last one says the membership has ended."""
    context = {**_context(member), "final": final, "next_retry_at": member.next_retry_at}
    emails.send(
        "membership-payment-failed",
        member.subscriber.email,
        context,
        member.publication,
        language=member.language,
    )

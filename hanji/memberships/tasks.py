"""Background work of memberships: receipts and dunning emails. Tasks take ids and re-load
what they need; they are enqueued after the transaction that made the change commits, so a
renewal run never waits for mail."""

from __future__ import annotations

from django.tasks import task

from hanji.memberships import notices
from hanji.memberships.models import Member, Payment


@task()
def send_receipt(payment_id: int) -> None:
    payment = (
        Payment.objects.select_related("member__tier", "member__subscriber", "member__publication")
        .filter(pk=payment_id)
        .first()
    )
    if payment is not None:
        notices.receipt(payment.member, payment)


@task()
def send_payment_failed(member_id: int, final: bool) -> None:
    member = (
        Member.objects.select_related("tier", "subscriber", "publication")
        .filter(pk=member_id)
        .first()
    )
    if member is not None:
        notices.payment_failed(member, final=final)

"""The one member state machine, for both providers.

    (none) ──start──▶ trialing | active
    trialing | active ──renewed──▶ active           (a paid period, first or next)
    trialing | active | past_due ──payment_failed──▶ past_due   (access while the grace lasts)
    past_due ──renewed──▶ active                    (a retry that succeeds: no gap)
    trialing | active | past_due ──cancel──▶ cancelling (access until the period ends)
    cancelling ──resume──▶ active
    any ──end──▶ ended                              (provider says so, last retry failed, revoked)
    any ──comp──▶ comped;  any ──gift──▶ gift

Every change of `Member.status` goes through `apply`; callers are the provider event
handlers, Hanji's renewal job and the creator's grant/revoke. A transition that is not in
the table raises `InvalidTransition` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from hanji.memberships.models import Member, MemberStatus

S = MemberStatus
PAYING = {S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELLING}
ALLOWED: dict[str, set[str]] = {
    "start": {S.ENDED, S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELLING, S.COMPED, S.GIFT},
    "renewed": {S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELLING},
    "payment_failed": {S.TRIALING, S.ACTIVE, S.PAST_DUE},
    "cancel": {S.TRIALING, S.ACTIVE, S.PAST_DUE, S.CANCELLING},
    "resume": {S.CANCELLING, S.ACTIVE},
    "end": set(MemberStatus.values),
    "comp": set(MemberStatus.values),
    "gift": set(MemberStatus.values),
}


class InvalidTransition(ValueError):
    pass


def apply(
    member: Member,
    event: str,
    *,
    period_end: datetime | None = None,
    trial: bool = False,
    now: datetime | None = None,
) -> Member:
    """Move `member` by `event` and save it. `period_end` is the end of the paid (or trial,
    gift, comp) period where the event carries one."""
    now = now or timezone.now()
    if member.pk is not None and member.status not in ALLOWED[event]:
        raise InvalidTransition(f"{event} from {member.status}")
    if event == "start":
        member.status = S.TRIALING if trial else S.ACTIVE
        member.started_at, member.ended_at, member.cancelled_at = now, None, None
        _reset_dunning(member)
    elif event == "renewed":
        # A renewal of a member who asked to cancel keeps the cancellation.
        if member.status != S.CANCELLING:
            member.status = S.ACTIVE
        _reset_dunning(member)
    elif event == "payment_failed":
        if member.status != S.PAST_DUE:
            member.status, member.past_due_since = S.PAST_DUE, now
    elif event == "cancel":
        member.status, member.cancelled_at = S.CANCELLING, member.cancelled_at or now
        member.next_retry_at = None
    elif event == "resume":
        member.status, member.cancelled_at = S.ACTIVE, None
    elif event == "end":
        member.status, member.ended_at = S.ENDED, now
        member.next_retry_at = None
    elif event == "comp":
        member.status, member.ended_at, member.provider = S.COMPED, None, ""
        _reset_dunning(member)
    elif event == "gift":
        member.status, member.ended_at = S.GIFT, None
        _reset_dunning(member)
    if period_end is not None:
        member.current_period_end = period_end
    member.save()
    return member


def _reset_dunning(member: Member) -> None:
    member.past_due_since, member.retries, member.next_retry_at = None, 0, None

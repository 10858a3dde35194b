"""Permission-checked getters for what hanji.core keeps (the outbox)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from hanji.core.models import OutboxMessage
from hanji.publications.models import Role

# The outbox holds confirmation and sign-in links meant for readers, so only the people who
# run a publication (owners and admins) see its messages; messages that belong to no
# publication (e.g. password resets for staff) only superusers see.
OUTBOX_ROLES = (Role.OWNER, Role.ADMIN)


def outbox_for_user(user) -> QuerySet[OutboxMessage]:
    messages = OutboxMessage.objects.select_related("publication").defer("raw")
    if getattr(user, "is_superuser", False):
        return messages
    return messages.filter(
        publication__team__user_id=getattr(user, "id", None),
        publication__team__role__in=OUTBOX_ROLES,
    )


def get_outbox_message_for_user(user, pk: int) -> OutboxMessage:
    """The message `pk` if `user` may read it; 404 otherwise (never someone else's)."""
    message = outbox_for_user(user).defer(None).filter(pk=pk).first()
    if message is None:
        raise Http404
    return message

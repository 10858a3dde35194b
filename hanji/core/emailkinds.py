"""What kind of email a stored message is, read from its Message-ID (no column to migrate).

Posts carry `<hanji.<send>.<subscriber>.<sig>@…>` (test sends use send 0); every other email
Hanji writes gets a Message-ID that ends in `.hanji-<name>@<host>` (`message_id_for`). The
outbox filters on those, so a kind is one indexed-column condition, never a read of the raw
message.
"""

from __future__ import annotations

from django.core.mail import make_msgid
from django.core.mail.utils import DNS_NAME
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# kind → (label, the email names that belong to it)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "post": (_("Posts"), ()),
    "test": (_("Test emails"), ()),
    "subscription": (
        _("Subscription emails"),
        ("confirm-subscription", "welcome", "advertising-reminder", "confirm-email-change"),
    ),
    "sign-in": (_("Sign-in links"), ("sign-in", "studio-sign-in")),
    "comments": (_("Comment notices"), ("comment-digest", "comment-reply")),
    "team": (_("Team invitations"), ("invitation",)),
}


def message_id_for(name: str) -> str:
    """A fresh Message-ID that says which email it is (`name`, e.g. "sign-in")."""
    return make_msgid(idstring=f"hanji-{name}", domain=str(DNS_NAME))


def kind_filter(kind: str) -> Q | None:
    """The condition on OutboxMessage.message_id for `kind`; None for an unknown kind."""
    if kind == "post":
        return Q(message_id__startswith="<hanji.") & ~Q(message_id__startswith="<hanji.0.")
    if kind == "test":
        return Q(message_id__startswith="<hanji.0.")
    if kind not in KINDS:
        return None
    condition = Q(pk__in=[])
    for name in KINDS[kind][1]:
        condition |= Q(message_id__contains=f".hanji-{name}@")
    return condition


def kind_choices() -> list[tuple[str, str]]:
    return [(kind, str(label)) for kind, (label, _names) in KINDS.items()]

"""Text that may reach an email header is one line: the one helper, and the fields it guards.

A line break in a publication's name once broke every invitation ("Header values may not
contain linefeed") and could, in a hand-built header, start a header of its own. So:

1. `single_line` is how any text becomes header text (subjects, display names): line breaks
   and other control or format characters become spaces, runs of spaces fold into one.
2. The fields below are single-line when saved, whatever saved them (a form, the admin, the
   CLI, an action): a `pre_save` receiver folds them, so nothing is lost and no row holds a
   line break that a header could meet later.
"""

from __future__ import annotations

import unicodedata

from django.db.models.signals import pre_save

# Characters that end a line: CR, LF, NEL and the other controls, U+2028 and U+2029.
_BREAKING = {"Cc", "Zl", "Zp"}

SINGLE_LINE_FIELDS: dict[str, tuple[str, ...]] = {
    "publications.Publication": (
        "name",
        "description",
        "company_name",
        "representative",
        "business_number",
        "mail_order_number",
        "address",
        "phone",
        "contact_email",
    ),
    "publications.Author": ("name",),
    "subscribers.Newsletter": ("name", "sender_name", "sender_email", "reply_to"),
    "posts.Post": ("title", "subtitle", "excerpt"),
    "sending.Send": ("subject", "preheader", "from_email", "from_name", "reply_to"),
}


def single_line(value: str | None, max_length: int | None = None) -> str:
    """`value` as one line of text that cannot open a new header line."""
    text = "".join(" " if unicodedata.category(c) in _BREAKING else c for c in value or "")
    text = " ".join(text.split())
    return text if max_length is None else text[:max_length]


def _breaks(value: str) -> bool:
    return any(unicodedata.category(c) in _BREAKING for c in value)


def _fold(sender, instance, **kwargs) -> None:
    for name in SINGLE_LINE_FIELDS.get(sender._meta.label, ()):
        value = getattr(instance, name, None)
        if isinstance(value, str) and _breaks(value):
            setattr(instance, name, single_line(value))


def connect_signals() -> None:
    from django.apps import apps

    for label in SINGLE_LINE_FIELDS:
        try:
            model = apps.get_model(label)
        except LookupError:
            continue
        pre_save.connect(_fold, sender=model, dispatch_uid=f"single-line:{label}")

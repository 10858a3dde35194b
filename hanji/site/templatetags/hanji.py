from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone, translation
from django.utils.translation import gettext as _

register = template.Library()


def compact_number(n: int) -> str:
    """7 → "7", 7_240 → "7.2K", 72_400 → "72K", 1_250_000 → "1.3M"."""
    n = int(n or 0)
    for size, suffix in ((1_000_000_000, "B"), (1_000_000, "M"), (1_000, "K")):
        if n >= size:
            value = n / size
            text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
            return text.removesuffix(".0") + suffix
    return str(n)


@register.filter
def compact(n: int) -> str:
    return compact_number(n)


@register.filter
def views_label(n: int) -> str:
    """`조회 7K` in Korean, `7K views` in English."""
    return _("%(count)s views") % {"count": compact_number(n)}


@register.filter
def pubdate(value: datetime | None) -> str:
    """2023.11.22 in Korean, Nov 22, 2023 in English; in the active (publication's) time zone."""
    if not value:
        return ""
    local = timezone.localtime(value)
    if translation.get_language() == "ko":
        return local.strftime("%Y.%m.%d")
    return f"{local.strftime('%b')} {local.day}, {local.year}"

"""The one way an integer is read from a request (ids, page numbers, counts).

`int(request.GET["page"])` fails on "abc" and, worse, a 20-digit number passes `isdigit()` and
reaches the database, which refuses it with an error that becomes a 500. Every integer a
request carries goes through `parse_int`: digits only, within a range that fits the column,
else a 400 (BadRequest) — or the default, where the caller gives one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import BadRequest

# The largest value of a 64-bit signed column (BigAutoField, PositiveBigIntegerField).
MAX_ID = 2**63 - 1
# No list is a million pages long; a larger page number would only make a huge OFFSET.
MAX_PAGE = 1_000_000
_DIGITS = re.compile(r"^[0-9]{1,19}$")
_MISSING = object()


class BadParameter(BadRequest):
    """A request integer that is missing, not a number or out of range (answered with 400)."""


def parse_int(value, *, low: int = 1, high: int = MAX_ID, default=_MISSING) -> int:
    """`value` (a str from GET/POST, or None) as an int in [low, high].

    With `default`, a missing, malformed or out-of-range value gives the default instead of
    a 400 (for things like `?page=` where the first page is a fine answer)."""
    text = value.strip() if isinstance(value, str) else ("" if value is None else str(value))
    number = int(text) if _DIGITS.match(text) else None
    if number is not None and low <= number <= high:
        return number
    if default is not _MISSING:
        return default
    raise BadParameter(f"expected a whole number from {low} to {high}")


def parse_ids(values: Iterable) -> list[int]:
    """Ids of a bulk action (a list from `request.POST.getlist`): every one valid, or 400."""
    return [parse_int(value) for value in values]

"""Export subscribers as CSV, streamed in id order (keyset pages), safe to open in a
spreadsheet: a cell that starts with = + - @ tab or CR is prefixed with ' so no formula runs.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterator
from typing import TextIO

from django.db.models import QuerySet
from django.utils import timezone

from hanji.publications.models import Publication
from hanji.subscribers.models import Newsletter, Subscriber, Subscription

COLUMNS = [
    "email",
    "name",
    "status",
    "newsletters",
    "tags",
    "source",
    "created",
    "confirmed",
    "unsubscribed",
    "advertising_consent",
]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PAGE = 5000


def neutralize(value: str) -> str:
    """Keep a spreadsheet from reading the cell as a formula (OWASP's CSV injection advice)."""
    if value and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _when(value, zone) -> str:
    return timezone.localtime(value, zone).isoformat(timespec="seconds") if value else ""


def export_rows(publication: Publication, queryset: QuerySet[Subscriber]) -> Iterator[list[str]]:
    """The header, then one list of cells per subscriber; memory stays flat."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(publication.time_zone)
    names = dict(Newsletter.objects.filter(publication=publication).values_list("pk", "name"))
    yield COLUMNS
    fields = (
        "id",
        "email",
        "name",
        "status",
        "tags",
        "source",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
        "advertising_consent_at",
    )
    last_id = 0
    base = queryset.filter(publication=publication).order_by("id")
    while True:
        page = list(base.filter(id__gt=last_id).values_list(*fields)[:PAGE])
        if not page:
            return
        ids = [row[0] for row in page]
        memberships: dict[int, list[str]] = defaultdict(list)
        for subscriber_id, newsletter_id in (
            Subscription.objects.filter(subscriber_id__in=ids)
            .order_by("newsletter_id")
            .values_list("subscriber_id", "newsletter_id")
        ):
            memberships[subscriber_id].append(names.get(newsletter_id, ""))
        for sid, email, name, status, tags, source, created, confirmed, left, ad in page:
            cells = [
                email,
                name,
                status,
                "; ".join(memberships.get(sid, ())),
                ", ".join(tags or ()),
                source,
                _when(created, zone),
                _when(confirmed, zone),
                _when(left, zone),
                _when(ad, zone),
            ]
            yield [neutralize(cell) for cell in cells]
        last_id = ids[-1]


def write_csv(
    out: TextIO,
    publication: Publication,
    queryset: QuerySet[Subscriber],
    *,
    excel_bom: bool = False,
) -> int:
    """Write the export to `out`; returns the number of subscribers written."""
    if excel_bom:
        out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    count = -1
    for count, row in enumerate(export_rows(publication, queryset)):  # noqa: B007
        writer.writerow(row)
    return max(count, 0)

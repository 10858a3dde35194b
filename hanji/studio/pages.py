"""One way to page a studio list (posts, sends, subscribers, members, the outbox): newest
first, by keyset. A page is the rows before a cursor (the last row of the page before), so
page 2,000 costs what page 1 costs, and nothing counts the whole list (no OFFSET, no COUNT).
One row more than a page says whether there is an older page. The links are rendered by
studio/_pagination.html ("Newest", "Older"; the browser's Back goes to the newer page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest

PARAM = "before"


@dataclass(frozen=True)
class Page:
    rows: list
    newest_url: str  # "" on the newest page
    older_url: str  # "" on the oldest page


def keyset_page(
    request: HttpRequest, queryset: QuerySet, *, size: int = 50, by: str = "id"
) -> Page:
    """The page of `queryset` that `?before=` names, ordered by `by` then id, both newest
    first. A cursor that is not one of ours answers 404 (like a page number that is not
    one)."""
    rows_query = queryset.order_by("-id") if by == "id" else queryset.order_by(f"-{by}", "-id")
    cursor = request.GET.get(PARAM, "")
    if cursor:
        rows_query = rows_query.filter(_before(cursor, by))
    rows = list(rows_query[: size + 1])
    params = request.GET.copy()
    params.pop(PARAM, None)
    base = params.urlencode()
    newest = (f"{request.path}?{base}" if base else request.path) if cursor else ""
    older = ""
    if len(rows) > size:
        params[PARAM] = _cursor(rows[size - 1], by)
        older = f"{request.path}?{params.urlencode()}"
    return Page(rows[:size], newest, older)


def _cursor(row, by: str) -> str:
    if by == "id":
        return str(row.pk)
    return f"{getattr(row, by).isoformat()}~{row.pk}"


def _before(cursor: str, by: str) -> Q:
    try:
        if by == "id":
            return Q(pk__lt=_id(cursor))
        value, _tilde, row_id = cursor.rpartition("~")
        at = datetime.fromisoformat(value)
        return Q(**{f"{by}__lt": at}) | Q(**{by: at, "pk__lt": _id(row_id)})
    except ValueError:
        raise Http404("not a page of this list") from None


def _id(text: str) -> int:
    if not text.isdigit() or len(text) > 18:
        raise ValueError(text)
    return int(text)

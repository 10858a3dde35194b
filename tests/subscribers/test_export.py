"""`hanji subscribers export`: columns, filters, formula neutralizing, Excel BOM."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from hanji.subscribers.exporter import neutralize
from hanji.subscribers.models import Segment, SubscriberStatus

pytestmark = pytest.mark.django_db


def export(*args) -> str:
    out = io.StringIO()
    call_command("subscribers", "export", "--publication", "weekly", *args, stdout=out)
    return out.getvalue()


def test_the_export_has_the_promised_columns(publication, weekly, digest, make_subscriber):
    make_subscriber(
        "a@example.com", name="에이", newsletters=[weekly, digest], tags=["vip", "서울"]
    )
    rows = list(csv.DictReader(io.StringIO(export())))
    assert {"email", "name", "status", "newsletters", "tags", "created", "confirmed"} <= set(
        rows[0]
    )
    row = rows[0]
    assert (row["email"], row["name"], row["status"]) == ("a@example.com", "에이", "active")
    assert row["newsletters"] == "주간 레터; 데일리 다이제스트"
    assert row["tags"] == "vip, 서울"
    assert row["created"].endswith("+09:00")


def test_formula_cells_are_neutralized(publication, weekly, make_subscriber):
    make_subscriber("f@example.com", name='=HYPERLINK("http://evil")')
    make_subscriber("g@example.com", name="@SUM(A1)", tags=["+1", "-x"])
    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(export()))}
    assert rows["f@example.com"]["name"] == '\'=HYPERLINK("http://evil")'
    assert rows["g@example.com"]["name"] == "'@SUM(A1)"
    assert rows["g@example.com"]["tags"] == "'+1, -x"
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert neutralize(start + "x") == "'" + start + "x"
    assert neutralize("plain") == "plain"


def test_filters_and_segments_select_who_is_exported(publication, weekly, digest, make_subscriber):
    make_subscriber("a@example.com", newsletters=[weekly], tags=["vip"])
    make_subscriber("b@example.com", newsletters=[digest])
    make_subscriber("c@example.com", status=SubscriberStatus.UNSUBSCRIBED)

    def emails(*args):
        return [r["email"] for r in csv.DictReader(io.StringIO(export(*args)))]

    assert emails() == ["a@example.com", "b@example.com", "c@example.com"]
    assert emails("--status", "active") == ["a@example.com", "b@example.com"]
    assert emails("--newsletter", "daily") == ["b@example.com"]
    assert emails("--tag", "vip") == ["a@example.com"]
    Segment.objects.create(publication=publication, name="gone", statuses=["unsubscribed"])
    assert emails("--segment", "gone") == ["c@example.com"]


def test_an_excel_export_starts_with_a_bom_and_goes_to_a_file(
    publication, weekly, make_subscriber, tmp_path
):
    make_subscriber("a@example.com", name="한글")
    target = tmp_path / "out.csv"
    export("--excel-bom", "--output", str(target))
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    assert "한글".encode() in data


def test_since_and_until_are_whole_days_in_the_publications_zone(publication, make_subscriber):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.core.management.base import CommandError

    seoul = ZoneInfo("Asia/Seoul")
    make_subscriber("late@example.com", created_at=datetime(2026, 11, 1, 23, 30, tzinfo=seoul))
    make_subscriber("next@example.com", created_at=datetime(2026, 11, 2, 0, 30, tzinfo=seoul))

    def emails(*args):
        return [r["email"] for r in csv.DictReader(io.StringIO(export(*args)))]

    assert emails("--since", "2026-11-01", "--until", "2026-11-01") == ["late@example.com"]
    assert emails("--since", "2026-11-02") == ["next@example.com"]
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        export("--until", "2026-11-01T10:00")


def test_pages_skip_filtered_out_stretches_and_other_publications(
    publication, other_publication, weekly, digest, make_subscriber, monkeypatch
):
    """Pages of two: whole pages the filter leaves empty, and another publication's
    subscribers between ours, neither stop the export early nor leak into it."""
    from hanji.subscribers import exporter

    monkeypatch.setattr(exporter, "PAGE", 2)
    expected = []
    for i in range(9):
        on_weekly = i in (0, 5, 8)  # pages 1, 3 and 5 of ours; pages 2 and 4 empty
        make_subscriber(f"r{i}@example.com", newsletters=[weekly] if on_weekly else [digest])
        make_subscriber(f"there{i}@example.com", pub=other_publication)
        if on_weekly:
            expected.append(f"r{i}@example.com")
    rows = list(csv.DictReader(io.StringIO(export("--newsletter", "weekly"))))
    assert [r["email"] for r in rows] == expected
    assert {r["newsletters"] for r in rows} == {"주간 레터"}

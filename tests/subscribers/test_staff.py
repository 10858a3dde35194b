"""What the team changes in the studio: subscriber tags and saved segments."""

from __future__ import annotations

import pytest

from hanji.subscribers.actions import Refused, save_segment, set_subscriber_tags
from hanji.subscribers.models import Newsletter, Segment, Subscriber
from hanji.subscribers.queries import segment_count

pytestmark = pytest.mark.django_db


def test_tags_are_split_deduplicated_and_sorted(make_subscriber):
    subscriber = make_subscriber("a@example.com", tags=["old"])
    assert set_subscriber_tags(subscriber, "vip, 서울; vip | 2024") == ["2024", "vip", "서울"]
    assert Subscriber.objects.get(pk=subscriber.pk).tags == ["2024", "vip", "서울"]
    assert set_subscriber_tags(subscriber, "") == []


def test_a_segment_is_saved_with_only_the_criteria_that_belong_to_the_publication(
    publication, other_publication, weekly, make_subscriber
):
    theirs = Newsletter.objects.create(publication=other_publication, name="x", slug="x")
    make_subscriber("vip@example.com", tags=["vip"], newsletters=[weekly])
    make_subscriber("plain@example.com", newsletters=[weekly])
    segment = save_segment(
        publication,
        {
            "name": "  VIP  ",
            "statuses": ["active", "dancing"],
            "newsletter": str(theirs.pk),
            "tags": "vip, ",
            "source": "carrier-pigeon",
        },
    )
    assert (segment.name, segment.statuses, segment.newsletter, segment.tags, segment.source) == (
        "VIP",
        ["active"],
        None,
        ["vip"],
        "",
    )
    assert segment_count(segment) == 1
    mine = save_segment(publication, {"name": "weekly", "newsletter": str(weekly.pk)})
    assert mine.newsletter == weekly


def test_a_segment_without_a_name_is_refused_and_nothing_is_saved(publication):
    with pytest.raises(Refused, match="name"):
        save_segment(publication, {"name": "   ", "tags": "vip"})
    assert not Segment.objects.exists()


def test_a_segment_keeps_its_signup_days_as_typed(publication):
    from datetime import date

    segment = save_segment(
        publication,
        {"name": "November", "signed_up_from": "2026-11-01", "signed_up_until": "2026-11-30"},
    )
    segment.refresh_from_db()
    assert (segment.signed_up_from, segment.signed_up_until) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )


@pytest.mark.parametrize(
    ("first", "last", "reason"),
    [
        ("1 November", "", "YYYY-MM-DD"),
        ("2026-02-30", "", "YYYY-MM-DD"),
        ("", "2026-13-01", "YYYY-MM-DD"),
        ("2026-11-02", "2026-11-01", "after the last"),
    ],
)
def test_a_segment_with_bad_dates_is_refused_with_the_reason(publication, first, last, reason):
    with pytest.raises(Refused, match=reason):
        save_segment(publication, {"name": "bad", "signed_up_from": first, "signed_up_until": last})
    assert not Segment.objects.exists()

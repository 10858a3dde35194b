from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from hanji.subscribers.models import Segment, Source, SubscriberStatus
from hanji.subscribers.queries import segment_count, segment_queryset, segment_recipients

pytestmark = pytest.mark.django_db


def emails(queryset):
    return [s.email for s in queryset]


def test_recipients_are_the_active_subscribers_of_the_newsletter_in_id_order(
    publication, weekly, digest, make_subscriber
):
    b = make_subscriber("b@example.com", newsletters=[weekly])
    a = make_subscriber("a@example.com", newsletters=[weekly, digest])
    make_subscriber("only-digest@example.com", newsletters=[digest])
    for status in ("pending", "unsubscribed", "bounced", "complained"):
        make_subscriber(f"{status}@example.com", status=status, newsletters=[weekly])
    assert emails(segment_recipients(publication, weekly)) == [b.email, a.email]
    assert emails(segment_recipients(publication, digest)) == [
        a.email,
        "only-digest@example.com",
    ]


def test_a_segment_narrows_the_recipients_by_tag_date_and_source(
    publication, weekly, make_subscriber
):
    old = timezone.now() - timedelta(days=400)
    make_subscriber("vip@example.com", newsletters=[weekly], tags=["vip", "서울"])
    make_subscriber("old-vip@example.com", newsletters=[weekly], tags=["vip"], created_at=old)
    make_subscriber("plain@example.com", newsletters=[weekly], tags=["other"])
    make_subscriber("imported@example.com", newsletters=[weekly], source=Source.IMPORT)
    segment = Segment.objects.create(
        publication=publication,
        name="recent vip",
        tags=["vip", "없는태그"],
        signed_up_from=timezone.localdate() - timedelta(days=30),
    )
    assert emails(segment_recipients(publication, weekly, segment)) == ["vip@example.com"]
    korean = Segment.objects.create(publication=publication, name="서울", tags=["서울"])
    assert segment_count(korean) == 1
    imported = Segment.objects.create(publication=publication, name="imp", source="import")
    assert emails(segment_recipients(publication, weekly, imported)) == ["imported@example.com"]


def test_a_segment_counts_any_status_unless_it_names_some(publication, weekly, make_subscriber):
    make_subscriber("a@example.com", newsletters=[weekly])
    make_subscriber("p@example.com", status=SubscriberStatus.PENDING, newsletters=[weekly])
    everyone = Segment.objects.create(publication=publication, name="all")
    pending = Segment.objects.create(publication=publication, name="p", statuses=["pending"])
    assert segment_count(everyone) == 2
    assert emails(segment_queryset(pending)) == ["p@example.com"]
    assert list(segment_recipients(publication, weekly, pending)) == []


def test_nothing_crosses_publications(publication, other_publication, weekly, make_subscriber):
    from hanji.subscribers.models import Newsletter

    theirs = Newsletter.objects.create(publication=other_publication, name="x", slug="x")
    make_subscriber("mine@example.com", newsletters=[weekly])
    make_subscriber("theirs@example.com", newsletters=[theirs], pub=other_publication)
    their_segment = Segment.objects.create(publication=other_publication, name="s")
    assert list(segment_recipients(publication, theirs)) == []
    assert list(segment_recipients(publication, weekly, their_segment)) == []
    assert segment_count(their_segment) == 1


def test_the_fast_recipient_count_agrees_with_counting_the_recipients(
    publication, weekly, digest, make_subscriber
):
    from hanji.subscribers.queries import recipient_count

    for i, status in enumerate(["active", "active", "pending", "bounced", "complained"]):
        make_subscriber(f"s{i}@example.com", status=status, newsletters=[weekly])
    make_subscriber("other@example.com", newsletters=[digest])
    make_subscriber("none@example.com")
    assert (
        recipient_count(publication, weekly) == 2 == segment_recipients(publication, weekly).count()
    )
    vip = Segment.objects.create(publication=publication, name="v", tags=["vip"])
    everyone = Segment.objects.create(publication=publication, name="e", statuses=["active"])
    assert recipient_count(publication, weekly, vip) == 0
    assert recipient_count(publication, weekly, everyone) == 2
    assert recipient_count(publication, digest) == 1


def test_counting_the_recipients_takes_the_fast_path_only_when_nothing_was_added(
    publication, weekly, make_subscriber, django_assert_num_queries
):
    make_subscriber("a@example.com", newsletters=[weekly], tags=["x"])
    make_subscriber("b@example.com", newsletters=[weekly])
    make_subscriber("p@example.com", status="pending", newsletters=[weekly])
    recipients = segment_recipients(publication, weekly)
    with django_assert_num_queries(2):  # the two index-only counts
        assert recipients.count() == 2
    assert recipients.filter(email__startswith="a").count() == 1
    assert recipients.exclude(email__startswith="a").count() == 1
    assert [s.email for s in recipients.iterator()] == ["a@example.com", "b@example.com"]
    assert recipients[:1].count() == 1


# --- signup days: whole days in the publication's time zone ------------------------------------

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture
def around_midnight(make_subscriber, weekly):
    """Four readers around midnight between the 31st of October and the 1st of November, Seoul
    time (UTC+9): what day each signed up on depends on the zone."""
    for email, seoul_time in [
        ("october-31-late@example.com", datetime(2026, 10, 31, 23, 59)),  # 14:59 UTC, 31st
        ("november-1-midnight@example.com", datetime(2026, 11, 1, 0, 0)),  # 15:00 UTC, 31st
        ("november-1-late@example.com", datetime(2026, 11, 1, 23, 30)),  # 14:30 UTC, 1st
        ("november-2-early@example.com", datetime(2026, 11, 2, 0, 30)),  # 15:30 UTC, 1st
    ]:
        make_subscriber(email, newsletters=[weekly], created_at=seoul_time.replace(tzinfo=SEOUL))


def days(publication, first, last):
    segment = Segment.objects.create(
        publication=publication, name="days", signed_up_from=first, signed_up_until=last
    )
    return sorted(e.split("@")[0] for e in emails(segment_queryset(segment)))


def test_signup_days_are_whole_days_in_the_publications_time_zone(
    publication, weekly, around_midnight
):
    first, second = date(2026, 11, 1), date(2026, 11, 2)
    assert publication.time_zone == "Asia/Seoul"
    assert days(publication, first, first) == ["november-1-late", "november-1-midnight"]
    assert days(publication, None, date(2026, 10, 31)) == ["october-31-late"]
    assert days(publication, second, None) == ["november-2-early"]
    on_the_first = Segment.objects.create(
        publication=publication, name="1st", signed_up_from=first, signed_up_until=first
    )
    assert emails(segment_recipients(publication, weekly, on_the_first)) == [
        "november-1-midnight@example.com",
        "november-1-late@example.com",
    ]
    from hanji.subscribers.queries import recipient_count

    assert recipient_count(publication, weekly, on_the_first) == 2


def test_the_same_days_follow_another_time_zone_when_the_publication_has_one(
    publication, around_midnight
):
    publication.time_zone = "UTC"
    publication.save()
    first = date(2026, 11, 1)
    assert days(publication, first, first) == ["november-1-late", "november-2-early"]
    publication.time_zone = "America/Los_Angeles"  # the 31st is 07:00 to 07:00 UTC (PDT)
    publication.save()
    assert days(publication, date(2026, 10, 31), date(2026, 10, 31)) == [
        "november-1-midnight",
        "october-31-late",
    ]


def test_postgresql_answers_any_of_these_tags_from_the_gin_index(
    postgres_only, publication, weekly, make_subscriber
):
    from django.db import connection

    make_subscriber("vip@example.com", tags=["vip"])
    make_subscriber("plain@example.com")
    segment = Segment.objects.create(publication=publication, name="vip", tags=["vip", "없음"])
    from hanji.subscribers.models import Subscriber
    from hanji.subscribers.queries import HasAnyTag

    tagged = Subscriber.objects.filter(HasAnyTag("tags", ["vip", "없음"]))
    sql, params = tagged.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # a table this small is scanned anyway
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "subscriber_tags" in plan
    assert emails(segment_queryset(segment)) == ["vip@example.com"]


@pytest.mark.parametrize("tag", ["서울", 'say "hi"', "back\\slash", "🎉 party", "vip"])
def test_a_tag_is_found_however_its_list_was_written(
    publication, weekly, make_subscriber, tmp_path, tag
):
    """The ORM writes tags with non-ASCII escaped, an import writes them as they are; both
    must be found (on SQLite a text search rules rows out before the JSON is read)."""
    from hanji.subscribers.importer import create_import, run_import
    from hanji.subscribers.models import Subscriber

    make_subscriber("orm@example.com", tags=[tag])
    path = tmp_path / "list.csv"
    cell = tag.replace('"', '""')
    path.write_text(f'email,tags\nimported@example.com,"{cell}"\nother@example.com,x\n')
    run_import(create_import(publication, str(path), newsletters=[weekly]).pk)
    assert Subscriber.objects.get(email="imported@example.com").tags == [tag]
    segment = Segment.objects.create(publication=publication, name="t", tags=[tag, "없음"])
    assert sorted(emails(segment_queryset(segment))) == ["imported@example.com", "orm@example.com"]
    assert segment_count(segment) == 2

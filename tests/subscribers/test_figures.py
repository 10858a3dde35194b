"""The studio's cached subscriber figures and segment counts change when the subscribers do,
whoever changed them (the studio, a reader's link, the CLI, the worker)."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hanji.studio.stats import subscriber_stats
from hanji.subscribers.actions import (
    delete_segment,
    save_segment,
    set_subscriber_tags,
    suppress,
    unsubscribe,
)
from hanji.subscribers.models import Segment, SubscriberStatus
from hanji.subscribers.queries import segment_counts

pytestmark = pytest.mark.django_db


def counts(publication) -> dict[int, int]:
    segments = list(Segment.objects.filter(publication=publication))
    return segment_counts(publication, segments)


def test_an_unsubscribe_reaches_the_dashboard_at_once(publication, weekly, make_subscriber):
    reader = make_subscriber("a@example.com", newsletters=[weekly])
    make_subscriber("b@example.com", newsletters=[weekly])
    assert subscriber_stats(publication)["active"] == 2  # cached now
    unsubscribe(reader)
    figures = subscriber_stats(publication)
    assert figures["active"] == 1
    assert figures["by_status"][SubscriberStatus.UNSUBSCRIBED] == 1


def test_a_bounce_reported_by_a_webhook_reaches_the_dashboard(publication, make_subscriber):
    reader = make_subscriber("a@example.com")
    assert subscriber_stats(publication)["active"] == 1
    suppress(reader.pk, SubscriberStatus.BOUNCED, "550 no such user", channel="smtp")
    assert subscriber_stats(publication)["by_status"][SubscriberStatus.BOUNCED] == 1


def test_a_tag_change_reaches_the_segment_counts(publication, make_subscriber):
    reader = make_subscriber("a@example.com")
    vip = save_segment(publication, {"name": "VIP", "tags": "vip"})
    assert counts(publication) == {vip.pk: 0}
    set_subscriber_tags(reader, "vip")
    assert counts(publication) == {vip.pk: 1}
    set_subscriber_tags(reader, "")
    assert counts(publication) == {vip.pk: 0}


def test_an_import_from_the_command_line_reaches_the_figures(publication, weekly, tmp_path):
    assert subscriber_stats(publication)["total"] == 0
    everyone = save_segment(publication, {"name": "everyone"})
    assert counts(publication) == {everyone.pk: 0}
    path = tmp_path / "list.csv"
    path.write_text("email,name\nkim@example.com,김\nlee@example.com,이\n")
    call_command(
        "subscribers", "import", str(path), "--publication", publication.slug,
        "--consent", "가입 양식에서 동의", stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    assert subscriber_stats(publication)["total"] == 2
    assert counts(publication) == {everyone.pk: 2}


def test_the_segment_list_counts_each_segment_once_until_something_changes(
    client, owner, publication, make_subscriber
):
    client.force_login(owner)
    reader = make_subscriber("a@example.com")
    for name in ("one", "two", "three"):
        save_segment(publication, {"name": name, "tags": name})
    url = reverse("studio:segments", args=[publication.slug])

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return sum("COUNT(" in q["sql"].upper() for q in queries)

    assert count_queries() == 3
    assert count_queries() == 0  # cached
    set_subscriber_tags(reader, "two")
    assert count_queries() == 3
    gone = Segment.objects.get(name="one")
    assert delete_segment(publication, gone.pk) is True
    assert count_queries() == 2
    assert delete_segment(publication, gone.pk) is False

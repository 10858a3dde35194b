"""The per-status subscriber counters stay exact through every action that changes a
subscriber (subscribe, confirm, sign in, choose newsletters again, unsubscribe, bounce,
complaint, delete, import), and a recount repairs rows written behind their back."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hanji.subscribers import counts
from hanji.subscribers.actions import (
    confirm_subscription,
    confirm_token,
    delete_subscriber,
    set_newsletters,
    sign_in,
    sign_in_token,
    subscribe,
    suppress,
    unsubscribe,
)
from hanji.subscribers.importer import create_import, run_import
from hanji.subscribers.models import Subscriber, SubscriberCount, SubscriberStatus

pytestmark = pytest.mark.django_db

ACTIVE, PENDING = SubscriberStatus.ACTIVE, SubscriberStatus.PENDING


def counted(publication) -> dict[str, int]:
    """What a COUNT over the table says, every status present."""
    found = dict.fromkeys(SubscriberStatus.values, 0)
    for status, n in (
        Subscriber.objects.filter(publication=publication)
        .values_list("status")
        .annotate(n=Count("*"))
        .order_by()
    ):
        found[status] = n
    return found


def kept(publication) -> dict[str, int]:
    """What the counters say, without recounting."""
    rows = SubscriberCount.objects.filter(publication=publication).values_list("status", "n")
    return {**dict.fromkeys(SubscriberStatus.values, 0), **dict(rows)}


def assert_exact(publication) -> None:
    assert kept(publication) == counted(publication)


def test_the_first_read_counts_once_and_later_reads_count_nothing(publication, make_subscriber):
    make_subscriber("a@example.com")
    make_subscriber("b@example.com", status=SubscriberStatus.BOUNCED)
    assert not SubscriberCount.objects.filter(publication=publication).exists()
    assert counts.by_status(publication.pk)[ACTIVE] == 1
    with CaptureQueriesContext(connection) as queries:
        assert counts.by_status(publication.pk)[SubscriberStatus.BOUNCED] == 1
    assert len(queries) == 1
    assert 'subscribers_subscriber"' not in queries[0]["sql"]


def test_a_reader_subscribes_confirms_and_leaves_and_the_counts_follow(publication, weekly):
    counts.recount(publication.pk)
    reader = subscribe(publication, "reader@example.com", newsletter_ids=[weekly.pk])
    assert kept(publication)[PENDING] == 1
    subscribe(publication, "reader@example.com")  # again: still one
    assert kept(publication)[PENDING] == 1
    confirm_subscription(publication, confirm_token(reader, [weekly.pk], False, ""))
    assert kept(publication)[ACTIVE] == 1 and kept(publication)[PENDING] == 0
    reader.refresh_from_db()
    unsubscribe(reader)
    unsubscribe(reader)  # twice: counted once
    assert kept(publication)[SubscriberStatus.UNSUBSCRIBED] == 1
    assert kept(publication)[ACTIVE] == 0
    set_newsletters(reader, [weekly.pk])  # back, from the preferences page
    assert kept(publication)[ACTIVE] == 1
    assert_exact(publication)


def test_signing_in_with_a_link_confirms_a_pending_reader_once(publication, weekly):
    counts.recount(publication.pk)
    reader = subscribe(publication, "reader@example.com")
    sign_in(publication, sign_in_token(reader))
    assert kept(publication)[ACTIVE] == 1
    assert kept(publication)[PENDING] == 0
    assert_exact(publication)


def test_bounces_complaints_and_deletions_move_the_counts(publication, make_subscriber):
    counts.recount(publication.pk)
    one = make_subscriber("one@example.com")
    two = make_subscriber("two@example.com")
    make_subscriber("three@example.com")
    assert kept(publication)[ACTIVE] == 3
    assert suppress(one.pk, SubscriberStatus.BOUNCED, "550")
    assert not suppress(one.pk, SubscriberStatus.BOUNCED, "550")  # already: no change
    assert suppress(two.pk, SubscriberStatus.COMPLAINED, "abuse")
    assert not suppress(two.pk, SubscriberStatus.BOUNCED)  # a complaint outranks it
    assert kept(publication) == {
        **dict.fromkeys(SubscriberStatus.values, 0),
        ACTIVE: 1,
        SubscriberStatus.BOUNCED: 1,
        SubscriberStatus.COMPLAINED: 1,
    }
    delete_subscriber(one)
    delete_subscriber(one)  # a second click on a stale page: nothing more
    assert kept(publication)[SubscriberStatus.BOUNCED] == 0
    assert_exact(publication)


def test_an_import_adds_what_it_inserted_per_status(publication, weekly, make_subscriber, tmp_path):
    counts.recount(publication.pk)
    make_subscriber("kim@example.com", newsletters=[weekly])
    path = tmp_path / "list.csv"
    path.write_text(
        "email,name,status\n"
        "kim@example.com,김,\n"  # exists: merged, not counted again
        "lee@example.com,이,\n"
        "park@example.com,박,unsubscribed\n"
        "choi@example.com,최,\n"
        "not an address,x,\n",
        encoding="utf-8",
    )
    run = create_import(publication, str(path), status=ACTIVE, consent="가입 양식에서 동의")
    run = run_import(run.pk)
    assert run.created_count == 3
    assert kept(publication)[ACTIVE] == 3
    assert kept(publication)[SubscriberStatus.UNSUBSCRIBED] == 1
    assert_exact(publication)
    run_import(run.pk)  # a second run changes nothing
    assert_exact(publication)


def test_a_recount_repairs_rows_written_behind_the_actions_back(publication, make_subscriber):
    make_subscriber("a@example.com")
    counts.recount(publication.pk)
    Subscriber.objects.filter(publication=publication).update(status=SubscriberStatus.BOUNCED)
    assert kept(publication)[ACTIVE] == 1  # drifted: nothing told the counters
    assert counts.recount_all() == 2  # active and bounced were off
    assert_exact(publication)
    assert counts.recount_all() == 0


def test_the_recount_command_prints_the_counts(publication, make_subscriber):
    make_subscriber("a@example.com")
    out = io.StringIO()
    call_command("subscribers", "recount", "--publication", publication.slug, stdout=out)
    assert "active 1" in out.getvalue()
    out = io.StringIO()
    call_command("subscribers", "recount", stdout=out)
    assert "0 counts corrected" in out.getvalue()


def test_the_studio_pages_count_no_subscribers_per_status(
    client, owner, publication, make_subscriber
):
    make_subscriber("a@example.com")
    counts.recount(publication.pk)
    client.force_login(owner)
    for name in ("studio:home", "studio:subscribers"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name, args=[publication.slug]))
        assert response.status_code == 200
        grouped = [
            q["sql"]
            for q in queries
            if "subscribers_subscriber" in q["sql"]
            and 'GROUP BY "subscribers_subscriber"."status"' in q["sql"]
        ]
        assert grouped == [], name
    assert "1" in response.content.decode()

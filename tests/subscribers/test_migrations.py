"""Migration 0007: a segment's signup bounds, stored as instants, become the days they meant."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("subscribers", "0006_no_parent_constraints")]
AFTER = [("subscribers", "0007_segment_signup_days")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_old_instant_bounds_become_the_same_days_in_the_publications_zone():
    seoul = ZoneInfo("Asia/Seoul")
    try:
        apps = migrate(BEFORE)
        Publication = apps.get_model("publications", "Publication")
        Segment = apps.get_model("subscribers", "Segment")
        seoul_letter = Publication.objects.create(name="서울", slug="seoul")
        utc_letter = Publication.objects.create(name="UTC", slug="utc", time_zone="UTC")
        # What the old form stored for "after 2026-11-01, before 2026-12-01": local midnights,
        # the first included, the second excluded.
        Segment.objects.create(
            publication=seoul_letter,
            name="november",
            signed_up_after=datetime(2026, 11, 1, tzinfo=seoul),
            signed_up_before=datetime(2026, 12, 1, tzinfo=seoul),
        )
        Segment.objects.create(
            publication=utc_letter,
            name="open",
            signed_up_before=datetime(2026, 12, 1, 12, 0, tzinfo=ZoneInfo("UTC")),
        )
        Segment.objects.create(publication=utc_letter, name="any")
        apps = migrate(AFTER)
        Segment = apps.get_model("subscribers", "Segment")
        days = {s.name: (s.signed_up_from, s.signed_up_until) for s in Segment.objects.all()}
        assert days == {
            "november": (date(2026, 11, 1), date(2026, 11, 30)),
            "open": (None, date(2026, 12, 1)),
            "any": (None, None),
        }
    finally:
        migrate(executor_leaf_nodes())


def executor_leaf_nodes():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()

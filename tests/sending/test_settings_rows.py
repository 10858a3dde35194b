"""A publication's settings rows are made with it (and by migration for older ones), so that
reading a page or sending a post never writes them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from hanji.engagement.models import EngagementSettings
from hanji.publications.models import Publication
from hanji.sending.models import SendingSettings

WRITES = ("INSERT", "UPDATE", "DELETE")


def test_a_new_publication_has_its_sending_and_engagement_settings(db):
    publication = Publication.objects.create(name="새 소식", slug="new")
    assert SendingSettings.objects.filter(publication=publication).count() == 1
    assert EngagementSettings.objects.filter(publication=publication).count() == 1
    publication.name = "새 이름"
    publication.save()  # saving again makes no second row
    assert SendingSettings.objects.filter(publication=publication).count() == 1


def test_the_settings_page_writes_nothing_on_get(client, owner, publication):
    client.force_login(owner)
    url = reverse("studio:settings", args=[publication.slug])
    client.get(url)  # the session settles on the first request
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    writes = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith(WRITES)]
    # the only write allowed is the staff session's "last seen" (once a minute at most)
    assert [sql for sql in writes if '"studio_staffsession"' not in sql] == []


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_publications_made_before_get_their_settings_rows_by_migration():
    before = [("sending", "0002_night_hold_off_by_default"), ("engagement", "0001_initial")]
    after = [
        ("sending", "0003_settings_for_every_publication"),
        ("engagement", "0002_settings_for_every_publication"),
    ]
    try:
        apps = migrate(before)
        old = apps.get_model("publications", "Publication")
        bare = old.objects.create(name="예전 소식", slug="old")  # no signal in a migration
        kept = old.objects.create(name="설정 있음", slug="kept")
        apps.get_model("sending", "SendingSettings").objects.create(
            publication_id=kept.pk, night_hold=True
        )
        apps = migrate(after)
        sending = apps.get_model("sending", "SendingSettings")
        engagement = apps.get_model("engagement", "EngagementSettings")
        assert sending.objects.filter(publication_id=bare.pk).count() == 1
        assert engagement.objects.filter(publication_id=bare.pk).count() == 1
        # a row that was there keeps what it held
        assert sending.objects.get(publication_id=kept.pk).night_hold is True
        assert sending.objects.count() == 2
    finally:
        migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

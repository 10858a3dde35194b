"""A GIN index on Subscriber.tags, on PostgreSQL only (docs/decisions.md, Subscribers).

"Has any of these tags" is `tags ?| array[...]` on jsonb, which this index answers; a tag that
few subscribers carry is then counted from the index instead of a scan of every subscriber.
SQLite reads tags with json_each and has no such index. Built in a second or two for a million
subscribers, under a short lock.
"""

from django.db import migrations

INDEX = "subscriber_tags"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON subscribers_subscriber USING gin (tags)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0007_segment_signup_days")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]

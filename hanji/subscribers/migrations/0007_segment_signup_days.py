"""Segments keep their signup bounds as whole days in the publication's time zone.

The old bounds were instants: `signed_up_after` included, `signed_up_before` excluded (the
form stored midnight in the server's zone). Each becomes the local day that keeps the same
meaning: the day of `after`, and the day before `before` when it was a midnight (else its day).
"""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import migrations, models


def _zone(name: str):
    try:
        return ZoneInfo(name or "Asia/Seoul")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("Asia/Seoul")


def instants_to_days(apps, schema_editor):
    Segment = apps.get_model("subscribers", "Segment")
    segments = Segment.objects.select_related("publication").exclude(
        signed_up_after=None, signed_up_before=None
    )
    for segment in segments:
        zone = _zone(segment.publication.time_zone)
        if segment.signed_up_after is not None:
            segment.signed_up_from = segment.signed_up_after.astimezone(zone).date()
        if segment.signed_up_before is not None:
            last = segment.signed_up_before - timedelta(microseconds=1)
            segment.signed_up_until = last.astimezone(zone).date()
        segment.save(update_fields=["signed_up_from", "signed_up_until"])


def days_to_instants(apps, schema_editor):
    from datetime import datetime, time

    Segment = apps.get_model("subscribers", "Segment")
    segments = Segment.objects.select_related("publication").exclude(
        signed_up_from=None, signed_up_until=None
    )
    for segment in segments:
        zone = _zone(segment.publication.time_zone)
        if segment.signed_up_from is not None:
            segment.signed_up_after = datetime.combine(segment.signed_up_from, time.min, zone)
        if segment.signed_up_until is not None:
            after_last = segment.signed_up_until + timedelta(days=1)
            segment.signed_up_before = datetime.combine(after_last, time.min, zone)
        segment.save(update_fields=["signed_up_after", "signed_up_before"])


class Migration(migrations.Migration):
    dependencies = [
        ("publications", "0001_initial"),
        ("subscribers", "0006_no_parent_constraints"),
    ]

    operations = [
        migrations.AddField(
            model_name="segment",
            name="signed_up_from",
            field=models.DateField(blank=True, null=True, verbose_name="signed up from"),
        ),
        migrations.AddField(
            model_name="segment",
            name="signed_up_until",
            field=models.DateField(blank=True, null=True, verbose_name="signed up until"),
        ),
        migrations.RunPython(instants_to_days, days_to_instants),
        migrations.RemoveField(model_name="segment", name="signed_up_after"),
        migrations.RemoveField(model_name="segment", name="signed_up_before"),
    ]

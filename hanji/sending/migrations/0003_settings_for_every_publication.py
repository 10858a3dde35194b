"""Every publication has its sending settings row from now on (made with the publication), so pages
and sends only read it; this makes the rows of publications created before."""

from django.db import migrations


def make_rows(apps, schema_editor):
    Publication = apps.get_model("publications", "Publication")
    Settings = apps.get_model("sending", "SendingSettings")
    missing = Publication.objects.exclude(
        pk__in=Settings.objects.values("publication_id")
    ).values_list("pk", flat=True)
    Settings.objects.bulk_create(
        [Settings(publication_id=pk) for pk in missing.iterator()], batch_size=500
    )


class Migration(migrations.Migration):
    dependencies = [
        ("sending", "0002_night_hold_off_by_default"),
        ("publications", "0001_initial"),
    ]

    operations = [migrations.RunPython(make_rows, migrations.RunPython.noop)]

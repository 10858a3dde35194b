"""Every publication has a newsletter from the start (issue 12, trap 3): publications made
before that rule (the demo, `hanji publication create`) get their first one here, named after
the publication, as ensure_newsletter() would name it."""

from django.db import migrations


def add_first_newsletters(apps, schema_editor):
    Publication = apps.get_model("publications", "Publication")
    Newsletter = apps.get_model("subscribers", "Newsletter")
    for publication in Publication.objects.filter(newsletters__isnull=True).only("id", "name"):
        Newsletter.objects.get_or_create(
            publication=publication, slug="newsletter", defaults={"name": publication.name}
        )


class Migration(migrations.Migration):
    dependencies = [("subscribers", "0008_subscriber_tags_gin")]

    operations = [migrations.RunPython(add_first_newsletters, migrations.RunPython.noop)]

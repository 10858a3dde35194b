"""DayVisitor's primary key becomes (day, post_id, visitor): no id column, no separate index
on day, no separate unique constraint (three b-trees were one).

Django cannot turn an existing primary key into a composite one, so the table is made again.
Its rows are raw and short-lived (HANJI_ANALYTICS_RAW_DAYS, 2 days by default): what is lost
is only the memory of who was already counted today, so a reader seen before the upgrade and
again the same day after it is counted once more as a visitor. Views and every total stay.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0004_signups_and_sources"),
    ]

    operations = [
        migrations.DeleteModel(name="DayVisitor"),
        migrations.CreateModel(
            name="DayVisitor",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "day",
                        "post_id",
                        "visitor",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("day", models.DateField()),
                ("post_id", models.BigIntegerField()),
                ("visitor", models.CharField(max_length=32)),
            ],
        ),
    ]

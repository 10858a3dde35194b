from django.db import migrations

from hanji.search.backends.ddl import create_title_vector, drop_title_vector


class Migration(migrations.Migration):
    dependencies = [("search", "0001_search_entries")]

    operations = [migrations.RunPython(create_title_vector, drop_title_vector)]

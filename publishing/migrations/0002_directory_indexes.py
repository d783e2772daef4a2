from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations, models

# The directory's name search is `name__icontains`, which PostgreSQL runs as UPPER(name) LIKE '%…%':
# a trigram index on UPPER(name) serves it. SQLite has neither, and scans (fast enough on a laptop).
# Written as SQL: Django builds an expression's operator class only with django.contrib.postgres installed.
ADD_NAME_TRIGRAMS = "CREATE INDEX published_school_name_trgm ON publishing_publishedschool USING gin (UPPER(name) gin_trgm_ops)"
REMOVE_NAME_TRIGRAMS = "DROP INDEX published_school_name_trgm"


def add_name_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ADD_NAME_TRIGRAMS)


def remove_name_trigrams(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE_NAME_TRIGRAMS)


class Migration(migrations.Migration):

    dependencies = [
        ("publishing", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="publishedschool",
            index=models.Index(models.F("name"), models.F("id"), name="published_school_name"),
        ),
        migrations.AddIndex(
            model_name="publishedschool",
            index=models.Index(models.F("latitude"), models.F("longitude"), name="published_school_place"),
        ),
        TrigramExtension(),  # does nothing on SQLite
        migrations.RunPython(add_name_trigrams, remove_name_trigrams),
    ]

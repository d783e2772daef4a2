"""A partner school of another authority is stored with its name (clusters.models.Partner.name):
the cluster's authority may not read another authority's schools under row-level security."""

from django.db import migrations
from django.db.models import F, OuterRef, Subquery


def forwards(apps, schema_editor):
    Partner = apps.get_model("clusters", "Partner")
    School = apps.get_model("schools", "School")
    Partner.objects.filter(school__isnull=False, name="").exclude(
        school__authority=F("cluster__authority")
    ).update(name=Subquery(School.objects.filter(pk=OuterRef("school_id")).values("name")[:1]))


class Migration(migrations.Migration):
    dependencies = [("clusters", "0002_partners_from_schools"), ("schools", "0004_partners_move_to_clusters")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

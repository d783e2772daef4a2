"""Partner schools move from School.partners (symmetrical: each of a pair counted the other) into
clusters: every school with partners leads a cluster of them, so each school keeps its number of
partner schools, and with it its Centre of Excellence eligibility."""

from django.db import migrations


def forwards(apps, schema_editor):
    School = apps.get_model("schools", "School")
    Cluster = apps.get_model("clusters", "Cluster")
    Partner = apps.get_model("clusters", "Partner")
    for school in School.objects.filter(partners__isnull=False).distinct().order_by("pk"):
        cluster = Cluster.objects.create(
            authority_id=school.authority_id, lead_school=school, name=f"{school.name} cluster"
        )
        Partner.objects.bulk_create(
            Partner(cluster=cluster, school=partner) for partner in school.partners.order_by("pk")
        )


def backwards(apps, schema_editor):
    Partner = apps.get_model("clusters", "Partner")
    for partner in Partner.objects.filter(school__isnull=False, removed_at=None):
        partner.cluster.lead_school.partners.add(partner.school)


class Migration(migrations.Migration):
    dependencies = [
        ("clusters", "0001_clusters_partners_activities"),
        ("schools", "0003_school_import"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

"""An action plan target's lead becomes a person of the school. The free text each target had is
matched to the people holding a role at the target's school (by full name or email, ignoring case
and spacing); where exactly one matches, that person leads it, otherwise the text is kept as a
note shown beside the target, for the school to choose the person."""

from django.conf import settings
from django.db import migrations, models


def _normal(text):
    return " ".join(text.split()).casefold()


def leads_to_people(apps, schema_editor):
    Target = apps.get_model("assessments", "Target")
    Membership = apps.get_model("accounts", "Membership")
    people = {}  # school id -> {normalised name or email: {user ids}}
    for school_id, user_id, name, email in Membership.objects.filter(
        school__isnull=False
    ).values_list("school_id", "user_id", "user__full_name", "user__email"):
        names = people.setdefault(school_id, {})
        for key in {_normal(name), _normal(email)} - {""}:
            names.setdefault(key, set()).add(user_id)
    for target in Target.objects.select_related("cycle").exclude(lead_note=""):
        matches = people.get(target.cycle.school_id, {}).get(_normal(target.lead_note), set())
        if len(matches) == 1:
            target.lead_id = matches.pop()
            target.lead_note = ""
            target.save(update_fields=["lead", "lead_note"])


def people_to_leads(apps, schema_editor):
    Target = apps.get_model("assessments", "Target")
    for target in Target.objects.filter(lead__isnull=False, lead_note="").select_related("lead"):
        target.lead_note = target.lead.full_name or target.lead.email
        target.save(update_fields=["lead_note"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("assessments", "0006_mentor_review_decision"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField("target", "lead", "lead_note"),
        migrations.AlterField(
            model_name="target",
            name="lead_note",
            field=models.CharField(
                blank=True, max_length=150, verbose_name="lead as first written"
            ),
        ),
        migrations.AddField(
            model_name="target",
            name="lead",
            field=models.ForeignKey(
                null=True,
                on_delete=models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="lead person",
            ),
        ),
        migrations.RunPython(leads_to_people, people_to_leads),
    ]

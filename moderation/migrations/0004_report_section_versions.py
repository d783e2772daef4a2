from django.db import migrations, models


class Migration(migrations.Migration):
    """The report's sections are versioned apart, so two moderators writing at once are told of a
    conflict only on the same section: the context, and each element's finding, get a version."""

    dependencies = [("moderation", "0003_visitnote_client_id")]

    operations = [
        migrations.AddField(
            model_name="report",
            name="context_version",
            field=models.PositiveIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="finding",
            name="version",
            field=models.PositiveIntegerField(default=0),
        ),
    ]

from django.db import migrations, models


class Migration(migrations.Migration):
    """A visit note carries the id the page that wrote it gave it, so a note sent twice is saved
    once. Notes written before have none."""

    dependencies = [("moderation", "0002_award_moves_to_awards")]

    operations = [
        migrations.AddField(
            model_name="visitnote",
            name="client_id",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
        migrations.AddConstraint(
            model_name="visitnote",
            constraint=models.UniqueConstraint(
                models.F("visit"), models.F("client_id"), name="visitnote_unique_client_id"
            ),
        ),
    ]

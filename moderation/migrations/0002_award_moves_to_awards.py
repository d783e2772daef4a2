from django.db import migrations


class Migration(migrations.Migration):
    """The Award model moves to the awards app; its table stays as it is."""

    dependencies = [("moderation", "0001_initial")]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel("Award")]),
    ]

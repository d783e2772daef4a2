import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Award, moved here from moderation: the table moderation_award is kept as it is."""

    initial = True

    dependencies = [
        ("authorities", "0001_initial"),
        ("schools", "0001_initial"),
        ("moderation", "0002_award_moves_to_awards"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Award",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "tier",
                            models.CharField(
                                choices=[
                                    ("quality_mark", "Inclusion Quality Mark"),
                                    ("centre_of_excellence", "Centre of Excellence"),
                                    ("flagship", "Flagship"),
                                ],
                                max_length=30,
                            ),
                        ),
                        ("awarded_on", models.DateField()),
                        ("expires_on", models.DateField()),
                        (
                            "withdrawn_at",
                            models.DateTimeField(
                                blank=True,
                                help_text="Set when a correction replaces the decision.",
                                null=True,
                            ),
                        ),
                        (
                            "authority",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="+",
                                to="authorities.authority",
                            ),
                        ),
                        (
                            "school",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="awards",
                                to="schools.school",
                            ),
                        ),
                        (
                            "decision",
                            models.OneToOneField(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                related_name="award",
                                to="moderation.decision",
                            ),
                        ),
                    ],
                    options={"ordering": ["-awarded_on", "pk"], "db_table": "moderation_award"},
                ),
            ]
        ),
    ]

"""When the worker's scheduled issuance last ran (SPEC §14: ``lastRunAt``, ``lastIssuanceRunAt``):
one row, written at the end of each scheduled run."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("certificates", "0007_reference_check_skips_absent_history_reads")]

    operations = [
        migrations.CreateModel(
            name="IssuanceRun",
            fields=[
                ("id", models.PositiveSmallIntegerField(default=1, primary_key=True, serialize=False)),
                (
                    "started_at",
                    models.DateTimeField(help_text="The moment the run issued as of (its start)"),
                ),
                ("finished_at", models.DateTimeField(help_text="When it finished")),
                ("issued", models.IntegerField(default=0, help_text="Certificates it issued")),
            ],
            options={
                "verbose_name": "issuance run",
                "constraints": [models.CheckConstraint(condition=models.Q(("id", 1)), name="one_issuance_run_row")],
            },
        ),
    ]

"""Reads by file (SPEC §14): a bulk job has a kind (devices, or meter reads), and a reads job
keeps, per device of its file, the rows it held and whether they were stored."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0004_code_list_notices"),
    ]

    operations = [
        migrations.AddField(
            model_name="csvjob",
            name="kind",
            field=models.CharField(
                choices=[("devices", "Devices"), ("reads", "Reads")], default="devices", max_length=10
            ),
        ),
        migrations.AddConstraint(
            model_name="csvjob",
            constraint=models.CheckConstraint(
                condition=models.Q(("kind__in", ["devices", "reads"])), name="csvjob_kind_valid"
            ),
        ),
        migrations.CreateModel(
            name="CsvDeviceReads",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "external_id",
                    models.CharField(help_text="As the file's first row of the device gives it", max_length=255),
                ),
                ("first_row", models.PositiveIntegerField()),
                (
                    "row_ranges",
                    models.JSONField(default=list, help_text="The device's rows as [first, last] ranges"),
                ),
                ("rows", models.PositiveIntegerField()),
                ("stored", models.PositiveIntegerField(default=0, help_text="Reads stored: all the rows, or 0")),
                (
                    "device",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="devices.device",
                    ),
                ),
                (
                    "job",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="device_reads", to="devices.csvjob"
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "CSV device reads",
                "ordering": ["first_row", "id"],
                "constraints": [
                    models.UniqueConstraint(fields=("job", "external_id"), name="csv_device_reads_once_per_job"),
                    models.CheckConstraint(
                        condition=models.Q(("stored", 0), ("stored", models.F("rows")), _connector="OR"),
                        name="csv_device_reads_all_or_none",
                    ),
                ],
            },
        ),
    ]

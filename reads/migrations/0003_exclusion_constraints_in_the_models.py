"""Exclusion constraints declared in the models (created by SQL in migration 0002)."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations, models

import drec.models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0003_devices_and_bulk_jobs"),
        ("reads", "0002_reads_chain_and_history_overlap"),
    ]

    # The constraint exists since 0002 (SQL, same name and definition): the model declares it
    # now, so Django's state learns it and the database is left as it is.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="meterread",
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                        condition=models.Q(("read_type", "History")),
                        expressions=[
                            ("device", "="),
                            (
                                drec.models.TsTzRange(
                                    "start", "end", django.contrib.postgres.fields.ranges.RangeBoundary()
                                ),
                                "&&",
                            ),
                        ],
                        name="history_reads_do_not_overlap",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]

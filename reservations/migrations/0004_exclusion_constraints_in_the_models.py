"""Exclusion constraints declared in the models (created by SQL in migration 0002)."""

import django.contrib.postgres.constraints
import django.contrib.postgres.fields.ranges
from django.db import migrations

import drec.models


class Migration(migrations.Migration):
    dependencies = [
        ("devices", "0003_devices_and_bulk_jobs"),
        ("reservations", "0003_reservation_name_unique_per_buyer"),
    ]

    # The constraint exists since 0002 (SQL, same name and definition): the model declares it
    # now, so Django's state learns it and the database is left as it is.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddConstraint(
                    model_name="reservationdevice",
                    constraint=django.contrib.postgres.constraints.ExclusionConstraint(
                        expressions=[
                            ("device", "="),
                            (
                                drec.models.TsTzRange(
                                    "covers_from", "covers_until", django.contrib.postgres.fields.ranges.RangeBoundary()
                                ),
                                "&&",
                            ),
                        ],
                        name="device_coverages_do_not_overlap",
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]

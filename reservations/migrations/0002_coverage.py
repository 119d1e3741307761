"""When a reservation ended, and which span of time each membership covers (the reads a
reservation may certify); the coverages of one device may never overlap (the model declares
that exclusion constraint since migration 0004)."""

from django.db import migrations, models

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE reservations_reservationdevice ADD CONSTRAINT device_coverages_do_not_overlap EXCLUDE USING gist "
    "(device_id WITH =, tstzrange(covers_from, covers_until, '[)') WITH &&)",
]
BACKWARD = ["ALTER TABLE reservations_reservationdevice DROP CONSTRAINT IF EXISTS device_coverages_do_not_overlap"]


def coverage_from_reservations(apps, schema_editor):
    ReservationDevice = apps.get_model("reservations", "ReservationDevice")
    for membership in ReservationDevice.objects.select_related("reservation"):
        membership.covers_from = membership.reservation.start
        if not membership.is_active:
            membership.covers_until = membership.released_at or membership.reservation.end
        membership.save(update_fields=["covers_from", "covers_until"])


class Migration(migrations.Migration):
    dependencies = [("reservations", "0001_reservations")]

    operations = [
        migrations.AddField(
            model_name="reservation",
            name="ended_at",
            field=models.DateTimeField(
                blank=True, help_text="When it ended (its period, its target, or by hand)", null=True
            ),
        ),
        migrations.AddField(
            model_name="reservationdevice",
            name="covers_from",
            field=models.DateTimeField(
                null=True, help_text="The reservation's start, or the end of the device's previous one"
            ),
        ),
        migrations.AddField(
            model_name="reservationdevice",
            name="covers_until",
            field=models.DateTimeField(blank=True, help_text="Set when the reservation ends", null=True),
        ),
        migrations.RunPython(coverage_from_reservations, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="reservationdevice",
            name="covers_from",
            field=models.DateTimeField(help_text="The reservation's start, or the end of the device's previous one"),
        ),
        migrations.AddConstraint(
            model_name="reservationdevice",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("covers_until__isnull", True), ("covers_from__lte", models.F("covers_until")), _connector="OR"
                ),
                name="coverage_from_before_until",
            ),
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

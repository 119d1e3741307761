"""What the ORM cannot declare (PostgreSQL only; SQLite, the zero-install default of
`make run`, relies on the ingestion's per-device lock and checks):
- every ongoing read but the baseline starts where an earlier ongoing read of the device ends
  (a composite foreign key onto the unique (device, ongoing_end) of migration 0001);
- History reads of a device never overlap (exclusion constraint, btree_gist for the device).
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    "ALTER TABLE reads_meterread ADD CONSTRAINT ongoing_reads_form_a_chain FOREIGN KEY (device_id, chained_start) "
    "REFERENCES reads_meterread (device_id, ongoing_end)",
    "ALTER TABLE reads_meterread ADD CONSTRAINT history_reads_do_not_overlap EXCLUDE USING gist "
    "(device_id WITH =, tstzrange(\"start\", \"end\", '[)') WITH &&) WHERE (read_type = 'History')",
]
BACKWARD = [
    "ALTER TABLE reads_meterread DROP CONSTRAINT IF EXISTS history_reads_do_not_overlap",
    "ALTER TABLE reads_meterread DROP CONSTRAINT IF EXISTS ongoing_reads_form_a_chain",
]


def run(statements):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("reads", "0001_meter_reads")]

    operations = [migrations.RunPython(run(FORWARD), run(BACKWARD))]

"""What the ORM could not declare when this was written:
- every ongoing read but the baseline starts where an earlier ongoing read of the device ends
  (a composite foreign key onto the unique (device, ongoing_end) of migration 0001: Django has
  no composite foreign keys, so it stays SQL);
- History reads of a device never overlap (exclusion constraint, btree_gist for the device; the
  model declares it since migration 0004).
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


class Migration(migrations.Migration):
    dependencies = [("reads", "0001_meter_reads")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

"""0005's reference check locked the History reads of a statement with
``WHERE id IN (SELECT history_read_id ...)``: for ongoing contributions (no History read) the
planner could read the whole reads table to find nothing (tests/certificates/
test_issuance_cost.py counts the reads a run touches). The same check, with the History reads
looked up only when there are some."""

import importlib

from django.db import migrations

_0005 = importlib.import_module("certificates.migrations.0005_contribution_references_checked_per_statement")
NEW_LOCK = (
    "WHERE id IN (SELECT history_read_id FROM certificates_contribution_new WHERE history_read_id IS NOT NULL) "
    "FOR KEY SHARE;"
)
OLD_LOCK = "WHERE id IN (SELECT history_read_id FROM certificates_contribution_new) FOR KEY SHARE;"
if OLD_LOCK not in _0005.CHECK:
    raise RuntimeError("0005's check is not the one this migration amends")

FORWARD = _0005.CHECK.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION").replace(OLD_LOCK, NEW_LOCK)
BACKWARD = _0005.CHECK.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


class Migration(migrations.Migration):
    dependencies = [("certificates", "0006_certificate_lifecycle")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

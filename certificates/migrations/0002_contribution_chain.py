"""What the ORM cannot declare: each ongoing contribution but the first of
a membership starts where an earlier ongoing contribution of the same membership ends or
later, linked by a composite foreign key onto the unique (membership, ongoing_end) of 0001
(with the unique successor and the single chain start, one chain of non-overlapping spans;
Django has no composite foreign keys), and the ledger's append-only trigger (a trigger is not
a constraint Django can declare)."""

from django.db import migrations

FORWARD = [
    "ALTER TABLE certificates_contribution ADD CONSTRAINT contributions_form_a_chain "
    "FOREIGN KEY (membership_id, previous_end) REFERENCES certificates_contribution (membership_id, ongoing_end)",
    # The ledger is append-only: entries are never changed or removed.
    """CREATE OR REPLACE FUNCTION certificates_ledger_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'The ledger is append-only: % of entry % refused', TG_OP, OLD.index;
    END;
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON certificates_ledgerentry "
    "FOR EACH ROW EXECUTE FUNCTION certificates_ledger_append_only()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_append_only ON certificates_ledgerentry",
    "DROP FUNCTION IF EXISTS certificates_ledger_append_only()",
    "ALTER TABLE certificates_contribution DROP CONSTRAINT IF EXISTS contributions_form_a_chain",
]


class Migration(migrations.Migration):
    dependencies = [("certificates", "0001_certificates")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

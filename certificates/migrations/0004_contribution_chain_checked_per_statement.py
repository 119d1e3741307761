"""The chain of contributions (0002) checked once per statement instead of once per row.

0002 linked each contribution to its predecessor with a composite foreign key. PostgreSQL
checks a foreign key row by row, each check locking the row it finds (FOR KEY SHARE, so
that it cannot be deleted meanwhile): a batch of 30,000 contributions spent 1.0 s of its
1.3 s of writing there (issue 17's benchmark: ``make bench ARGS="--only issuance"``).

The same rule, kept as strictly:
- after each INSERT statement, one query over the statement's new rows (a transition table)
  finds any whose ``previous_end`` is not the ``ongoing_end`` of a contribution of the same
  membership, and refuses the statement with the constraint's old name (issuance tells a
  chain conflict by it);
- no lock is needed, because a link can never go away: a contribution is never deleted and
  its place in the chain (membership, span, predecessor, History read) never changes. Other
  columns stay updatable by the database's owner, as before (``verify_ledger`` detects a
  changed volume against the signed ledger).
"""

from django.db import migrations

FORWARD = [
    "ALTER TABLE certificates_contribution DROP CONSTRAINT contributions_form_a_chain",
    """CREATE FUNCTION certificates_contribution_chain_check() RETURNS trigger AS $$
    DECLARE
        orphan record;
    BEGIN
        SELECT n.membership_id, n.previous_end INTO orphan
        FROM certificates_contribution_new n
        WHERE n.previous_end IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM certificates_contribution c
            WHERE c.membership_id = n.membership_id AND c.ongoing_end = n.previous_end
        )
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION USING
                ERRCODE = 'foreign_key_violation',
                CONSTRAINT = 'contributions_form_a_chain',
                TABLE = 'certificates_contribution',
                MESSAGE = format(
                    'contribution of membership %s links to %s, the end of none of its contributions',
                    orphan.membership_id, orphan.previous_end);
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER contributions_form_a_chain AFTER INSERT ON certificates_contribution "
    "REFERENCING NEW TABLE AS certificates_contribution_new "
    "FOR EACH STATEMENT EXECUTE FUNCTION certificates_contribution_chain_check()",
    """CREATE FUNCTION certificates_contribution_links_stay() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION USING
            ERRCODE = 'integrity_constraint_violation',
            MESSAGE = format('A contribution is a link of a chain: %s of contribution %s refused', TG_OP, OLD.id);
    END;
    $$ LANGUAGE plpgsql""",
    'CREATE TRIGGER contribution_links_stay BEFORE DELETE OR UPDATE OF membership_id, "end", previous_end, '
    "history_read_id ON certificates_contribution FOR EACH ROW EXECUTE FUNCTION certificates_contribution_links_stay()",
]
BACKWARD = [
    "DROP TRIGGER IF EXISTS contribution_links_stay ON certificates_contribution",
    "DROP FUNCTION IF EXISTS certificates_contribution_links_stay()",
    "DROP TRIGGER IF EXISTS contributions_form_a_chain ON certificates_contribution",
    "DROP FUNCTION IF EXISTS certificates_contribution_chain_check()",
    "ALTER TABLE certificates_contribution ADD CONSTRAINT contributions_form_a_chain "
    "FOREIGN KEY (membership_id, previous_end) REFERENCES certificates_contribution (membership_id, ongoing_end)",
]


class Migration(migrations.Migration):
    dependencies = [("certificates", "0003_contribution_indexes_of_constraints")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]

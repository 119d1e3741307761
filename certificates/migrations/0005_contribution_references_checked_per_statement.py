"""A contribution's references (certificate, membership, device, History read) checked once
per statement instead of by four foreign keys.

A foreign key is checked row by row: PostgreSQL queues one trigger event per inserted row
and, at commit (Django's keys are deferred), looks each referenced row up and locks it. An
issuing batch writes tens of thousands of contributions (``make bench ARGS="--only
issuance"``: 30,000 for 720k reads) and those checks cost about 16 µs a row, about 0.5 s of
that run, spent at commit inside the ledger's lock when workers issue in parallel.

The same rules, kept as strictly:
- after each INSERT or UPDATE statement, one query per reference over the statement's new
  rows (a transition table, looked up once per distinct value) finds a certificate, a
  membership or a History read that does not exist, or a device that is not its
  membership's (the membership's own foreign key keeps the device), and refuses the
  statement with a foreign key violation naming it;
- the referenced rows are then locked FOR KEY SHARE, once per distinct row, as a foreign
  key locks them, so that no concurrent transaction deletes them before this one commits;
- deleting a certificate, membership, device or read that a contribution refers to is
  refused after each DELETE statement, as ``ON DELETE NO ACTION`` did (Django's ``PROTECT``
  refuses it first, naming the objects, for deletes made through the ORM).
"""

import django.db.models.deletion
from django.db import migrations, models


def _refused(message: str) -> str:
    return (
        "RAISE EXCEPTION USING ERRCODE = 'foreign_key_violation', "
        f"TABLE = 'certificates_contribution', MESSAGE = {message};"
    )


CHECK = f"""CREATE FUNCTION certificates_contribution_references_check() RETURNS trigger AS $$
DECLARE
    missing bigint;
    stray record;
BEGIN
    SELECT n.certificate_id INTO missing
    FROM (SELECT DISTINCT certificate_id FROM certificates_contribution_new) n
    WHERE NOT EXISTS (SELECT 1 FROM certificates_certificate c WHERE c.id = n.certificate_id)
    LIMIT 1;
    IF FOUND THEN
        {_refused("format('contribution of certificate %s: no such certificate', missing)")}
    END IF;
    SELECT n.membership_id, n.device_id INTO stray
    FROM (SELECT DISTINCT membership_id, device_id FROM certificates_contribution_new) n
    WHERE NOT EXISTS (
        SELECT 1 FROM reservations_reservationdevice m WHERE m.id = n.membership_id AND m.device_id = n.device_id
    )
    LIMIT 1;
    IF FOUND THEN
        {_refused("format('contribution of device %s in membership %s: no such membership of that device', stray.device_id, stray.membership_id)")}
    END IF;
    SELECT n.history_read_id INTO missing
    FROM certificates_contribution_new n
    WHERE n.history_read_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM reads_meterread r WHERE r.id = n.history_read_id)
    LIMIT 1;
    IF FOUND THEN
        {_refused("format('contribution of History read %s: no such read', missing)")}
    END IF;
    -- As a foreign key does: what the statement refers to stays until it commits.
    PERFORM 1 FROM certificates_certificate
    WHERE id IN (SELECT certificate_id FROM certificates_contribution_new) FOR KEY SHARE;
    PERFORM 1 FROM reservations_reservationdevice
    WHERE id IN (SELECT membership_id FROM certificates_contribution_new) FOR KEY SHARE;
    PERFORM 1 FROM reads_meterread
    WHERE id IN (SELECT history_read_id FROM certificates_contribution_new) FOR KEY SHARE;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql"""  # noqa: S608 (static SQL: the f-string inserts constants)

STAYS = f"""CREATE FUNCTION certificates_contribution_referred_stays() RETURNS trigger AS $$
DECLARE
    referred bigint;
BEGIN
    EXECUTE format(
        'SELECT o.id FROM referred_old o WHERE EXISTS '
        '(SELECT 1 FROM certificates_contribution c WHERE c.%I = o.id) LIMIT 1',
        TG_ARGV[0]) INTO referred;
    IF referred IS NOT NULL THEN
        {_refused("format('%s %s is referred to by a contribution: delete refused', TG_TABLE_NAME, referred)")}
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql"""  # noqa: S608 (static SQL: the f-string inserts constants)

# (table, the contribution's column that refers to it)
REFERRED = [
    ("certificates_certificate", "certificate_id"),
    ("reservations_reservationdevice", "membership_id"),
    ("devices_device", "device_id"),
    ("reads_meterread", "history_read_id"),
]

FORWARD = [
    CHECK,
    # (a trigger with transition tables has one event: one per event)
    *(
        f"CREATE TRIGGER contribution_references_exist_{event.lower()} AFTER {event} ON certificates_contribution "
        "REFERENCING NEW TABLE AS certificates_contribution_new "
        "FOR EACH STATEMENT EXECUTE FUNCTION certificates_contribution_references_check()"
        for event in ("INSERT", "UPDATE")
    ),
    STAYS,
    *(
        f"CREATE TRIGGER contribution_referred_stays AFTER DELETE ON {table} REFERENCING OLD TABLE AS referred_old "
        f"FOR EACH STATEMENT EXECUTE FUNCTION certificates_contribution_referred_stays('{column}')"
        for table, column in REFERRED
    ),
]
BACKWARD = [
    *(f"DROP TRIGGER IF EXISTS contribution_referred_stays ON {table}" for table, _column in REFERRED),
    "DROP FUNCTION IF EXISTS certificates_contribution_referred_stays()",
    *(
        f"DROP TRIGGER IF EXISTS contribution_references_exist_{event} ON certificates_contribution"
        for event in ("insert", "update")
    ),
    "DROP FUNCTION IF EXISTS certificates_contribution_references_check()",
]


class Migration(migrations.Migration):
    dependencies = [
        ("certificates", "0004_contribution_chain_checked_per_statement"),
        ("devices", "0004_code_list_notices"),
        ("reads", "0003_exclusion_constraints_in_the_models"),
        ("reservations", "0004_exclusion_constraints_in_the_models"),
    ]

    operations = [
        migrations.RunSQL(FORWARD, BACKWARD),
        migrations.AlterField(
            model_name="contribution",
            name="certificate",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contributions",
                to="certificates.certificate",
            ),
        ),
        migrations.AlterField(
            model_name="contribution",
            name="device",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contributions",
                to="devices.device",
            ),
        ),
        migrations.AlterField(
            model_name="contribution",
            name="history_read",
            field=models.OneToOneField(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contribution",
                to="reads.meterread",
            ),
        ),
        migrations.AlterField(
            model_name="contribution",
            name="membership",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="contributions",
                to="reservations.reservationdevice",
            ),
        ),
    ]

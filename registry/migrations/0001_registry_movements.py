"""The registry's movements and the statement triggers on certificates that append them
(registry.models): one row per (country, month of generation) a statement changed, with the
changes of issued, claimed and withdrawn Wh and of the number of certificates. Certificates
issued before are appended once, here."""

import django.db.models.deletion
from django.db import migrations, models

# A certificate's side of a movement: its country, the month of its generation start (UTC).
_SIDE = (
    "SELECT country_code, date_trunc('month', generation_start AT TIME ZONE 'UTC')::date AS month, "
    "{sign} energy_wh AS issued, {sign} claimed_wh AS claimed, {sign} withdrawn_wh AS withdrawn, "
    "{sign} 1 AS certificates FROM {table}"
)
_APPEND = (
    "INSERT INTO registry_movement (country_code, month, issued_wh, claimed_wh, withdrawn_wh, certificates) "
    "SELECT country_code, month, sum(issued), sum(claimed), sum(withdrawn), sum(certificates) FROM ({rows}) AS side "
    "GROUP BY country_code, month "
    "HAVING sum(issued) <> 0 OR sum(claimed) <> 0 OR sum(withdrawn) <> 0 OR sum(certificates) <> 0"
)
_NEW = _SIDE.format(sign="", table="registry_new")
_OLD = _SIDE.format(sign="-", table="registry_old")

FORWARD = [
    f"""CREATE FUNCTION registry_certificates_moved() RETURNS trigger AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            {_APPEND.format(rows=_NEW)};
        ELSIF TG_OP = 'UPDATE' THEN
            {_APPEND.format(rows=_NEW + " UNION ALL " + _OLD)};
        ELSE
            {_APPEND.format(rows=_OLD)};
        END IF;
        RETURN NULL;
    END;
    $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER registry_certificates_inserted AFTER INSERT ON certificates_certificate "
    "REFERENCING NEW TABLE AS registry_new FOR EACH STATEMENT EXECUTE FUNCTION registry_certificates_moved()",
    "CREATE TRIGGER registry_certificates_updated AFTER UPDATE ON certificates_certificate "
    "REFERENCING OLD TABLE AS registry_old NEW TABLE AS registry_new "
    "FOR EACH STATEMENT EXECUTE FUNCTION registry_certificates_moved()",
    "CREATE TRIGGER registry_certificates_deleted AFTER DELETE ON certificates_certificate "
    "REFERENCING OLD TABLE AS registry_old FOR EACH STATEMENT EXECUTE FUNCTION registry_certificates_moved()",
    # What was issued before: once.
    _APPEND.format(rows=_SIDE.format(sign="", table="certificates_certificate")),
]
BACKWARD = [
    *(
        f"DROP TRIGGER IF EXISTS registry_certificates_{event} ON certificates_certificate"
        for event in ("inserted", "updated", "deleted")
    ),
    "DROP FUNCTION IF EXISTS registry_certificates_moved()",
]


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("certificates", "0006_certificate_lifecycle"),
        ("devices", "0004_code_list_notices"),
    ]

    operations = [
        migrations.CreateModel(
            name="Movement",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("month", models.DateField(help_text="First day of the month of generation (UTC)")),
                ("issued_wh", models.BigIntegerField(default=0)),
                ("claimed_wh", models.BigIntegerField(default=0)),
                ("withdrawn_wh", models.BigIntegerField(default=0)),
                ("certificates", models.IntegerField(default=0)),
                (
                    "country",
                    models.ForeignKey(
                        db_column="country_code", on_delete=django.db.models.deletion.PROTECT, to="devices.country"
                    ),
                ),
            ],
            options={
                "indexes": [models.Index(fields=["month", "country"], name="registry_movement_month")],
            },
        ),
        migrations.RunSQL(FORWARD, BACKWARD),
    ]

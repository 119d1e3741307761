"""Organization.device_list_version: a number that moves on, in the same transaction, with every
write that can change what the organization's device list shows, however the write is made
(the API, the portal, bulk uploads, the Django admin, reads setting a device's zone, psql):
statement triggers on the devices, their SDG benefit links and reservation memberships, and a
row trigger on the organization's api user. devices.api keeps list pages under it, so a change
must be seen by the very next list, in every process.

The numbers come from one sequence: never the same twice, even for an organization id used
again, nor after a transaction that moved one on rolled back.

Organizations are locked in id order, so two transactions changing the lists of the same
organizations wait for each other instead of deadlocking.
"""

from django.db import migrations, models

SEQUENCE = "organizations_device_list_version"

FUNCTIONS = """
CREATE FUNCTION organizations_device_lists_changed(organization_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    organization bigint;
BEGIN
    FOR organization IN SELECT DISTINCT unnest(organization_ids) ORDER BY 1 LOOP
        UPDATE "organizations_organization" SET "device_list_version" = nextval('organizations_device_list_version')
        WHERE "id" = organization;
    END LOOP;
END
$$;

-- Rows of "devices_device": the organizations they belong to, before and after.
CREATE FUNCTION organizations_devices_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM organizations_device_lists_changed(ARRAY(SELECT "organization_id" FROM new_rows));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM organizations_device_lists_changed(ARRAY(SELECT "organization_id" FROM old_rows));
    ELSE
        PERFORM organizations_device_lists_changed(ARRAY(
            SELECT "organization_id" FROM new_rows UNION SELECT "organization_id" FROM old_rows
        ));
    END IF;
    RETURN NULL;
END
$$;

-- Rows naming a device ("device_id"): SDG benefit links, reservation memberships.
CREATE FUNCTION organizations_device_parts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM organizations_device_lists_changed(ARRAY(
            SELECT d."organization_id" FROM "devices_device" d WHERE d."id" IN (SELECT "device_id" FROM new_rows)
        ));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM organizations_device_lists_changed(ARRAY(
            SELECT d."organization_id" FROM "devices_device" d WHERE d."id" IN (SELECT "device_id" FROM old_rows)
        ));
    ELSE
        PERFORM organizations_device_lists_changed(ARRAY(
            SELECT d."organization_id" FROM "devices_device" d
            WHERE d."id" IN (SELECT "device_id" FROM new_rows UNION SELECT "device_id" FROM old_rows)
        ));
    END IF;
    RETURN NULL;
END
$$;

CREATE FUNCTION organizations_device_tables_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM organizations_device_lists_changed(ARRAY(SELECT "id" FROM "organizations_organization"));
    RETURN NULL;
END
$$;

-- The organization's api user is shown with each of its devices (api_user_id).
CREATE FUNCTION organizations_api_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW."device_list_version" := nextval('organizations_device_list_version');
    RETURN NEW;
END
$$;
"""

DROP_FUNCTIONS = """
DROP FUNCTION organizations_api_user_changed();
DROP FUNCTION organizations_device_tables_truncated();
DROP FUNCTION organizations_device_parts_changed();
DROP FUNCTION organizations_devices_changed();
DROP FUNCTION organizations_device_lists_changed(bigint[]);
"""

# (table, function) of the statement triggers.
WATCHED = [
    ("devices_device", "organizations_devices_changed"),
    ("devices_device_sdg_benefits", "organizations_device_parts_changed"),
    ("reservations_reservationdevice", "organizations_device_parts_changed"),
]

STATEMENT_TRIGGERS = """
CREATE TRIGGER device_list_insert AFTER INSERT ON "{table}"
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER device_list_update AFTER UPDATE ON "{table}"
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER device_list_delete AFTER DELETE ON "{table}"
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER device_list_truncate AFTER TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION organizations_device_tables_truncated();
"""

DROP_STATEMENT_TRIGGERS = """
DROP TRIGGER device_list_insert ON "{table}";
DROP TRIGGER device_list_update ON "{table}";
DROP TRIGGER device_list_delete ON "{table}";
DROP TRIGGER device_list_truncate ON "{table}";
"""

API_USER_TRIGGER = """
CREATE TRIGGER device_list_api_user BEFORE UPDATE OF "api_user_id" ON "organizations_organization"
FOR EACH ROW WHEN (OLD."api_user_id" IS DISTINCT FROM NEW."api_user_id")
EXECUTE FUNCTION organizations_api_user_changed();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("organizations", "0004_backfill_organization_access"),
        ("devices", "0003_devices_and_bulk_jobs"),
        ("reservations", "0004_exclusion_constraints_in_the_models"),
    ]

    operations = [
        migrations.RunSQL(f"CREATE SEQUENCE {SEQUENCE};", f"DROP SEQUENCE {SEQUENCE};"),
        migrations.AddField(
            model_name="organization",
            name="device_list_version",
            field=models.BigIntegerField(
                db_default=models.Func(
                    models.Value(SEQUENCE), function="nextval", output_field=models.BigIntegerField()
                ),
                editable=False,
            ),
        ),
        migrations.RunSQL(FUNCTIONS, DROP_FUNCTIONS),
        *(
            migrations.RunSQL(
                STATEMENT_TRIGGERS.format(table=table, function=function),
                DROP_STATEMENT_TRIGGERS.format(table=table),
            )
            for table, function in WATCHED
        ),
        migrations.RunSQL(API_USER_TRIGGER, 'DROP TRIGGER device_list_api_user ON "organizations_organization";'),
    ]

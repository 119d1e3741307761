"""Statement triggers on the code-list tables: any write to them, however it is made (the ORM,
bulk operations, data migrations, ``manage.py seed``, psql), sends ``NOTIFY drec_code_lists``
when its transaction commits, so that every process stops serving what it prepared from them
(devices/code_changes.py)."""

from django.db import migrations

TABLES = [
    "devices_country",
    "devices_fueltype",
    "devices_devicetype",
    "devices_offtaker",
    "devices_devicedescription",
    "devices_sdgbenefit",
]

FUNCTION = """
CREATE FUNCTION devices_code_lists_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('drec_code_lists', TG_TABLE_NAME);
    RETURN NULL;
END
$$;
"""

TRIGGER = """
CREATE TRIGGER code_lists_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "{table}"
FOR EACH STATEMENT EXECUTE FUNCTION devices_code_lists_changed();
"""


class Migration(migrations.Migration):
    dependencies = [("devices", "0003_devices_and_bulk_jobs")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION devices_code_lists_changed();"),
        *(
            migrations.RunSQL(TRIGGER.format(table=table), f'DROP TRIGGER code_lists_changed ON "{table}";')
            for table in TABLES
        ),
    ]

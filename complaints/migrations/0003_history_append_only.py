"""PostgreSQL only: a trigger that keeps complaint history append-only."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION complaints_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaint history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_history_append_only
    BEFORE UPDATE ON complaints_complaintevent
    FOR EACH ROW EXECUTE FUNCTION complaints_history_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS complaints_history_append_only ON complaints_complaintevent;
DROP FUNCTION IF EXISTS complaints_history_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_complaints")]

    operations = [migrations.RunPython(create, drop, elidable=False)]

"""On PostgreSQL, a trigger refuses any UPDATE or DELETE of access log entries, so that not even
code with database access can rewrite who looked at a person's data. (Deleting a person cascades
through the same rule only after the retention process has anonymised them; see
identity.actions.close_account, which keeps the entries under the person's pseudonym.)"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION identity_access_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'access log entries are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER identity_access_log_append_only
    BEFORE UPDATE OR DELETE ON identity_accesslogentry
    FOR EACH ROW EXECUTE FUNCTION identity_access_log_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS identity_access_log_append_only ON identity_accesslogentry;
DROP FUNCTION IF EXISTS identity_access_log_append_only();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("identity", "0002_identity_model")]
    operations = [migrations.RunPython(create, drop)]

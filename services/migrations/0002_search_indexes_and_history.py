"""PostgreSQL only: the indexes behind catalogue search (full-text over the segmented search
document, and trigrams for typos), and a trigger that keeps application history append-only."""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX service_search_fts ON services_service
    USING gin (to_tsvector('simple', search_document));
CREATE INDEX service_search_trgm ON services_service
    USING gin (search_document gin_trgm_ops);
CREATE OR REPLACE FUNCTION services_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'application history is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER services_history_append_only
    BEFORE UPDATE ON services_applicationevent
    FOR EACH ROW EXECUTE FUNCTION services_history_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS services_history_append_only ON services_applicationevent;
DROP FUNCTION IF EXISTS services_history_append_only();
DROP INDEX IF EXISTS service_search_trgm;
DROP INDEX IF EXISTS service_search_fts;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]

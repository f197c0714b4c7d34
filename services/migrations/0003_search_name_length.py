"""Catalogue search: an index on the name length, walked for the first pages of a common word
(services.search.Search), and the trigram index of 0002 dropped: nothing searches by trigrams
(typos are corrected through the full-text index), and it cost every write of a document."""

import django.db.models.functions.text
from django.db import migrations, models


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS service_search_trgm")


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS service_search_trgm ON services_service "
            "USING gin (search_document gin_trgm_ops)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0004_access_log_protects_its_references"),
        ("payments", "0002_attempt_payer_business"),
        ("services", "0002_search_indexes_and_history"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="service",
            index=models.Index(
                django.db.models.functions.text.Length("name_en"),
                models.F("id"),
                name="service_name_length_idx",
            ),
        ),
        migrations.RunPython(drop_trigram_index, create_trigram_index),
    ]

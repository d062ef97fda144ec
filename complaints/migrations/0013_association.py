"""The association or intermediary a complaint is about (category ASSOCIATIONS), part of what the
complainant said: the database backstop of 0003 is redefined to keep it immutable too."""

import django.db.models.deletion
from django.db import migrations, models

CONTENT_COLUMNS = [
    "channel", "complainant_type", "is_anonymous", "department_id", "department_text", "category",
    "occurred_on", "occurred_place", "description", "desired_outcome", "received_at",
]

FUNCTION = """
CREATE OR REPLACE FUNCTION complaints_complaint_content_immutable() RETURNS trigger AS $$
BEGIN
    IF {condition} THEN
        RAISE EXCEPTION 'A filed complaint''s content cannot be changed; append a supplement instead.';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _function(columns):
    return FUNCTION.format(condition=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns))


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function([*CONTENT_COLUMNS, "association_id"]))


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_function(CONTENT_COLUMNS))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0012_appraisal_consent"),
        ("liaison", "0007_associations_leading_group"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="association",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="complaints",
                to="liaison.association",
                verbose_name="association or intermediary",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

"""A database backstop for the immutability of a filed complaint's content (PostgreSQL only):
even a raw UPDATE or a bulk .update() cannot rewrite what a complainant said."""

from django.db import migrations

CONTENT_COLUMNS = [
    "channel", "complainant_type", "is_anonymous", "department_id", "department_text", "category",
    "occurred_on", "occurred_place", "description", "desired_outcome", "received_at",
]

CREATE = """
CREATE OR REPLACE FUNCTION complaints_complaint_content_immutable() RETURNS trigger AS $$
BEGIN
    IF {condition} THEN
        RAISE EXCEPTION 'A filed complaint''s content cannot be changed; append a supplement instead.';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS complaints_complaint_content_immutable ON complaints_complaint;
CREATE TRIGGER complaints_complaint_content_immutable BEFORE UPDATE ON complaints_complaint
    FOR EACH ROW EXECUTE FUNCTION complaints_complaint_content_immutable();
""".format(condition=" OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in CONTENT_COLUMNS))

DROP = """
DROP TRIGGER IF EXISTS complaints_complaint_content_immutable ON complaints_complaint;
DROP FUNCTION IF EXISTS complaints_complaint_content_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0002_publicupdate_recorded_by_identityview")]
    operations = [migrations.RunPython(forwards, backwards)]

"""Retention (issue 18): the timeline stays append-only, with one exception for the purge of
personal data — under the transaction-local setting ``envopt.personal_data_purge = 'on'``
(core.retention) an event's note may be rewritten (redacted), and nothing else of it; DELETE is
refused always. SQLite has no trigger."""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION casework_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE'
        AND COALESCE(current_setting('envopt.personal_data_purge', true), '') = 'on'
        AND NEW.id = OLD.id AND NEW.case_id = OLD.case_id AND NEW.at = OLD.at
        AND NEW.actor_id IS NOT DISTINCT FROM OLD.actor_id AND NEW.action = OLD.action
        AND NEW.from_status = OLD.from_status AND NEW.to_status = OLD.to_status
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'Case timeline events cannot be changed or deleted; append a new event instead.';
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION casework_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Case timeline events cannot be changed or deleted; append a new event instead.';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0014_channels_issue16"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

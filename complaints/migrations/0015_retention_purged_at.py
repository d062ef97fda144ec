"""Retention (issue 18): a complaint whose personal data was purged is marked, and the content
backstop of 0003/0013 lets the purge — and only the purge — redact the three texts of a filed
complaint (description, outcome wanted, place): under the transaction-local setting
``envopt.personal_data_purge = 'on'`` (core.retention) those may change; every other content
column stays immutable, and without the setting nothing changes. SQLite has no trigger."""

from django.db import migrations, models

FIXED_COLUMNS = [
    "channel", "complainant_type", "is_anonymous", "department_id", "department_text", "category",
    "occurred_on", "received_at", "association_id",
]
REDACTABLE_COLUMNS = ["description", "desired_outcome", "occurred_place"]

FUNCTION = """
CREATE OR REPLACE FUNCTION complaints_complaint_content_immutable() RETURNS trigger AS $$
BEGIN
    IF {fixed} OR (
        COALESCE(current_setting('envopt.personal_data_purge', true), '') <> 'on' AND ({redactable})
    ) THEN
        RAISE EXCEPTION 'A filed complaint''s content cannot be changed; append a supplement instead.';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION complaints_complaint_content_immutable() RETURNS trigger AS $$
BEGIN
    IF {condition} THEN
        RAISE EXCEPTION 'A filed complaint''s content cannot be changed; append a supplement instead.';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
"""


def _changed(columns):
    return " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in columns)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            FUNCTION.format(fixed=f"({_changed(FIXED_COLUMNS)})", redactable=_changed(REDACTABLE_COLUMNS))
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS.format(condition=_changed(FIXED_COLUMNS + REDACTABLE_COLUMNS)))


class Migration(migrations.Migration):
    dependencies = [
        ("complaints", "0014_mailbox_messages"),
    ]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="personal_data_purged_at",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="personal data purged at"
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

"""The case timeline is append-only in the database too (PostgreSQL only): a trigger refuses
every UPDATE and DELETE of a row of casework_caseevent, raw SQL and bulk statements included.

No code path changes or deletes events: the escalation sweep, the ladder and the calendar
recompute listener only insert them (case_events_add_many). Cases are never deleted (the admin
refuses, no service does), so the cascade from cases is replaced by PROTECT; the actor's
SET_NULL (an UPDATE the trigger refuses) is replaced by PROTECT too: a user named on a timeline
is deactivated, never deleted. pytest-django empties tables with TRUNCATE, which row triggers
do not see. SQLite (the embedded demo database) has no trigger, as for complaints.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

CREATE = """
CREATE OR REPLACE FUNCTION casework_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'Case timeline events cannot be changed or deleted; append a new event instead.';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS casework_caseevent_append_only ON casework_caseevent;
CREATE TRIGGER casework_caseevent_append_only BEFORE UPDATE OR DELETE ON casework_caseevent
    FOR EACH ROW EXECUTE FUNCTION casework_caseevent_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS casework_caseevent_append_only ON casework_caseevent;
DROP FUNCTION IF EXISTS casework_caseevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_referral_fewer_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="caseevent",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="by",
            ),
        ),
        migrations.AlterField(
            model_name="caseevent",
            name="case",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="events",
                to="casework.case",
            ),
        ),
        migrations.RunPython(forwards, backwards),
    ]

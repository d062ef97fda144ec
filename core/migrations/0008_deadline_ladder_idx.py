"""The escalation sweep's index, (status, ladder_step, due_date), in place of (status, due_date);
and autovacuum for the deadline table at 1 % of its rows instead of 20 % (PostgreSQL): a sweep
climbs a few percent of the open items at once, and their dead index entries would otherwise
stay for weeks at a million deadlines."""

from django.db import migrations, models


def vacuum_often(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE core_deadline SET (autovacuum_vacuum_scale_factor = 0.01,"
            " autovacuum_analyze_scale_factor = 0.01)"
        )


def vacuum_by_default(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE core_deadline RESET (autovacuum_vacuum_scale_factor, autovacuum_analyze_scale_factor)"
        )


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('core', '0007_beat_tasks_module_path'),
    ]

    operations = [
        migrations.RunPython(vacuum_often, vacuum_by_default),
        migrations.RemoveIndex(
            model_name='deadline',
            name='core_deadline_status_due_idx',
        ),
        migrations.AddIndex(
            model_name='deadline',
            index=models.Index(fields=['status', 'ladder_step', 'due_date'], name='core_deadline_ladder_idx'),
        ),
    ]

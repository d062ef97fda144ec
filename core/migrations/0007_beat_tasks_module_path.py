"""The shared mechanisms moved from envopt/core to core/ (a change of module path; the app label
stays "core"): the periodic tasks staff may have edited keep running under their new names."""

from django.db import migrations

OLD, NEW = "envopt.core.tasks.", "core.tasks."


def rename(apps, schema_editor, old=OLD, new=NEW):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for task in PeriodicTask.objects.filter(task__startswith=old):
        task.task = new + task.task.removeprefix(old)
        task.save(update_fields=["task"])


def rename_back(apps, schema_editor):
    rename(apps, schema_editor, old=NEW, new=OLD)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0006_access_change"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(rename, rename_back)]

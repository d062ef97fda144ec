import pytest

from envopt.celery import app
from envopt.setup.schedules import SCHEDULES, schedules_install


@pytest.mark.django_db
def test_every_schedule_is_installed_and_names_a_real_task():
    from django_celery_beat.models import PeriodicTask

    app.loader.import_default_modules()
    installed = dict(PeriodicTask.objects.values_list("task", "enabled"))
    for entry in SCHEDULES:
        assert installed.get(entry["task"]) is True, entry["task"]
        assert entry["task"] in app.tasks, f"{entry['task']} is not a registered Celery task"


@pytest.mark.django_db
def test_a_schedule_edited_by_staff_is_kept():
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    task = PeriodicTask.objects.get(task="core.tasks.outbox_sweep")
    task.interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    task.save()
    assert schedules_install() == []
    assert PeriodicTask.objects.get(task="core.tasks.outbox_sweep").interval.every == 5

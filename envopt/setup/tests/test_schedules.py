import pytest
from django.utils import translation

from envopt.celery import app
from envopt.setup.schedules import SCHEDULES, schedule_name, schedules_install


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


@pytest.mark.django_db
def test_schedules_are_named_in_the_sites_language(settings):
    from django_celery_beat.models import PeriodicTask

    assert settings.LANGUAGE_CODE == "zh-hans"
    names = dict(PeriodicTask.objects.values_list("task", "name"))
    for entry in SCHEDULES:
        with translation.override("zh-hans"):
            chinese = translation.gettext(entry["name"])
        assert chinese != entry["name"] and any("\u4e00" <= ch <= "\u9fff" for ch in chinese)
        assert names[entry["task"]] == chinese


@pytest.mark.django_db
def test_a_schedule_installed_in_english_is_renamed_once_and_a_staff_name_kept():
    from django_celery_beat.models import PeriodicTask

    # A database set up before the names were translated.
    for entry in SCHEDULES:
        PeriodicTask.objects.filter(task=entry["task"]).update(name=entry["name"])
    PeriodicTask.objects.filter(task="core.tasks.escalation_sweep").update(name="每天早上的督办")
    assert schedules_install() == []
    names = dict(PeriodicTask.objects.values_list("task", "name"))
    assert names["core.tasks.outbox_sweep"] == schedule_name(SCHEDULES[0]) != SCHEDULES[0]["name"]
    assert names["core.tasks.escalation_sweep"] == "每天早上的督办"
    assert schedules_install() == []
    assert dict(PeriodicTask.objects.values_list("task", "name")) == names
    assert PeriodicTask.objects.filter(task__in=[e["task"] for e in SCHEDULES]).count() == len(SCHEDULES)

"""Seed the working-day calendar with every year the installed chinese-calendar package covers.

Self-contained on purpose (no import of core.calendar): a migration must keep working
whatever later becomes of the app's code. `manage.py calendar_load` does the same afterwards.
"""

import datetime

from django.db import migrations
from django.utils import timezone


def load(apps, schema_editor):
    try:
        import chinese_calendar
        from chinese_calendar.constants import Holiday, holidays
    except ImportError:  # the package is a dependency; without it every year falls back to weekends
        return
    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")

    def chinese(name):
        try:
            return Holiday(name).chinese
        except ValueError:
            return name or ""

    now = timezone.now()
    first, last = min(holidays).year, max(holidays).year
    taken = set(CalendarYear.objects.values_list("year", flat=True))
    days, years = [], []
    for year in range(first, last + 1):
        if year in taken:
            continue
        day = datetime.date(year, 1, 1)
        while day.year == year:
            weekend = day.weekday() >= 5
            is_holiday, name = chinese_calendar.get_holiday_detail(day)
            if is_holiday and not weekend:
                days.append(CalendarDay(date=day, is_working_day=False, name=chinese(name)))
            elif weekend and chinese_calendar.is_workday(day):
                label = f"{chinese(name)}调休上班" if name else "调休上班"
                days.append(CalendarDay(date=day, is_working_day=True, name=label))
            day += datetime.timedelta(days=1)
        years.append(CalendarYear(year=year, source="chinese-calendar", loaded_at=now, complete=True))
    CalendarDay.objects.bulk_create(days, batch_size=500, ignore_conflicts=True)
    CalendarYear.objects.bulk_create(years)


def unload(apps, schema_editor):
    CalendarYear = apps.get_model("core", "CalendarYear")
    CalendarDay = apps.get_model("core", "CalendarDay")
    years = list(CalendarYear.objects.filter(source="chinese-calendar").values_list("year", flat=True))
    CalendarDay.objects.filter(date__year__in=years).delete()
    CalendarYear.objects.filter(year__in=years).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]

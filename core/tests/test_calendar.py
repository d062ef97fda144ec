import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone, translation

from core.calendar import (
    add_working_days,
    calendar_changed,
    calendar_day_set,
    calendar_warnings,
    calendar_year_set,
    end_of_day,
    is_working_day,
    package_years,
    working_days_between,
    years_without_data,
)
from core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def _forget_year(year: int) -> None:
    CalendarDay.objects.filter(date__year=year).delete()
    CalendarYear.objects.filter(year=year).delete()


def test_the_data_migration_loaded_2026():
    assert CalendarYear.objects.get(year=2026).complete
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.CHINESE_CALENDAR
    assert not is_working_day(D(2026, 10, 1))
    assert is_working_day(D(2026, 10, 10))


def test_the_data_migration_loaded_every_year_the_package_covers():
    years = set(CalendarYear.objects.filter(complete=True).values_list("year", flat=True))
    assert set(package_years()) <= years
    assert 2026 in package_years()


def test_only_exceptions_to_the_weekday_rule_are_stored():
    # 3–4 October 2026 is a weekend inside National Day: it needs no row.
    assert not CalendarDay.objects.filter(date__in=[D(2026, 10, 3), D(2026, 10, 4)]).exists()
    assert CalendarDay.objects.get(date=D(2026, 10, 1)).name == "国庆节"
    assert CalendarDay.objects.get(date=D(2026, 10, 10)).is_working_day


def test_five_working_days_from_30_september_2026_end_on_13_october():
    result = add_working_days(D(2026, 9, 30), 5)
    assert result.due_date == D(2026, 10, 13)
    assert result.skipped == [
        (D(2026, 10, 1), "国庆节"),
        (D(2026, 10, 2), "国庆节"),
        (D(2026, 10, 3), "weekend"),
        (D(2026, 10, 4), "weekend"),
        (D(2026, 10, 5), "国庆节"),
        (D(2026, 10, 6), "国庆节"),
        (D(2026, 10, 7), "国庆节"),
        (D(2026, 10, 11), "weekend"),
    ]
    assert result.fallback_years == set()
    assert not result.fallback


def test_national_day_2026_is_off_from_1_to_7_october():
    assert [is_working_day(d) for d in _days(D(2026, 10, 1), D(2026, 10, 7))] == [False] * 7
    assert is_working_day(D(2026, 9, 30))
    assert is_working_day(D(2026, 10, 8))


def test_spring_festival_2026_is_off_from_15_to_23_february_with_two_working_saturdays():
    assert [is_working_day(d) for d in _days(D(2026, 2, 15), D(2026, 2, 23))] == [False] * 9
    assert is_working_day(D(2026, 2, 14))  # Saturday, make-up working day
    assert is_working_day(D(2026, 2, 28))  # Saturday, make-up working day
    # From Friday 13 February, the Saturday counts, then nothing until the 24th.
    assert add_working_days(D(2026, 2, 13), 2).due_date == D(2026, 2, 24)


def test_a_make_up_working_saturday_is_counted():
    assert D(2026, 10, 10).weekday() == 5
    result = add_working_days(D(2026, 10, 9), 1)
    assert result.due_date == D(2026, 10, 10)
    assert result.skipped == []


def test_the_start_day_is_not_counted():
    assert add_working_days(D(2026, 11, 23), 1).due_date == D(2026, 11, 24)
    assert add_working_days(D(2026, 11, 23), 0).due_date == D(2026, 11, 23)


def test_a_start_on_a_holiday_counts_from_the_next_working_day():
    result = add_working_days(D(2026, 10, 1), 1)
    assert result.due_date == D(2026, 10, 8)
    # The start day is neither counted nor reported as skipped.
    assert [day for day, _reason in result.skipped] == _days(D(2026, 10, 2), D(2026, 10, 7))


def test_a_year_without_data_falls_back_to_weekends_and_reports_it():
    _forget_year(2031)
    assert years_without_data([2030, 2031]) >= {2031}
    # Wednesday 1 October 2031 is an ordinary weekday until the State Council says otherwise.
    assert is_working_day(D(2031, 10, 1))
    result = add_working_days(D(2031, 9, 30), 5)
    assert result.due_date == D(2031, 10, 7)
    assert result.skipped == [(D(2031, 10, 4), "weekend"), (D(2031, 10, 5), "weekend")]
    assert result.fallback_years == {2031}
    assert result.fallback


def test_a_year_not_marked_complete_ignores_its_days_and_falls_back():
    CalendarYear.objects.filter(year=2026).update(complete=False)
    result = add_working_days(D(2026, 9, 30), 5)
    assert result.due_date == D(2026, 10, 7)
    assert result.fallback_years == {2026}
    assert is_working_day(D(2026, 10, 1))


def test_a_period_across_a_year_without_data_names_only_that_year():
    _forget_year(2027)
    result = add_working_days(D(2026, 12, 30), 5)
    assert result.due_date == D(2027, 1, 6)
    assert result.fallback_years == {2027}


def test_working_days_between_undoes_add_working_days():
    start = D(2026, 9, 30)
    for n in (1, 5, 10, 30):
        assert working_days_between(start, add_working_days(start, n).due_date) == n
    assert working_days_between(D(2026, 10, 13), start) == -5
    assert working_days_between(start, start) == 0


def test_add_working_days_reads_the_calendar_in_two_queries(django_assert_num_queries):
    with django_assert_num_queries(2):  # complete years, exceptions in the window
        add_working_days(D(2026, 9, 30), 20)


def test_a_long_period_extends_the_window_and_stays_exact():
    # 250 working days from 1 January 2025 run into 2026; the result matches a day-by-day count.
    result = add_working_days(D(2025, 1, 1), 250)
    assert working_days_between(D(2025, 1, 1), result.due_date) == 250
    assert is_working_day(result.due_date)


def test_an_edit_is_seen_at_once_without_a_stale_cache():
    assert add_working_days(D(2026, 11, 23), 1).due_date == D(2026, 11, 24)
    CalendarDay.objects.create(date=D(2026, 11, 24), is_working_day=False, name="test")
    assert add_working_days(D(2026, 11, 23), 1).due_date == D(2026, 11, 25)


def test_end_of_day_is_the_last_moment_of_the_day_in_shanghai():
    moment = end_of_day(D(2026, 10, 13))
    assert timezone.is_aware(moment)
    assert moment == dt.datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert moment.astimezone(dt.UTC).hour == 15


def test_a_calendar_day_repeating_the_weekday_rule_is_refused():
    with pytest.raises(ValidationError):
        calendar_day_set(date=D(2026, 11, 25), is_working_day=True, name="", actor=None)  # a Wednesday
    with pytest.raises(ValidationError):
        calendar_day_set(date=D(2026, 11, 28), is_working_day=False, name="", actor=None)  # a Saturday


def test_a_staff_edit_marks_a_loaded_year_as_staff_data():
    calendar_day_set(date=D(2026, 12, 31), is_working_day=False, name="test", actor=None)
    assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.STAFF


def test_calendar_load_is_idempotent():
    before = list(CalendarDay.objects.order_by("date").values_list("date", "is_working_day", "name"))
    call_command("calendar_load", "--years", "2024", "2026", stdout=io.StringIO())
    call_command("calendar_load", stdout=io.StringIO())
    after = list(CalendarDay.objects.order_by("date").values_list("date", "is_working_day", "name"))
    assert after == before


def test_calendar_load_restores_a_package_year_and_keeps_a_staff_year():
    CalendarDay.objects.filter(date=D(2025, 10, 1)).delete()
    calendar_day_set(date=D(2026, 12, 31), is_working_day=False, name="test", actor=None)
    call_command("calendar_load", "--years", "2025", "2026", stdout=io.StringIO())
    assert not is_working_day(D(2025, 10, 1))
    assert CalendarDay.objects.filter(date=D(2026, 12, 31)).exists()
    call_command("calendar_load", "--years", "2026", "--force", stdout=io.StringIO())
    assert not CalendarDay.objects.filter(date=D(2026, 12, 31)).exists()


def test_calendar_warnings_name_the_coming_year_without_data():
    _forget_year(2027)
    with translation.override("en"):
        warnings = calendar_warnings(today=D(2026, 11, 26))
    assert warnings == [
        "No calendar data for 2027: deadlines falling in it count plain weekends only. "
        "Enter the holidays announced by the State Council, then mark the year complete."
    ]
    calendar_year_set(year=2027, complete=True, actor=None)
    assert calendar_warnings(today=D(2026, 11, 26)) == []


def test_an_edit_is_announced_after_commit_with_its_reason(django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, *, reason, **kwargs):
        heard.append((sender, reason))

    calendar_changed.connect(listener, dispatch_uid="test-listener")
    try:
        with translation.override("en"), django_capture_on_commit_callbacks() as callbacks:
            calendar_day_set(date=D(2026, 11, 25), is_working_day=False, name="test holiday", actor=None)
        assert heard == []  # nothing is announced before the commit
        for callback in callbacks:
            callback()
    finally:
        calendar_changed.disconnect(dispatch_uid="test-listener")
    assert heard == [(CalendarDay, "Calendar changed: 2026-11-25 is now a holiday (test holiday)")]


def test_calendar_changelist_shows_the_warning(admin_client):
    year = timezone.localdate().year + 1
    _forget_year(year)
    for name in ("calendarday", "calendaryear"):
        response = admin_client.get(reverse(f"admin:core_{name}_changelist"), HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert f"No calendar data for {year}" in response.content.decode()


def test_admin_adds_a_holiday_through_the_service(admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            reverse("admin:core_calendarday_add"),
            {"date": "2026-11-25", "is_working_day": "", "name": "test holiday", "note": ""},
        )
    assert response.status_code == 302
    day = CalendarDay.objects.get(date=D(2026, 11, 25))
    assert day.updated_by is not None
    assert len(callbacks) == 1  # the recompute
    assert not is_working_day(D(2026, 11, 25))

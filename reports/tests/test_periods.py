"""Reporting periods: months and quarters, bounded on the Shanghai clock."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.periods import MONTH, QUARTER, period_of, period_parse, previous_month
from reports.models import NotificationItem, NotificationRun
from reports.notifications import services
from reports.tests.factories import complaint, department, shanghai


@pytest.mark.parametrize(
    ("text", "label", "first", "last"),
    [
        ("2026-10", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("2026-9", "2026-09", dt.date(2026, 9, 1), dt.date(2026, 9, 30)),
        ("2026/02", "2026-02", dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        ("2028-02", "2028-02", dt.date(2028, 2, 1), dt.date(2028, 2, 29)),
        ("2026-12", "2026-12", dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        ("2026年10月", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        (" ２０２６－１０ ", "2026-10", dt.date(2026, 10, 1), dt.date(2026, 10, 31)),
        ("2026Q3", "2026Q3", dt.date(2026, 7, 1), dt.date(2026, 9, 30)),
        ("2026-q4", "2026Q4", dt.date(2026, 10, 1), dt.date(2026, 12, 31)),
        ("2026年第1季度", "2026Q1", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ],
)
def test_months_and_quarters_parse_to_their_first_and_last_days(text, label, first, last):
    period = period_parse(text)
    assert (period.label, period.first_day, period.last_day) == (label, first, last)
    assert period.kind == (QUARTER if "Q" in label else MONTH)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("2026-13", "bad_month"),
        ("2026-00", "bad_month"),
        ("2026Q5", "bad_period"),
        ("October", "bad_period"),
        ("", "bad_period"),
        ("26-10", "bad_period"),
        ("1999-12", "bad_year"),
    ],
)
def test_an_invalid_period_is_refused_with_a_specific_error(text, code):
    with pytest.raises(ValidationError) as error:
        period_parse(text)
    assert error.value.code == code
    assert error.value.messages[0]


def test_period_boundaries_follow_the_shanghai_clock():
    late_september = shanghai(2026, 9, 30, 23, 30)  # 15:30 UTC
    early_october = shanghai(2026, 10, 1, 0, 10)  # 16:10 UTC on 30 September
    assert late_september.astimezone(dt.UTC).date() == early_october.astimezone(dt.UTC).date()

    assert period_of(late_september).label == "2026-09"
    assert period_of(late_september, kind=QUARTER).label == "2026Q3"
    assert period_of(early_october).label == "2026-10"
    assert period_of(early_october, kind=QUARTER).label == "2026Q4"
    assert period_parse("2026-09").contains(late_september)
    assert not period_parse("2026-09").contains(early_october)
    assert period_parse("2026-10").contains(early_october)
    assert period_parse("2026-10").start_at == early_october.replace(minute=0)


def test_previous_month_crosses_the_new_year():
    assert previous_month(today=dt.date(2027, 1, 3)).label == "2026-12"
    assert previous_month(today=dt.date(2026, 11, 1)).label == "2026-10"


@pytest.mark.django_db
def test_a_complaint_belongs_to_the_period_of_its_shanghai_day():
    unit = department()
    september = complaint(department=unit, at=shanghai(2026, 9, 30, 23, 30))
    october = complaint(department=unit, at=shanghai(2026, 10, 1, 0, 10))

    def complaints_in(period):
        run = services.notification_run_prepare(period=period, actor=None)
        return set(NotificationItem.objects.filter(run=run).values_list("complaint_id", flat=True))

    assert complaints_in("2026-09") == {september.pk}
    assert complaints_in("2026Q3") == {september.pk}
    assert complaints_in("2026-10") == {october.pk}


@pytest.mark.django_db
def test_a_period_that_has_not_ended_cannot_be_prepared():
    this_month = period_of(timezone.now())
    with pytest.raises(ValidationError) as error:
        services.notification_run_prepare(period=this_month.label, actor=None)
    assert error.value.code == "period_not_ended"
    assert not NotificationRun.objects.exists()

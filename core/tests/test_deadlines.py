import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from core.calendar import (
    add_working_days,
    calendar_day_delete,
    calendar_day_set,
    calendar_year_set,
    end_of_day,
)
from core.deadlines import (
    deadline_cancel,
    deadline_create,
    deadline_explain,
    deadline_listeners,
    deadline_meet,
    deadlines_recompute,
)
from core.models import CalendarDay, CalendarYear, Deadline, DeadlineChange

pytestmark = pytest.mark.django_db

D = dt.date
KIND = "core_test"


@pytest.fixture
def subject():
    return Group.objects.create(name="subject")


@pytest.fixture
def listener():
    calls = []

    def callback(changes, reason):
        calls.append((list(changes), reason))

    deadline_listeners.register(KIND, callback)
    yield calls
    deadline_listeners.unregister(KIND, callback)


def _create(subject, start, days=5, **kwargs):
    return deadline_create(subject=subject, kind=KIND, start_date=start, working_days=days, **kwargs)


def test_deadline_create_stores_due_date_due_at_and_skipped(subject):
    deadline = _create(subject, D(2026, 9, 30))
    deadline.refresh_from_db()
    assert deadline.due_date == D(2026, 10, 13)
    assert deadline.due_at == dt.datetime(2026, 10, 13, 23, 59, 59, 999999, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert deadline.skipped[:3] == [
        {"date": "2026-10-01", "reason": "国庆节"},
        {"date": "2026-10-02", "reason": "国庆节"},
        {"date": "2026-10-03", "reason": "weekend"},
    ]
    assert len(deadline.skipped) == 8
    assert deadline.status == Deadline.Status.OPEN
    assert not deadline.fallback
    assert deadline.subject == subject
    assert deadline.content_type == ContentType.objects.get_for_model(Group)
    assert (deadline.round, deadline.ladder_step) == (1, 0)


def test_deadline_create_marks_a_fallback_count(subject):
    CalendarDay.objects.filter(date__year=2031).delete()
    CalendarYear.objects.filter(year=2031).delete()
    deadline = _create(subject, D(2031, 9, 30))
    assert deadline.fallback
    assert deadline.due_date == D(2031, 10, 7)


def test_deadline_create_refuses_zero_working_days(subject):
    with pytest.raises(ValidationError):
        _create(subject, D(2026, 9, 30), days=0)


def test_the_database_refuses_zero_working_days(subject):
    deadline = _create(subject, D(2026, 9, 30))
    with pytest.raises(IntegrityError), transaction.atomic():
        Deadline.objects.filter(pk=deadline.pk).update(working_days=0)


def test_deadline_meet_records_when_and_is_safe_to_run_twice(subject):
    deadline = _create(subject, D(2026, 9, 30))
    at = timezone.now()
    deadline_meet(deadline=deadline, at=at)
    deadline_meet(deadline=deadline)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.MET
    assert deadline.met_at == at


def test_a_cancelled_deadline_cannot_be_met(subject):
    deadline = _create(subject, D(2026, 9, 30))
    deadline_cancel(deadline=deadline)
    deadline_cancel(deadline=deadline)
    with pytest.raises(ValidationError):
        deadline_meet(deadline=deadline)
    deadline.refresh_from_db()
    assert deadline.status == Deadline.Status.CANCELLED
    assert deadline.met_at is None


def test_deadline_explain_groups_consecutive_days_with_the_same_reason(subject):
    deadline = _create(subject, D(2026, 9, 30))
    with translation.override("en"):
        text = deadline_explain(deadline)
    assert text == (
        "5 working days from Sept. 30, 2026: skipped October 1 – October 2 (国庆节), "
        "October 3 – October 4 (weekend), October 5 – October 7 (国庆节), October 11 (weekend); "
        "due Oct. 13, 2026, end of day."
    )


def test_deadline_explain_says_when_weekends_alone_were_counted(subject):
    CalendarDay.objects.filter(date__year=2031).delete()
    CalendarYear.objects.filter(year=2031).delete()
    deadline = _create(subject, D(2031, 11, 3), days=1)
    with translation.override("en"):
        text = deadline_explain(deadline)
    assert text == (
        "1 working day from Nov. 3, 2031; due Nov. 4, 2031, end of day. "
        "No calendar data for 2031: plain weekends were counted."
    )


def test_editing_a_holiday_recomputes_only_affected_open_deadlines(
    subject, listener, django_capture_on_commit_callbacks
):
    affected = _create(subject, D(2026, 10, 8), days=1)  # due Friday 9 October
    later = _create(subject, D(2026, 11, 2), days=5)
    met = _create(subject, D(2026, 10, 8), days=1)
    cancelled = _create(subject, D(2026, 10, 8), days=1)
    deadline_meet(deadline=met)
    deadline_cancel(deadline=cancelled)

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        calendar_day_set(date=D(2026, 10, 9), is_working_day=False, name="国庆节", actor=None)

    reason = "Calendar changed: 2026-10-09 is now a holiday (国庆节)"
    for deadline in (affected, later, met, cancelled):
        deadline.refresh_from_db()
    assert affected.due_date == D(2026, 10, 10)  # the make-up Saturday
    assert affected.due_at == end_of_day(D(2026, 10, 10))
    assert affected.skipped == [{"date": "2026-10-09", "reason": "国庆节"}]
    assert later.due_date == D(2026, 11, 9)
    assert met.due_date == cancelled.due_date == D(2026, 10, 9)
    assert list(DeadlineChange.objects.values_list("deadline", "old_due_date", "new_due_date", "reason")) == [
        (affected.pk, D(2026, 10, 9), D(2026, 10, 10), reason)
    ]
    assert len(listener) == 1
    changes, called_reason = listener[0]
    assert called_reason == reason
    assert [(d.pk, old, new) for d, old, new in changes] == [(affected.pk, D(2026, 10, 9), D(2026, 10, 10))]


def test_deleting_a_make_up_working_day_moves_deadlines_past_it(subject, django_capture_on_commit_callbacks):
    deadline = _create(subject, D(2026, 9, 30))
    with django_capture_on_commit_callbacks(execute=True):
        calendar_day_delete(day=CalendarDay.objects.get(date=D(2026, 10, 10)), actor=None)
    deadline.refresh_from_db()
    assert deadline.due_date == D(2026, 10, 14)
    assert deadline.changes.get().new_due_date == D(2026, 10, 14)


def test_marking_a_year_complete_recomputes_its_fallback_deadlines(
    subject, django_capture_on_commit_callbacks
):
    CalendarDay.objects.filter(date__year=2031).delete()
    CalendarYear.objects.filter(year=2031).delete()
    deadline = _create(subject, D(2031, 9, 30))
    assert (deadline.due_date, deadline.fallback) == (D(2031, 10, 7), True)

    # Entering a day in an incomplete year changes nothing yet: no recompute is scheduled.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        calendar_day_set(date=D(2031, 10, 1), is_working_day=False, name="国庆节", actor=None)
    assert callbacks == []
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        calendar_year_set(year=2031, complete=True, actor=None)
    assert len(callbacks) == 1
    deadline.refresh_from_db()
    assert (deadline.due_date, deadline.fallback) == (D(2031, 10, 8), False)


def test_recompute_without_calendar_changes_writes_nothing(subject, listener):
    _create(subject, D(2026, 9, 30))
    assert deadlines_recompute(reason="nothing") == 0
    assert not DeadlineChange.objects.exists()
    assert listener == []


def _open_deadlines(subject, count: int) -> None:
    content_type = ContentType.objects.get_for_model(Group)
    starts = [D(2026, 10, 8) + dt.timedelta(days=i % 5) for i in range(count)]
    rows = []
    for i, start in enumerate(starts):
        result = add_working_days(start, 10 + i % 7)
        rows.append(
            Deadline(
                kind=KIND,
                content_type=content_type,
                object_id=subject.pk,
                start_date=start,
                working_days=10 + i % 7,
                due_date=result.due_date,
                due_at=end_of_day(result.due_date),
                skipped=result.skipped_json(),
            )
        )
    Deadline.objects.bulk_create(rows)


@pytest.mark.parametrize("count", [10, 200])
def test_recompute_runs_a_bounded_number_of_queries_whatever_the_number_of_deadlines(
    subject, listener, count
):
    _open_deadlines(subject, count)
    # Every one of these periods (starting 8–12 October) spans Tuesday 13 October, now a holiday.
    CalendarDay.objects.create(date=D(2026, 10, 13), is_working_day=False, name="test")
    with CaptureQueriesContext(connection) as queries:
        moved = deadlines_recompute(reason="test")
    assert moved == count
    assert DeadlineChange.objects.count() == count
    assert len(listener) == 1 and len(listener[0][0]) == count
    statements = [q["sql"].split(" ", 1)[0] for q in queries.captured_queries]
    # Open deadlines grouped by pair, complete years, exceptions, the rows of stale pairs; one
    # INSERT … SELECT of the DeadlineChange rows and one UPDATE … FROM VALUES.
    assert statements.count("SELECT") == 4
    assert statements.count("UPDATE") == 1
    assert statements.count("INSERT") == 1
    assert len(statements) == 8  # with the savepoint and its release


def test_the_deadline_admin_shows_how_the_due_date_was_counted(admin_client, subject):
    deadline = _create(subject, D(2026, 9, 30))
    response = admin_client.get(
        reverse("admin:core_deadline_change", args=[deadline.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "5 working days from Sept. 30, 2026" in response.content.decode()
    assert admin_client.get(reverse("admin:core_deadline_add")).status_code == 403
    for name in ("deadline", "deadlinechange"):
        assert admin_client.get(reverse(f"admin:core_{name}_changelist")).status_code == 200

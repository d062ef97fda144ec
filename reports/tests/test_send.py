"""notification_run_send: one e-mail per department, once, with a reply deadline; and the
department's reply, which meets it."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError

from casework.tests.factories import user
from core.calendar import calendar_day_set
from core.deadlines import deadlines_recompute
from core.errors import InvalidTransition
from core.models import Deadline, OutboundEmail
from reports.models import REPLY_DEADLINE_KIND, NotificationReport, NotificationRun
from reports.notifications import services
from reports.tests.factories import complaint, department, staff

pytestmark = pytest.mark.django_db


def _approved_run(*units):
    for unit in units:
        complaint(department=unit)
    run = services.notification_run_prepare(period="2026-10", actor=None)
    return services.notification_run_approve(run=run, actor=staff())


def test_sending_twice_queues_each_departments_email_once():
    tax, market = department(), department()
    run = _approved_run(tax, market)
    actor = staff()

    services.notification_run_send(run=run, actor=actor)
    services.notification_run_send(run=run, actor=actor)

    emails = OutboundEmail.objects.filter(kind="notification_report")
    assert sorted(emails.values_list("key", flat=True)) == sorted(
        [f"notification:{run.pk}:{tax.pk}", f"notification:{run.pk}:{market.pk}"]
    )
    assert {tuple(e.to) for e in emails} == {(tax.email,), (market.email,)}
    assert Deadline.objects.filter(kind=REPLY_DEADLINE_KIND).count() == 2
    run.refresh_from_db()
    assert (run.status, run.sent_by) == (NotificationRun.Status.SENT, actor)


def test_a_run_must_be_approved_before_it_is_sent():
    complaint(department=department())
    run = services.notification_run_prepare(period="2026-10", actor=None)
    with pytest.raises(InvalidTransition):
        services.notification_run_send(run=run, actor=None)
    assert not OutboundEmail.objects.filter(kind="notification_report").exists()


def test_each_report_gets_a_reply_deadline_that_the_email_states():
    unit = department(language="en")
    run = services.notification_run_send(run=_approved_run(unit), actor=None)

    report = run.reports.get()
    assert report.status == NotificationReport.Status.SENT
    assert (report.deadline.kind, report.deadline.object_id) == (REPLY_DEADLINE_KIND, report.pk)
    assert report.deadline.working_days == settings.NOTIFICATION_REPLY_DAYS
    assert report.due_date == report.deadline.due_date
    email = OutboundEmail.objects.get(key=f"notification:{run.pk}:{unit.pk}")
    assert email.language == "en"
    assert f"{settings.SITE_URL}/dept/notifications/{report.pk}/" in email.body_text
    assert str(report.due_date.year) in email.body_text


def test_a_department_without_an_address_is_recorded_as_failed_not_skipped():
    unit = department(email="")
    run = services.notification_run_send(run=_approved_run(unit), actor=None)

    email = OutboundEmail.objects.get(key=f"notification:{run.pk}:{unit.pk}")
    assert email.to == []
    assert email.status == OutboundEmail.Status.FAILED


def test_replying_meets_the_deadline_once():
    unit = department()
    run = services.notification_run_send(run=_approved_run(unit), actor=None)
    report = run.reports.get()
    member = user("dept", department=unit)

    with pytest.raises(ValidationError):
        services.notification_report_reply(report=report, measures="  ", actor=member)
    services.notification_report_reply(report=report, measures="已合并检查事项,建立检查备案。", actor=member)

    report.refresh_from_db()
    assert (report.status, report.replied_by, report.reply) == (
        "replied",
        member,
        "已合并检查事项,建立检查备案。",
    )
    assert report.deadline.status == Deadline.Status.MET
    with pytest.raises(InvalidTransition):
        services.notification_report_reply(report=report, measures="再次回复", actor=member)


def test_a_reply_is_told_to_whoever_sent_the_run_once():
    unit = department()
    sender = user("handler")
    sender.email = "sender@centre.example"
    sender.save(update_fields=["email"])
    run = services.notification_run_send(run=_approved_run(unit), actor=sender)
    report = run.reports.get()
    member = user("dept", department=unit)
    services.notification_report_reply(report=report, measures="已建立检查备案制度。", actor=member)
    services.notification_reply_notice_queue(report=report)  # a second call queues nothing more

    (row,) = OutboundEmail.objects.filter(kind="staff_notification_reply")
    assert row.to == ["sender@centre.example"] and row.key == f"staff-notification_reply:{report.pk}"
    assert str(unit) in row.subject and str(run.period) in row.subject
    assert f"/admin/reports/notificationrun/{run.pk}/" in row.body_text
    # The notice says where to read the reply; the measures themselves stay in the admin.
    assert "已建立检查备案制度" not in row.body_text


def test_only_the_departments_own_users_can_reply():
    unit, other = department(), department()
    run = services.notification_run_send(run=_approved_run(unit), actor=None)
    report = run.reports.get()
    for outsider in (user("dept", department=other), user("handler")):
        with pytest.raises(PermissionDenied):
            services.notification_report_reply(report=report, measures="改进措施", actor=outsider)
    report.refresh_from_db()
    assert report.status == NotificationReport.Status.SENT


def test_a_calendar_edit_moves_the_stored_reply_due_date():
    unit = department()
    run = services.notification_run_send(run=_approved_run(unit), actor=None)
    report = run.reports.get()
    old_due = report.due_date
    weekday = next(
        day
        for day in (report.deadline.start_date + dt.timedelta(days=n) for n in range(1, 10))
        if day.weekday() < 5 and day < old_due
    )
    calendar_day_set(date=weekday, is_working_day=False, name="test holiday", actor=None)
    deadlines_recompute(reason="test")

    report.refresh_from_db()
    report.deadline.refresh_from_db()
    assert report.due_date == report.deadline.due_date
    assert report.due_date > old_due

"""manage.py send_notification_reports: prepare and print, stop at draft; --approve sends;
--dry-run writes nothing."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from core.models import Deadline, OutboundEmail
from reports.models import NotificationItem, NotificationReport, NotificationRun
from reports.tests.factories import complaint, department, shanghai

pytestmark = pytest.mark.django_db


def _run_command(*args, **options) -> str:
    out = io.StringIO()
    call_command("send_notification_reports", *args, stdout=out, **options)
    return out.getvalue()


@pytest.fixture
def two_departments():
    tax, market = department(name="市税务局"), department(name="市场监督管理局", email="")
    for category in ("charges", "charges", "fines"):
        complaint(department=tax, category=category)
    complaint(department=market, category="inaction")
    complaint(department_text="某不在名录的单位")
    return tax, market


def test_dry_run_writes_nothing_and_prints_each_department_with_its_count(two_departments):
    emails_before = OutboundEmail.objects.count()

    output = _run_command("--period", "2026-10", "--dry-run", "--approve")

    assert "市税务局" in output and "市场监督管理局" in output
    counts = {
        line.split(" <")[0].strip(): re.findall(r"(?<!\d)\d+(?!\d)", line.split(">", 1)[1])[0]
        for line in output.splitlines()
        if " <" in line
    }
    assert counts == {"市税务局": "3", "市场监督管理局": "1"}
    assert not NotificationRun.objects.exists()
    assert not NotificationReport.objects.exists()
    assert not NotificationItem.objects.exists()
    assert not Deadline.objects.exists()
    assert OutboundEmail.objects.count() == emails_before


def test_without_approve_the_command_prepares_and_stops_at_draft(two_departments):
    tax, _market = two_departments

    output = _run_command("--period", "2026-10")

    run = NotificationRun.objects.get()
    assert run.status == NotificationRun.Status.DRAFT
    assert f"/admin/reports/notificationrun/{run.pk}/change/" in output
    assert run.reports.get(department=tax).complaint_count == 3
    assert not OutboundEmail.objects.filter(kind="notification_report").exists()
    # Again: the run is reused, not prepared twice.
    _run_command("--period", "2026-10")
    assert NotificationRun.objects.count() == 1


def test_with_approve_the_command_approves_and_sends(two_departments):
    output = _run_command("--period", "2026-10", "--approve")

    run = NotificationRun.objects.get()
    assert run.status == NotificationRun.Status.SENT
    assert OutboundEmail.objects.filter(kind="notification_report").count() == 2
    assert "市税务局" in output
    # A scheduled job retried: nothing is queued twice.
    _run_command("--period", "2026-10", "--approve")
    assert OutboundEmail.objects.filter(kind="notification_report").count() == 2


def test_the_command_accepts_a_quarter():
    complaint(department=department(name="市交通运输局"), at=shanghai(2026, 8, 20))

    output = _run_command("--period", "2026Q3")

    assert NotificationRun.objects.get().period == "2026Q3"
    assert "市交通运输局" in output


def test_the_command_refuses_a_bad_period():
    with pytest.raises(CommandError):
        _run_command("--period", "2026-13")
    assert not NotificationRun.objects.exists()

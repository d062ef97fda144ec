"""notification_run_prepare: one report per department with complaints, counted by category,
set-based, and safe to run twice."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.masking import NAME_PLACEHOLDER
from core.periods import previous_month
from reports import tasks
from reports.models import NotificationItem, NotificationReport, NotificationRun
from reports.notifications import services
from reports.tests.factories import complaint, department, shanghai, staff

pytestmark = pytest.mark.django_db


def test_counts_by_category_are_per_department_and_departments_without_complaints_get_no_report():
    tax, market, quiet = department(), department(), department()
    for category in ("charges", "charges", "fines"):
        complaint(department=tax, category=category)
    complaint(department=market, category="inaction", at=shanghai(2026, 10, 31, 23, 59))
    complaint(department=quiet, category="fines", at=shanghai(2026, 11, 1, 0, 1))  # November
    complaint(department=quiet, category="fines", at=shanghai(2026, 9, 30, 23, 59))  # September

    run = services.notification_run_prepare(period="2026-10", actor=staff())

    reports = {report.department_id: report for report in run.reports.all()}
    assert set(reports) == {tax.pk, market.pk}
    assert reports[tax.pk].complaint_count == 3
    assert reports[tax.pk].counts_by_category == {"charges": 2, "fines": 1}
    assert reports[market.pk].complaint_count == 1
    assert reports[market.pk].counts_by_category == {"inaction": 1}
    assert {r.status for r in reports.values()} == {NotificationReport.Status.DRAFT}
    assert NotificationItem.objects.filter(report=reports[tax.pk]).count() == 3
    assert (run.period, run.status) == ("2026-10", NotificationRun.Status.DRAFT)


def test_a_unit_not_in_the_directory_is_listed_in_the_run_but_sent_to_nobody():
    complaint(department_text="某街道办事处城管中队", category="fines")
    complaint(department=department())

    run = services.notification_run_prepare(period="2026-10", actor=None)

    unassigned = NotificationItem.objects.get(run=run, report__isnull=True)
    assert unassigned.unit_text == "某街道办事处城管中队"
    assert run.reports.count() == 1
    assert run.items.count() == 2


def test_item_texts_are_the_description_with_the_identity_removed():
    filed = complaint(department=department(), description="我是张三,电话13912345678,被罚款五千元。")
    anonymous = complaint(
        department=department(), anonymous=True, description="匿名反映:请拨打13800001111核实,多收费两百元。"
    )

    run = services.notification_run_prepare(period="2026-10", actor=None)

    texts = dict(run.items.values_list("complaint_id", "text"))
    assert texts[filed.pk] == f"我是{NAME_PLACEHOLDER},电话〔电话〕,被罚款五千元。"
    assert texts[anonymous.pk] == "匿名反映:请拨打〔电话〕核实,多收费两百元。"


def test_an_identity_written_in_other_forms_is_redacted_when_preparing():
    """What prepare redacts is what approve checks: the one recogniser of core.masking."""
    rewritten = (
        "联系人张 三反映:请联系手机尾号12345678,或回电１３９１２３４５６７８,来信 zhangsan at example.com;"
        "华兴机械被重复检查,统一社会信用代码91110000 802100433B。"
    )
    complaint(department=department(), description=rewritten)

    run = services.notification_run_prepare(period="2026-10", actor=None)

    item = services.released_items(run, with_identity=True).get()
    assert services.item_identity_findings(item) == []
    for form in ("张 三", "12345678", "１３９１２３４５６７８", "zhangsan", "华兴机械", "802100433B"):
        assert form not in item.text
    assert "重复检查" in item.text


def test_preparing_a_period_twice_returns_the_same_run_unchanged():
    complaint(department=department())
    first = services.notification_run_prepare(period="2026-10", actor=None)
    complaint(department=department())  # arrives late: the prepared draft is not rebuilt

    again = services.notification_run_prepare(period="2026年10月", actor=None)

    assert again.pk == first.pk
    assert NotificationRun.objects.count() == 1
    assert again.reports.count() == 1


def test_the_monthly_task_prepares_last_month_once():
    period = previous_month()
    complaint(department=department(), at=shanghai(period.first_day.year, period.first_day.month, 2))

    first = tasks.notification_reports_prepare_previous_month()
    second = tasks.notification_reports_prepare_previous_month()

    run = NotificationRun.objects.get()
    assert first == second == run.pk
    assert (run.period, run.status) == (period.label, NotificationRun.Status.DRAFT)
    assert run.reports.count() == 1


def _preparation_queries(number_of_departments: int, period: str, month: int) -> int:
    for _n in range(number_of_departments):
        unit = department()
        complaint(department=unit, category="charges", at=shanghai(2026, month, 3))
        complaint(department=unit, category="fines", at=shanghai(2026, month, 4))
    complaint(department_text="不在名录中的单位", at=shanghai(2026, month, 5))
    with CaptureQueriesContext(connection) as queries:
        run = services.notification_run_prepare(period=period, actor=None)
    assert run.reports.count() == number_of_departments
    assert run.items.count() == 2 * number_of_departments + 1
    return len(queries)


def test_preparation_runs_the_same_number_of_queries_for_3_and_for_30_departments():
    few = _preparation_queries(3, "2026-07", 7)
    many = _preparation_queries(30, "2026-08", 8)
    assert few == many
    assert few <= 10

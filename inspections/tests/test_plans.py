"""Annual inspection plans: opened per active department with a deadline on the configured date,
filed by the department (its own plan only), reminded and escalated on the ladder when late."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.tests import factories
from core.ladder import Step, escalation_sweep
from core.models import Deadline, OutboundEmail
from inspections.models import InspectionPlan
from inspections.services.plans import PLAN_DEADLINE_KIND, plan_file, plans_open_year
from liaison.models import Department

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = 2027


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


def department(name, **values) -> Department:
    defaults = {
        "email": f"{name}@dept.example",
        "head_name": "王局长",
        "head_email": f"head-{name}@dept.example",
        "supervising_leader": "李副市长",
        "supervising_leader_email": f"leader-{name}@city.example",
        "language": "en",
    }
    defaults.update(values)
    return Department.objects.create(name=name, **defaults)


@pytest.fixture
def units():
    return department("market"), department("tax"), department("closed", is_active=False)


def emails_to(address: str) -> list[OutboundEmail]:
    return [email for email in OutboundEmail.objects.order_by("id") if address in email.to]


def test_opening_a_year_gives_each_active_department_one_plan_due_on_the_configured_date(units):
    market, tax, closed = units
    created = plans_open_year(YEAR)
    assert {plan.department for plan in created} == {market, tax}
    for plan in created:
        assert plan.deadline.kind == PLAN_DEADLINE_KIND
        assert plan.deadline.due_date == dt.date(YEAR, 3, 31)  # a Wednesday
        assert plan.deadline.object_id == plan.pk and plan.deadline.status == Deadline.Status.OPEN
    # Safe to run twice; a department added later gets its plan on the next run.
    assert plans_open_year(YEAR) == []
    late = department("late")
    assert [plan.department for plan in plans_open_year(YEAR)] == [late]
    assert InspectionPlan.objects.filter(year=YEAR).count() == 3
    assert not InspectionPlan.objects.filter(department=closed).exists()


def test_a_due_date_on_a_sunday_moves_to_the_next_working_day(units, settings):
    settings.INSPECTION_PLAN_DUE = "03-28"  # 2027-03-28 is a Sunday
    plan = plans_open_year(YEAR)[0]
    assert plan.deadline.due_date == dt.date(YEAR, 3, 29)


def test_filing_meets_the_deadline_and_a_correction_keeps_the_first_filing(units):
    market, _tax, _closed = units
    user = factories.user("dept", department=market)
    plan = plans_open_year(YEAR)[0]
    filed = plan_file(plan, summary="一季度：食品安全专项检查", planned_count=12, actor=user)
    assert filed.filed_by == user and filed.planned_count == 12 and filed.filed_at
    deadline = Deadline.objects.get(pk=plan.deadline_id)
    assert deadline.status == Deadline.Status.MET and deadline.met_at == filed.filed_at
    again = plan_file(plan, summary="修订后的计划", planned_count=10, actor=user)
    assert again.filed_at == filed.filed_at and again.summary == "修订后的计划"


def test_a_plan_needs_its_text_and_a_count(units):
    plan = plans_open_year(YEAR)[0]
    with pytest.raises(ValidationError) as raised:
        plan_file(plan, summary="  ", planned_count=-1, actor=None)
    assert set(raised.value.message_dict) == {"summary", "planned_count"}
    plan.refresh_from_db()
    assert plan.filed_at is None and plan.deadline.status == Deadline.Status.OPEN


def test_a_late_plan_is_reminded_warned_and_escalated_and_a_filed_one_is_not(units):
    market, tax, _closed = units
    plans = {plan.department_id: plan for plan in plans_open_year(YEAR)}
    plan_file(plans[tax.pk], summary="计划", planned_count=3, actor=None)

    # Two working days before the due date: the department is reminded.
    escalation_sweep(now=at(dt.date(YEAR, 3, 29)))
    reminder = emails_to("market@dept.example")
    assert len(reminder) == 1 and f"Annual inspection plan for {YEAR}" in str(reminder[0].context)
    assert f"/dept/inspections/plans/{plans[market.pk].pk}/" in str(reminder[0].context)
    # Overdue: the head of the unit is warned.
    escalation_sweep(now=at(dt.date(YEAR, 4, 1)))
    assert len(emails_to("head-market@dept.example")) == 1
    # Three working days overdue: the supervising leader is told.
    escalation_sweep(now=at(dt.date(YEAR, 4, 9)))
    assert len(emails_to("leader-market@city.example")) == 1
    assert Deadline.objects.get(pk=plans[market.pk].deadline_id).ladder_step == Step.ESCALATE
    # The department that filed in time hears nothing.
    assert not any(emails_to(address) for address in ["tax@dept.example", "head-tax@dept.example"])
    assert not emails_to("leader-tax@city.example")


def test_the_command_opens_the_year(units):
    call_command("inspections_open_year", str(YEAR))
    assert InspectionPlan.objects.filter(year=YEAR).count() == 2


# --- The department portal ------------------------------------------------------------------


def test_a_department_sees_and_files_only_its_own_plan(client, units):
    market, tax, _closed = units
    plans = {plan.department_id: plan for plan in plans_open_year(YEAR)}
    user = factories.user("dept", department=market)
    client.force_login(user)
    page = client.get("/dept/inspections/plans/").content.decode()
    assert f'data-plan="{plans[market.pk].pk}"' in page and f'data-plan="{plans[tax.pk].pk}"' not in page

    # Another department's plan: not found, whether read or written (IDOR).
    other = f"/dept/inspections/plans/{plans[tax.pk].pk}/"
    assert client.get(other).status_code == 404
    response = client.post(other, {"summary": "冒名", "planned_count": 1})
    assert response.status_code == 404
    plans[tax.pk].refresh_from_db()
    assert plans[tax.pk].filed_at is None and plans[tax.pk].summary == ""

    own = f"/dept/inspections/plans/{plans[market.pk].pk}/"
    page = client.post(own, {"summary": "", "planned_count": "x"}).content.decode()
    assert "field-error" in page
    response = client.post(own, {"summary": "全年检查计划", "planned_count": "8"})
    assert response.status_code == 302
    plans[market.pk].refresh_from_db()
    assert plans[market.pk].filed_by == user and plans[market.pk].planned_count == 8


def test_the_portal_needs_the_department_permission(client, units):
    plan = plans_open_year(YEAR)[0]
    staff = factories.user("handler")
    client.force_login(staff)
    assert client.get(f"/dept/inspections/plans/{plan.pk}/").status_code in (403, 404)
    client.logout()
    assert client.get("/dept/inspections/plans/").status_code == 302


def test_the_plan_list_costs_the_same_queries_for_more_plans(client):
    unit = department("many")
    user = factories.user("dept", department=unit)
    client.force_login(user)
    plans_open_year(YEAR)

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/dept/inspections/plans/").status_code == 200
        return len(queries)

    first = count()
    for year in (YEAR + 1, YEAR + 2, YEAR + 3):
        plans_open_year(year)
    assert count() == first


# --- The admin ------------------------------------------------------------------------------


def test_staff_filter_plans_by_year_filed_and_overdue(client, units, monkeypatch):
    market, tax, _closed = units
    plans = {plan.department_id: plan for plan in plans_open_year(YEAR)}
    plan_file(plans[tax.pk], summary="计划", planned_count=3, actor=None)
    admin = factories.user("handler")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    base = "/admin/inspections/inspectionplan/"
    market_row, tax_row = 'field-department nowrap">market<', 'field-department nowrap">tax<'
    page = client.get(base, {"year": str(YEAR), "filed": "no"}).content.decode()
    assert market_row in page and tax_row not in page
    page = client.get(base, {"filed": "yes"}).content.decode()
    assert tax_row in page and market_row not in page
    assert market_row not in client.get(base, {"overdue": "yes"}).content.decode()  # not due yet
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(YEAR, 4, 2))
    page = client.get(base, {"overdue": "yes"}).content.decode()
    assert market_row in page and tax_row not in page


def test_a_past_years_plan_is_read_only(client, units):
    market, _tax, _closed = units
    plan = plans_open_year(2025)[0]
    with pytest.raises(ValidationError):
        plan_file(plan, summary="补报", planned_count=1, actor=None)
    user = factories.user("dept", department=plan.department)
    client.force_login(user)
    url = f"/dept/inspections/plans/{plan.pk}/"
    assert 'id="file-plan"' not in client.get(url).content.decode()
    assert client.post(url, {"summary": "补报", "planned_count": "1"}).status_code == 302
    plan.refresh_from_db()
    assert plan.filed_at is None and plan.summary == ""


def test_the_yearly_job_opens_this_years_plans(units, monkeypatch):
    from inspections.plans_tasks import inspection_plans_open_current_year

    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: dt.date(YEAR, 1, 2))
    assert inspection_plans_open_current_year.apply().get() == 2
    assert inspection_plans_open_current_year.apply().get() == 0
    assert InspectionPlan.objects.filter(year=YEAR).count() == 2

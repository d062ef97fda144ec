"""Scan-to-enter: the inspector registers the entry against a filed inspection (today or the
last few days, own department only) or declares an emergency entry, then records the outcome
within the working days set; a late outcome climbs the ladder and is flagged."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.calendar import add_working_days
from core.ladder import escalation_sweep
from core.models import Deadline, OutboundEmail
from inspections.models import Inspection, InspectionFlag
from inspections.selectors import entry_candidates
from inspections.services import entry
from inspections.services.codes import code_issue
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def scene(db):
    department = f.department(name="市应急管理局", email="yj@dept.example")
    enterprise = f.enterprise(name="扫码测试化工有限公司")
    return {
        "department": department,
        "enterprise": enterprise,
        "inspector": f.inspector(department),
        "secret": code_issue(enterprise=enterprise).scan,
    }


def _scan(client, scene, *, user=None):
    if user is not None:
        client.force_login(user)
    assert client.get(f"/e/{scene['secret']}/").status_code == 302
    return client


# --- Which filings can be entered --------------------------------------------------------------


def test_filings_of_today_and_the_last_seven_days_can_be_entered_not_older_nor_future(scene, settings):
    settings.INSPECTION_ENTRY_WINDOW_DAYS = 7
    today = timezone.localdate()
    d, e = scene["department"], scene["enterprise"]
    inside = [f.filed(department=d, enterprise=e, planned_on=today - dt.timedelta(days=n)) for n in (0, 7)]
    f.filed(department=d, enterprise=e, planned_on=today - dt.timedelta(days=8))
    f.filed(department=d, enterprise=e, planned_on=today + dt.timedelta(days=1))
    f.filed(department=d, enterprise=e, status=Inspection.Status.PENDING_APPROVAL)
    f.filed(department=f.department(), enterprise=e)  # another department's
    f.filed(department=d, enterprise=f.enterprise())  # another enterprise
    found = entry_candidates(enterprise=e, department_ids=[d.pk], today=today)
    assert set(found) == set(inside)


def test_entering_eight_days_after_the_planned_date_is_refused(scene, settings):
    settings.INSPECTION_ENTRY_WINDOW_DAYS = 7
    old = f.filed(
        department=scene["department"],
        enterprise=scene["enterprise"],
        planned_on=timezone.localdate() - dt.timedelta(days=8),
    )
    with pytest.raises(ValidationError) as error:
        entry.inspection_enter(inspection=old, enterprise=scene["enterprise"], actor=scene["inspector"])
    assert error.value.code == "too_late"


def test_the_entry_sets_the_outcome_deadline_in_working_days(scene, settings):
    settings.INSPECTION_OUTCOME_WORKING_DAYS = 5
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    entered = entry.inspection_enter(
        inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"]
    )
    entered.refresh_from_db()
    assert entered.status == Inspection.Status.ENTERED
    assert entered.entered_by == scene["inspector"] and entered.entered_at is not None
    deadline = entered.outcome_deadline
    assert deadline.kind == "inspection_outcome" and deadline.working_days == 5
    assert deadline.due_date == add_working_days(timezone.localdate(), 5).due_date


def test_an_inspector_of_another_department_cannot_enter(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    stranger = f.inspector(f.department())
    with pytest.raises(ValidationError) as error:
        entry.inspection_enter(inspection=inspection, enterprise=scene["enterprise"], actor=stranger)
    assert error.value.code == "not_inspector"
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.FILED


def test_a_department_user_without_the_inspector_role_cannot_enter(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    with pytest.raises(ValidationError):
        entry.inspection_enter(
            inspection=inspection, enterprise=scene["enterprise"], actor=f.dept_user(scene["department"])
        )


def test_a_filing_for_another_enterprise_cannot_be_entered_here(scene):
    inspection = f.filed(department=scene["department"], enterprise=f.enterprise())
    with pytest.raises(ValidationError) as error:
        entry.inspection_enter(
            inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"]
        )
    assert error.value.code == "other_enterprise"


def test_an_inspection_awaiting_approval_cannot_be_entered(scene):
    pending = f.filed(
        department=scene["department"],
        enterprise=scene["enterprise"],
        status=Inspection.Status.PENDING_APPROVAL,
    )
    with pytest.raises(ValidationError) as error:
        entry.inspection_enter(inspection=pending, enterprise=scene["enterprise"], actor=scene["inspector"])
    assert error.value.code == "not_filed"


# --- Emergency entry --------------------------------------------------------------------------


def test_an_emergency_entry_is_recorded_and_flagged_for_review(scene):
    inspection = entry.inspection_enter_emergency(
        enterprise=scene["enterprise"],
        department=scene["department"],
        reason="群众举报厂区氨气泄漏，需立即进入现场处置。",
        actor=scene["inspector"],
    )
    assert inspection.status == Inspection.Status.ENTERED and inspection.items.count() == 0
    assert inspection.outcome_deadline is not None
    flag = InspectionFlag.objects.get(inspection=inspection)
    assert flag.kind == InspectionFlag.Kind.EMERGENCY and "氨气泄漏" in flag.explanation


def test_an_emergency_entry_needs_a_reason_on_the_page(client, scene):
    _scan(client, scene, user=scene["inspector"])
    response = client.post(
        "/e/",
        {"action": "emergency", "emergency-department": scene["department"].pk, "emergency-kind": "special"},
    )
    assert response.status_code == 200
    assert "reason" in response.context["emergency_form"].errors
    assert not Inspection.objects.filter(enterprise=scene["enterprise"]).exists()


# --- The outcome ------------------------------------------------------------------------------


def test_recording_the_outcome_concludes_and_meets_the_deadline(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    entry.inspection_enter(inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"])
    done = entry.inspection_outcome_record(
        inspection=inspection, outcome=Inspection.Outcome.NO_PROBLEM, note="", actor=scene["inspector"]
    )
    assert done.status == Inspection.Status.CONCLUDED and done.outcome_at is not None
    assert Deadline.objects.get(pk=done.outcome_deadline_id).status == Deadline.Status.MET


def test_problems_found_need_a_note(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    entry.inspection_enter(inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"])
    with pytest.raises(ValidationError):
        entry.inspection_outcome_record(
            inspection=inspection, outcome=Inspection.Outcome.PROBLEMS, note=" ", actor=scene["inspector"]
        )


def test_the_outcome_cannot_be_recorded_before_the_entry(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    with pytest.raises(ValidationError) as error:
        entry.inspection_outcome_record(
            inspection=inspection, outcome=Inspection.Outcome.NO_PROBLEM, note="", actor=scene["inspector"]
        )
    assert error.value.code == "not_entered"


def test_a_late_outcome_climbs_the_ladder_and_is_flagged_once(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    entry.inspection_enter(inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"])
    inspection.refresh_from_db()
    due = inspection.outcome_deadline.due_date
    escalation_sweep(now=timezone.make_aware(dt.datetime.combine(due, dt.time(10))))  # reminder only
    assert not InspectionFlag.objects.filter(inspection=inspection).exists()
    late = add_working_days(due, 1).due_date
    escalation_sweep(now=timezone.make_aware(dt.datetime.combine(late, dt.time(10))))
    flag = InspectionFlag.objects.get(inspection=inspection)
    assert flag.kind == InspectionFlag.Kind.OUTCOME_LATE
    later = add_working_days(due, 10).due_date
    escalation_sweep(now=timezone.make_aware(dt.datetime.combine(later, dt.time(10))))
    assert InspectionFlag.objects.filter(inspection=inspection).count() == 1
    rows = OutboundEmail.objects.filter(kind__startswith="ladder")
    assert any("yj@dept.example" in row.to for row in rows), list(rows.values("kind", "to"))


def test_a_recorded_outcome_does_not_climb(scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    entry.inspection_enter(inspection=inspection, enterprise=scene["enterprise"], actor=scene["inspector"])
    entry.inspection_outcome_record(
        inspection=inspection, outcome=Inspection.Outcome.NO_PROBLEM, note="", actor=scene["inspector"]
    )
    inspection.refresh_from_db()
    later = add_working_days(inspection.outcome_deadline.due_date, 10).due_date
    escalation_sweep(now=timezone.make_aware(dt.datetime.combine(later, dt.time(10))))
    assert not InspectionFlag.objects.filter(inspection=inspection).exists()


# --- The page ---------------------------------------------------------------------------------


def test_an_inspector_registers_and_concludes_through_the_page(client, scene):
    inspection = f.filed(department=scene["department"], enterprise=scene["enterprise"])
    _scan(client, scene, user=scene["inspector"])
    page = client.get("/e/")
    assert f'data-candidate="{inspection.pk}"' in page.content.decode()
    response = client.post("/e/", {"action": "enter", "inspection": inspection.pk})
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.ENTERED
    missing_note = client.post(
        "/e/",
        {"action": "outcome", "inspection": inspection.pk, f"outcome-{inspection.pk}-outcome": "problems"},
    )
    assert missing_note.status_code == 200
    response = client.post(
        "/e/",
        {
            "action": "outcome",
            "inspection": inspection.pk,
            f"outcome-{inspection.pk}-outcome": "problems",
            f"outcome-{inspection.pk}-note": "消防通道堵塞，责令三日内整改。",
        },
    )
    assert response.status_code == 302
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.CONCLUDED and inspection.outcome == "problems"


def test_an_inspector_cannot_enter_another_departments_filing_through_the_page(client, scene):
    other = f.filed(department=f.department(), enterprise=scene["enterprise"])
    _scan(client, scene, user=scene["inspector"])
    response = client.post("/e/", {"action": "enter", "inspection": other.pk})
    assert response.status_code == 200 and "inspection" in response.context["entry_form"].errors
    other.refresh_from_db()
    assert other.status == Inspection.Status.FILED


def test_the_inspector_logs_in_from_the_qr_code_and_returns_to_it(client, scene):
    _scan(client, scene)
    page = client.get("/e/").content.decode()
    assert 'href="/accounts/login/?next=/e/"' in page
    response = client.post(
        "/accounts/login/?next=/e/", {"username": scene["inspector"].username, "password": f.PASSWORD}
    )
    assert response.status_code == 302 and response["Location"] == "/e/"
    assert "data-entry-candidates" in client.get("/e/").content.decode()


def test_staff_scanning_the_code_see_neither_page(client, scene):
    from casework.tests import factories as casework_factories

    _scan(client, scene, user=casework_factories.user("handler"))
    body = client.get("/e/").content.decode()
    assert "data-entry-candidates" not in body and "data-rating-form" not in body


def test_the_inspector_page_reads_in_a_constant_number_of_queries(client, scene):
    d, e = scene["department"], scene["enterprise"]
    f.filed(department=d, enterprise=e)
    first = f.filed(department=d, enterprise=e)
    entry.inspection_enter(inspection=first, enterprise=e, actor=scene["inspector"])
    _scan(client, scene, user=scene["inspector"])
    with CaptureQueriesContext(connection) as few:
        assert client.get("/e/").status_code == 200
    for _ in range(6):
        f.filed(department=d, enterprise=e, items=3)
        entered = f.filed(department=d, enterprise=e)
        entry.inspection_enter(inspection=entered, enterprise=e, actor=scene["inspector"])
    with CaptureQueriesContext(connection) as many:
        assert client.get("/e/").status_code == 200
    assert len(many) == len(few)

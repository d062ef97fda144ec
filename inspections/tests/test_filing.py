"""inspection_file: who may file what, and each rule at its boundary (the cap reached and not,
N days and N+1, items in and out of the list, industries), in a constant number of statements."""

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import OutboundEmail
from envopt.celery import app as celery_app
from inspections.models import Inspection, InspectionFlag
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    department, unit, items = f.department_with_list(items=("A01", "A02", "A03"))
    return {
        "department": department,
        "unit": unit,
        "items": items,
        "inspector": f.inspector(department),
        "enterprise": f.enterprise(),
    }


def file(world, **overrides):
    values = f.file_kwargs(
        world["department"], world["unit"], world["items"][:1], world["enterprise"], world["inspector"]
    )
    values.update(overrides)
    return inspection_file(**values)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


def kinds(inspection) -> set[str]:
    return set(inspection.flags.values_list("kind", flat=True))


def test_a_clean_filing_is_filed_with_no_flags(world):
    inspection = file(world)
    assert inspection.status == Inspection.Status.FILED
    assert kinds(inspection) == set()
    assert list(inspection.items.all()) == world["items"][:1]
    assert inspection.filed_by == world["inspector"]
    assert "《某某条例》第1条" in inspection.legal_basis


def test_an_item_outside_the_departments_list_is_refused(world):
    _other, _unit, foreign = f.department_with_list(items=("Z99",))
    with pytest.raises(ValidationError) as excinfo:
        file(world, items=[world["items"][0], foreign[0]])
    assert "清单之外无检查" in " ".join(errors_of(excinfo)["items"])
    assert "Z99" in " ".join(errors_of(excinfo)["items"])
    assert not Inspection.objects.exists()


def test_an_inactive_item_is_outside_the_list(world):
    item = world["items"][0]
    item.is_active = False
    item.save()
    with pytest.raises(ValidationError) as excinfo:
        file(world, items=[item])
    assert "items" in errors_of(excinfo)


def test_no_item_is_refused(world):
    with pytest.raises(ValidationError) as excinfo:
        file(world, items=[])
    assert "items" in errors_of(excinfo)


def test_an_item_for_other_industries_is_refused_and_one_for_all_is_not(world):
    items = world["items"]
    items[1].industries = ["餐饮业"]
    items[1].save()
    items[2].industries = ["餐饮业", "制造业"]
    items[2].save()
    with pytest.raises(ValidationError) as excinfo:
        file(world, items=[items[1]])
    assert "餐饮业" in " ".join(errors_of(excinfo)["items"])
    inspection = file(world, items=[items[0], items[2]])  # [] applies to all; 制造业 listed
    assert inspection.status == Inspection.Status.FILED


def test_only_an_inspector_of_the_department_may_file(world):
    other_department, _u, _i = f.department_with_list()
    outsider = f.inspector(other_department)
    with pytest.raises(ValidationError) as excinfo:
        file(world, actor=outsider)
    assert "department" in errors_of(excinfo)
    plain_user = f.staff("Department user")
    world["department"].members.add(plain_user)
    with pytest.raises(ValidationError) as excinfo:
        file(world, actor=plain_user)
    assert "department" in errors_of(excinfo)


def test_the_unit_must_be_an_active_unit_of_the_department(world):
    _d, foreign_unit, _i = f.department_with_list()
    with pytest.raises(ValidationError) as excinfo:
        file(world, unit=foreign_unit)
    assert "unit" in errors_of(excinfo)
    world["unit"].is_active = False
    world["unit"].save()
    with pytest.raises(ValidationError) as excinfo:
        file(world)
    assert "unit" in errors_of(excinfo)


def test_two_officers_with_certificates_are_required(world):
    with pytest.raises(ValidationError) as excinfo:
        file(world, officers=[{"name": "王执法", "certificate": "JZ-1"}])
    assert "officers" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        file(
            world, officers=[{"name": "王执法", "certificate": "JZ-1"}, {"name": "李执法", "certificate": ""}]
        )
    assert "officers" in errors_of(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        file(world, officers=[{"name": "王", "certificate": "JZ-1"}, {"name": "李", "certificate": "jz-1"}])
    assert "officers" in errors_of(excinfo)


def test_the_planned_date_may_be_today_not_yesterday(world):
    assert file(world, planned_on=f.days_ahead(0)).pk
    with pytest.raises(ValidationError) as excinfo:
        file(world, planned_on=f.days_ahead(-1))
    assert "planned_on" in errors_of(excinfo)


# --- (a) the yearly cap --------------------------------------------------------------------------


def test_the_cap_reached_needs_approval_and_one_below_does_not(world, settings):
    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 2, "C": 3, "D": 4}
    day = f.days_ahead(0)
    first = file(world, planned_on=day)
    second = file(world, planned_on=day)  # one on file: below the cap of 2
    assert InspectionFlag.Kind.OVER_CAP not in kinds(second)
    assert second.status == Inspection.Status.FILED
    third = file(world, planned_on=day)  # two on file: the cap is reached
    assert InspectionFlag.Kind.OVER_CAP in kinds(third)
    assert third.status == Inspection.Status.PENDING_APPROVAL
    flag = third.flags.get(kind=InspectionFlag.Kind.OVER_CAP)
    assert flag.blocking and "INSPECTION_YEARLY_CAP" in flag.explanation
    assert first.status == Inspection.Status.FILED


def test_the_cap_follows_the_risk_class(world, settings):
    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 2, "C": 3, "D": 4}
    world["enterprise"].risk_class = "A"
    world["enterprise"].save()
    day = f.days_ahead(0)
    file(world, planned_on=day)
    assert InspectionFlag.Kind.OVER_CAP in kinds(file(world, planned_on=day))


def test_refused_cancelled_and_other_years_do_not_count_towards_the_cap(world, settings):
    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 1, "C": 1, "D": 1}
    day = f.days_ahead(0)
    earlier = file(world, planned_on=day)
    Inspection.objects.filter(pk=earlier.pk).update(status=Inspection.Status.REFUSED)
    cancelled = file(world, planned_on=day)
    Inspection.objects.filter(pk=cancelled.pk).update(status=Inspection.Status.CANCELLED)
    last_year = file(world, planned_on=day)
    Inspection.objects.filter(pk=last_year.pk).update(planned_on=dt.date(day.year - 1, 12, 31))
    assert InspectionFlag.Kind.OVER_CAP not in kinds(file(world, planned_on=day))


# --- (b) cross inspections -----------------------------------------------------------------------


def _other_department_files(world, *, planned_on):
    other, unit, items = f.department_with_list(items=("B01",))
    return inspection_file(
        **f.file_kwargs(other, unit, items, world["enterprise"], f.inspector(other), planned_on=planned_on)
    )


def test_another_department_within_n_days_is_a_cross_inspection_and_n_plus_one_is_not(world, settings):
    settings.INSPECTION_CROSS_WINDOW_DAYS = 30
    base = f.days_ahead(40)
    other = _other_department_files(world, planned_on=base)
    at_edge = file(world, planned_on=base + dt.timedelta(days=30))
    assert InspectionFlag.Kind.CROSS in kinds(at_edge)
    assert at_edge.status == Inspection.Status.FILED  # not blocking
    assert at_edge.joint_with == other
    other.refresh_from_db()
    assert other.joint_with == at_edge
    beyond = file(world, planned_on=base + dt.timedelta(days=31), items=world["items"][1:2])
    assert InspectionFlag.Kind.CROSS not in kinds(beyond)
    before = file(world, planned_on=base - dt.timedelta(days=30), items=world["items"][2:3])
    assert InspectionFlag.Kind.CROSS in kinds(before)
    explanation = at_edge.flags.get(kind=InspectionFlag.Kind.CROSS).explanation
    assert other.department.name in explanation and "30" in explanation


def test_a_cross_inspection_proposes_a_joint_one_to_both_departments(world):
    other = _other_department_files(world, planned_on=f.days_ahead(5))
    mine = file(world, planned_on=f.days_ahead(8))
    emails = OutboundEmail.objects.filter(kind="inspection_joint_proposed")
    assert sorted(address for email in emails for address in email.to) == sorted(
        [world["department"].email, other.department.email]
    )
    links = {email.to[0]: email.body_text for email in emails}
    assert f"/dept/inspections/{mine.pk}/" in links[world["department"].email]
    assert f"/dept/inspections/{other.pk}/" in links[other.department.email]
    for email in emails:
        assert mine.enterprise.name in email.body_text
        assert other.department.name in email.body_text and world["department"].name in email.body_text
        assert "<script" not in email.body_html


def test_the_joint_proposals_reach_the_broker_in_one_hand_off_after_commit(
    world, smtp_server, django_capture_on_commit_callbacks
):
    other = _other_department_files(world, planned_on=f.days_ahead(5))
    celery_app.conf.task_always_eager = True  # Celery runs the sending task here, as a worker would
    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            file(world, planned_on=f.days_ahead(8))
            assert smtp_server.messages == []  # nothing leaves before the commit
    finally:
        celery_app.conf.task_always_eager = False
    assert len(callbacks) == 1  # one publish for both e-mails
    assert sorted(str(message["To"]) for message in smtp_server.messages) == sorted(
        [world["department"].email, other.department.email]
    )
    emails = OutboundEmail.objects.filter(kind="inspection_joint_proposed")
    assert {email.status for email in emails} == {OutboundEmail.Status.SENT}


def test_the_same_department_is_not_a_cross_inspection(world):
    file(world, planned_on=f.days_ahead(5))
    assert InspectionFlag.Kind.CROSS not in kinds(
        file(world, planned_on=f.days_ahead(6), items=world["items"][1:2])
    )


# --- (c) repeated items ----------------------------------------------------------------------------


def test_the_same_item_this_year_is_repeated_and_another_item_is_not(world):
    day = f.days_ahead(0)
    file(world, planned_on=day, items=world["items"][:1])
    assert InspectionFlag.Kind.REPEATED not in kinds(file(world, planned_on=day, items=world["items"][1:2]))
    repeated = file(world, planned_on=day, items=world["items"][:1])
    assert InspectionFlag.Kind.REPEATED in kinds(repeated)
    assert "A01" in repeated.flags.get(kind=InspectionFlag.Kind.REPEATED).explanation


def test_the_same_item_code_in_another_departments_list_is_repeated(world):
    other, unit, items = f.department_with_list(items=("A01",))
    inspection_file(
        **f.file_kwargs(
            other, unit, items, world["enterprise"], f.inspector(other), planned_on=f.days_ahead(0)
        )
    )
    mine = file(world, planned_on=f.days_ahead(0), items=world["items"][:1])
    assert InspectionFlag.Kind.REPEATED in kinds(mine)
    assert other.name in mine.flags.get(kind=InspectionFlag.Kind.REPEATED).explanation


def test_an_item_inspected_last_year_is_not_repeated(world):
    earlier = file(world, items=world["items"][:1])
    Inspection.objects.filter(pk=earlier.pk).update(planned_on=dt.date(f.days_ahead(0).year - 1, 6, 1))
    assert InspectionFlag.Kind.REPEATED not in kinds(file(world, planned_on=f.days_ahead(0)))


# --- (d) no-disturbance -----------------------------------------------------------------------------


def test_a_no_disturbance_enterprise_needs_approval(world):
    world["enterprise"].no_disturbance = True
    world["enterprise"].save()
    inspection = file(world)
    assert inspection.status == Inspection.Status.PENDING_APPROVAL
    flag = inspection.flags.get()
    assert flag.kind == InspectionFlag.Kind.NO_DISTURBANCE and flag.blocking
    assert "无事不扰" in flag.explanation


def test_explanations_are_written_in_the_departments_language(world):
    world["department"].language = "en"
    world["department"].save()
    world["enterprise"].no_disturbance = True
    world["enterprise"].save()
    flag = file(world).flags.get()
    assert "no-disturbance enterprise" in flag.explanation


# --- a constant number of statements ---------------------------------------------------------------


def _statements(world, **overrides) -> int:
    # A fresh user object: permission caches as a request would find them.
    actor = User.objects.get(pk=world["inspector"].pk)
    with CaptureQueriesContext(connection) as captured:
        inspection = file(world, actor=actor, **overrides)
    # Every rule fired: the comparison is between equal amounts of work on different data sizes.
    assert kinds(inspection) == {"over_cap", "cross", "repeated", "no_disturbance"}
    return len(captured)


def test_filing_takes_a_constant_number_of_statements(world, settings):
    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 1, "C": 1, "D": 1}
    day = f.days_ahead(3)
    world["enterprise"].no_disturbance = True
    world["enterprise"].save()
    other, unit, items = f.department_with_list(items=("A01", "B02"))
    other_inspector = f.inspector(other)
    inspection_file(**f.file_kwargs(other, unit, items, world["enterprise"], other_inspector, planned_on=day))
    file(world, planned_on=day, items=world["items"])
    small = _statements(world, planned_on=day, items=world["items"])
    for offset in range(20):
        inspection_file(
            **f.file_kwargs(other, unit, items, world["enterprise"], other_inspector, planned_on=day)
        )
        file(world, planned_on=day + dt.timedelta(days=offset % 3), items=world["items"])
    assert Inspection.objects.count() > 40
    large = _statements(world, planned_on=day, items=world["items"])
    assert large == small, (small, large)
    # Permissions and department (3), lock (1), one query per rule (3), the inspection, its items,
    # its flags and the joint link (4), both e-mails in one insert (3); and, in a test, the
    # savepoint the service's transaction becomes (2).
    assert large == 16, large

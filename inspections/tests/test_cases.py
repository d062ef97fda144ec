"""inspection_case_open: a flag or a rating opens a case on the inspection-supervision channel
against the inspecting department, into the normal workflow, with no identity."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case
from complaints.models import Category, Channel, PublicStatus
from core.errors import InvalidTransition
from inspections.models import InspectionFlag, InspectionRating
from inspections.services.cases import inspection_case_open
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def inspection():
    department, unit, items = f.department_with_list()
    enterprise = f.enterprise(no_disturbance=True)
    return inspection_file(**f.file_kwargs(department, unit, items[:1], enterprise, f.inspector(department)))


def test_a_flag_opens_a_case_on_the_inspection_channel(inspection):
    staff = f.staff("Case handler")
    flag = inspection.flags.get()
    case = inspection_case_open(
        inspection=inspection,
        flag=flag,
        category=Category.INSPECTIONS,
        description="未经批准检查无事不扰企业。",
        actor=staff,
    )
    assert case.channel == Channel.INSPECTION
    assert case.department == inspection.department
    assert case.status == Case.Status.ACCEPTED
    complaint = case.complaint_links.get().complaint
    assert complaint.channel == Channel.INSPECTION and complaint.is_anonymous
    assert complaint.status != PublicStatus.RECEIVED
    flag.refresh_from_db()
    assert flag.status == InspectionFlag.Status.CASE and flag.case == case and flag.decided_by == staff
    with pytest.raises(InvalidTransition):
        inspection_case_open(
            inspection=inspection, flag=flag, category=Category.INSPECTIONS, description="再次", actor=staff
        )


def test_a_rating_opens_a_case(inspection):
    rating = InspectionRating.objects.create(inspection=inspection, score=1, comment="态度恶劣")
    case = inspection_case_open(
        inspection=inspection,
        rating=rating,
        category=Category.CONDUCT,
        description="检查人员态度恶劣。",
        actor=f.staff("Office head"),
    )
    rating.refresh_from_db()
    assert rating.case == case and case.category == Category.CONDUCT


def test_a_case_needs_a_description_and_one_source(inspection):
    staff = f.staff("Case handler")
    flag = inspection.flags.get()
    with pytest.raises(ValidationError) as excinfo:
        inspection_case_open(
            inspection=inspection, flag=flag, category="inspections", description=" ", actor=staff
        )
    assert "description" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        inspection_case_open(inspection=inspection, category="inspections", description="x", actor=staff)
    assert not Case.objects.exists()


def test_only_staff_who_decide_and_handle_open_cases(inspection):
    flag = inspection.flags.get()
    for actor in (f.staff("Leader"), f.staff("Department user")):
        with pytest.raises(PermissionDenied):
            inspection_case_open(
                inspection=inspection, flag=flag, category="inspections", description="x", actor=actor
            )
    assert not Case.objects.exists()

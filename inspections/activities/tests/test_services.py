"""The services: filing, the commission's decisions, cancelled items that stay cancelled, flags
(an unfiled training is flagged) and cases from flags."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from casework.models import Case
from complaints.models import Category, Channel
from core.errors import InvalidTransition
from core.models import OutboundEmail
from inspections.activities import services
from inspections.activities.tests import factories as af
from inspections.models import ActivityFiling, ActivityFlag, ActivityKind
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def department():
    return f.department(email="training@example.gov.cn")


@pytest.fixture
def officer(department):
    return f.dept_user(department)


def test_a_department_files_a_training_and_it_awaits_the_decision(department, officer):
    filing = services.activity_file(**af.filing_kwargs(department, officer))
    assert filing.status == ActivityFiling.Status.FILED
    assert filing.filed_by == officer and filing.fee == Decimal("300.00")


def test_a_user_may_file_only_for_its_own_departments(department):
    stranger = f.dept_user(f.department())
    with pytest.raises(ValidationError) as error:
        services.activity_file(**af.filing_kwargs(department, stranger))
    assert "department" in error.value.error_dict


def test_staff_without_the_filing_permission_cannot_file(department):
    with pytest.raises(PermissionDenied):
        services.activity_file(**af.filing_kwargs(department, f.staff("Leader")))


def test_a_fee_needs_its_legal_basis(department, officer):
    with pytest.raises(ValidationError) as error:
        services.activity_file(**af.filing_kwargs(department, officer, fee_basis=""))
    assert "fee_basis" in error.value.error_dict


def test_a_compulsory_training_may_not_charge_a_fee(department, officer):
    with pytest.raises(ValidationError) as error:
        services.activity_file(**af.filing_kwargs(department, officer, voluntary=False))
    assert "fee" in error.value.error_dict
    # Without a fee a compulsory training may be filed.
    assert services.activity_file(**af.filing_kwargs(department, officer, voluntary=False, fee=None)).pk


def test_the_end_cannot_precede_the_start(department, officer):
    kwargs = af.filing_kwargs(department, officer)
    kwargs["ends_on"] = kwargs["starts_on"] - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as error:
        services.activity_file(**kwargs)
    assert "ends_on" in error.value.error_dict


def test_a_cancelled_item_stays_cancelled_whatever_its_spacing_or_year(department, officer):
    af.cancelled("优秀民营企业评选")
    for title in ("优秀民营企业评选", "2027年度 优秀 民营企业评选！", "优秀民营企业评选（第二届）"):
        with pytest.raises(ValidationError) as error:
            services.activity_file(
                **af.filing_kwargs(department, officer, kind=ActivityKind.AWARD, title=title)
            )
        assert "title" in error.value.error_dict and "清理通知" in str(error.value)
    assert not ActivityFiling.objects.exists()
    # Another award is not caught by the name of the cancelled one.
    assert services.activity_file(**af.filing_kwargs(department, officer, title="纳税信用A级企业公示")).pk


def test_a_filing_that_became_a_cancelled_item_cannot_be_approved(department, officer):
    filing = services.activity_file(**af.filing_kwargs(department, officer, title="某某行业明星企业评比"))
    af.cancelled("行业明星企业评比")
    with pytest.raises(ValidationError):
        services.activity_decide(filing=filing, decision=services.APPROVE, note="", actor=f.staff())
    filing.refresh_from_db()
    assert filing.status == ActivityFiling.Status.FILED


def test_recording_a_cancelled_item_twice_is_refused():
    staff = f.staff()
    services.cancelled_activity_record(
        kind=ActivityKind.AWARD, name="十佳企业评选", cancelled_on="2026-01-01", actor=staff
    )
    with pytest.raises(ValidationError):
        services.cancelled_activity_record(
            kind=ActivityKind.AWARD, name="十佳 企业评选", cancelled_on="2026-01-01", actor=staff
        )


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        (services.APPROVE, ActivityFiling.Status.APPROVED),
        (services.APPROVE_NO_FEE, ActivityFiling.Status.APPROVED_NO_FEE),
        (services.REFUSE, ActivityFiling.Status.REFUSED),
    ],
)
def test_staff_decide_and_the_department_is_emailed(department, officer, decision, status):
    filing = services.activity_file(**af.filing_kwargs(department, officer))
    services.activity_decide(filing=filing, decision=decision, note="理由见附件通知", actor=f.staff())
    filing.refresh_from_db()
    assert filing.status == status and filing.decided_by is not None
    email = OutboundEmail.objects.get(kind="activity_decided")
    assert email.to == ["training@example.gov.cn"] and filing.title in email.subject


def test_refusing_needs_a_reason_and_a_decision_is_taken_once(department, officer):
    filing = services.activity_file(**af.filing_kwargs(department, officer))
    staff = f.staff()
    with pytest.raises(ValidationError) as error:
        services.activity_decide(filing=filing, decision=services.REFUSE, note=" ", actor=staff)
    assert "note" in error.value.error_dict
    services.activity_decide(filing=filing, decision=services.APPROVE, note="", actor=staff)
    with pytest.raises(InvalidTransition):
        services.activity_decide(filing=filing, decision=services.REFUSE, note="改变主意", actor=staff)


def test_the_note_to_the_department_passes_the_identity_check(department, officer):
    filing = services.activity_file(**af.filing_kwargs(department, officer))
    with pytest.raises(ValidationError):
        services.activity_decide(
            filing=filing, decision=services.REFUSE, note="投诉人电话13812345678", actor=f.staff()
        )


def test_a_department_user_cannot_decide(department, officer):
    filing = services.activity_file(**af.filing_kwargs(department, officer))
    with pytest.raises(PermissionDenied):
        services.activity_decide(filing=filing, decision=services.APPROVE, note="", actor=officer)


def test_an_unfiled_training_is_flagged_and_a_case_opened_from_the_flag(department):
    staff = f.staff("Office head")
    flag = services.activity_flag_raise(
        kind=ActivityFlag.Kind.UNFILED,
        department=department,
        title="企业负责人能力提升培训班",
        held_on="2026-11-20",
        explanation="未经备案举办培训，要求企业派员参加。",
        actor=staff,
    )
    assert flag.status == ActivityFlag.Status.OPEN and flag.department == department
    assert ActivityFlag.objects.filter(kind=ActivityFlag.Kind.UNFILED, department=department).count() == 1
    case = services.activity_case_open(flag=flag, description=flag.explanation, actor=staff)
    flag.refresh_from_db()
    assert flag.status == ActivityFlag.Status.CASE and flag.case == case
    assert Case.objects.count() == 1
    complaint = case.complaint_links.get().complaint
    assert complaint.channel == Channel.ACTIVITY_FILING and complaint.category == Category.TRAINING
    assert complaint.department == department
    with pytest.raises(InvalidTransition):
        services.activity_case_open(flag=flag, description="again", actor=staff)


def test_a_fee_flag_needs_a_filing_approved_without_fee(department):
    staff = f.staff()
    paid = af.approved(department)
    with pytest.raises(ValidationError):
        services.activity_flag_raise(
            kind=ActivityFlag.Kind.FEE_WITHOUT_APPROVAL,
            title="",
            explanation="收费",
            filing=paid,
            actor=staff,
        )
    free = af.approved(department, status=ActivityFiling.Status.APPROVED_NO_FEE)
    flag = services.activity_flag_raise(
        kind=ActivityFlag.Kind.FEE_WITHOUT_APPROVAL,
        title="",
        explanation="每人收取资料费200元。",
        filing=free,
        actor=staff,
    )
    assert flag.title == free.title and flag.department == department


def test_a_cancelled_item_held_again_is_flagged_against_its_department(department):
    item = af.cancelled(department=department)
    flag = services.activity_flag_raise(
        kind=ActivityFlag.Kind.CANCELLED_HELD,
        title="",
        explanation="又组织了评选。",
        cancelled_item=item,
        actor=f.staff(),
    )
    assert flag.department == department and flag.title == item.name


def test_dismissing_needs_a_reason(department):
    staff = f.staff()
    flag = services.activity_flag_raise(
        kind=ActivityFlag.Kind.UNFILED,
        department=department,
        title="某培训",
        explanation="据反映。",
        actor=staff,
    )
    with pytest.raises(ValidationError):
        services.activity_flag_dismiss(flag=flag, note="", actor=staff)
    services.activity_flag_dismiss(flag=flag, note="经核实已备案。", actor=staff)
    flag.refresh_from_db()
    assert flag.status == ActivityFlag.Status.DISMISSED

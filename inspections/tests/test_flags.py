"""flag_decide: approve releases a held inspection once no blocking flag is open, refuse refuses it,
joint merges it and tells both departments, dismiss closes a flag that holds nothing; each
decision e-mails the department in its language; only the commission decides."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.errors import InvalidTransition
from core.models import OutboundEmail
from inspections.models import Inspection, InspectionFlag
from inspections.services.filing import inspection_file
from inspections.services.flags import flag_decide
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.INSPECTION_YEARLY_CAP = {"A": 1, "B": 1, "C": 1, "D": 1}
    department, unit, items = f.department_with_list(items=("A01", "A02"))
    world = {
        "department": department,
        "unit": unit,
        "items": items,
        "inspector": f.inspector(department),
        "enterprise": f.enterprise(),
        "staff": f.staff("Case handler"),
    }
    return world


def file(world, **overrides):
    values = f.file_kwargs(
        world["department"], world["unit"], world["items"][:1], world["enterprise"], world["inspector"]
    )
    values.update(overrides)
    return inspection_file(**values)


def held_twice(world) -> Inspection:
    """An inspection held by two blocking flags: the cap and no-disturbance."""
    file(world)
    world["enterprise"].no_disturbance = True
    world["enterprise"].save()
    inspection = file(world, items=world["items"][1:])
    assert inspection.status == Inspection.Status.PENDING_APPROVAL
    assert set(inspection.flags.values_list("kind", flat=True)) == {"over_cap", "no_disturbance"}
    return inspection


def decision_emails():
    return OutboundEmail.objects.filter(kind="inspection_decided").order_by("pk")


def test_approving_every_blocking_flag_files_the_inspection(world):
    inspection = held_twice(world)
    cap = inspection.flags.get(kind="over_cap")
    flag_decide(flag=cap, decision="approve", note="", actor=world["staff"])
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.PENDING_APPROVAL  # still held by the other
    quiet = inspection.flags.get(kind="no_disturbance")
    flag_decide(flag=quiet, decision="approve", note="确有必要", actor=world["staff"])
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.FILED
    cap.refresh_from_db()
    assert cap.status == InspectionFlag.Status.APPROVED and cap.decided_by == world["staff"]
    assert decision_emails().count() == 2
    assert decision_emails().last().to == [world["department"].email]


def test_refusing_refuses_the_inspection_and_needs_a_reason(world):
    inspection = held_twice(world)
    flag = inspection.flags.get(kind="over_cap")
    with pytest.raises(ValidationError) as excinfo:
        flag_decide(flag=flag, decision="refuse", note=" ", actor=world["staff"])
    assert "note" in excinfo.value.message_dict
    flag_decide(flag=flag, decision="refuse", note="本年度检查已达上限", actor=world["staff"])
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.REFUSED
    email = decision_emails().get()
    assert "本年度检查已达上限" in email.body_text and "本年度检查已达上限" in email.body_html


def test_a_decided_flag_cannot_be_decided_again(world):
    flag = held_twice(world).flags.get(kind="over_cap")
    flag_decide(flag=flag, decision="approve", note="", actor=world["staff"])
    with pytest.raises(InvalidTransition):
        flag_decide(flag=flag, decision="refuse", note="x", actor=world["staff"])


def test_a_blocking_flag_cannot_be_dismissed_but_a_repeated_one_can(world):
    flag = held_twice(world).flags.get(kind="over_cap")
    with pytest.raises(ValidationError) as excinfo:
        flag_decide(flag=flag, decision="dismiss", note="", actor=world["staff"])
    assert "decision" in excinfo.value.message_dict
    world["enterprise"].no_disturbance = False
    world["enterprise"].save()
    repeated = file(world, items=world["items"][:1]).flags.get(kind="repeated")
    flag_decide(flag=repeated, decision="dismiss", note="", actor=world["staff"])
    repeated.refresh_from_db()
    assert repeated.status == InspectionFlag.Status.DISMISSED


def test_ordering_a_joint_inspection_tells_both_departments(world):
    other, unit, items = f.department_with_list(items=("B01",))
    earlier = inspection_file(
        **f.file_kwargs(
            other, unit, items, world["enterprise"], f.inspector(other), planned_on=f.days_ahead(5)
        )
    )
    inspection = file(world, planned_on=f.days_ahead(7))
    flag = inspection.flags.get(kind="cross")
    flag_decide(flag=flag, decision="joint", note="请与另一部门联合检查", actor=world["staff"])
    inspection.refresh_from_db()
    assert inspection.status == Inspection.Status.JOINT and inspection.joint_with == earlier
    told = sorted(address for email in decision_emails() for address in email.to)
    assert told == sorted([world["department"].email, other.email])


def test_decisions_are_written_in_the_departments_language(world):
    world["department"].language = "en"
    world["department"].save()
    flag = held_twice(world).flags.get(kind="over_cap")
    flag_decide(flag=flag, decision="approve", note="", actor=world["staff"])
    email = decision_emails().get()
    assert "The commission has decided" in email.body_text
    assert email.language == "en"


def test_an_entered_inspection_can_no_longer_be_refused(world):
    flag = held_twice(world).flags.get(kind="over_cap")
    Inspection.objects.filter(pk=flag.inspection_id).update(status=Inspection.Status.ENTERED)
    with pytest.raises(InvalidTransition):
        flag_decide(flag=flag, decision="refuse", note="太迟", actor=world["staff"])
    flag.refresh_from_db()
    assert flag.status == InspectionFlag.Status.OPEN


def test_only_the_commission_decides(world):
    flag = held_twice(world).flags.get(kind="over_cap")
    for actor in (world["inspector"], f.staff("Leader")):
        with pytest.raises(PermissionDenied):
            flag_decide(flag=flag, decision="approve", note="", actor=actor)
    flag.refresh_from_db()
    assert flag.status == InspectionFlag.Status.OPEN


def test_deciding_a_low_ratings_flag_tells_the_department_nothing(world):
    """The department must not learn that one of its inspections was rated low (it would know
    which enterprise rated it): no e-mail on any decision of such a flag."""
    inspection = file(world)
    low = InspectionFlag.objects.create(
        inspection=inspection, kind=InspectionFlag.Kind.LOW_RATING, explanation="评分 1"
    )
    flag_decide(flag=low, decision="dismiss", note="已核实", actor=world["staff"])
    low.refresh_from_db()
    assert low.status == InspectionFlag.Status.DISMISSED
    assert not decision_emails().exists()


def test_a_note_with_someones_phone_number_is_refused_next_to_the_field(world):
    inspection = held_twice(world)
    cap = inspection.flags.get(kind="over_cap")
    with pytest.raises(ValidationError) as raised:
        note = "企业负责人电话 13912345678 反映过多次"
        flag_decide(flag=cap, decision="refuse", note=note, actor=world["staff"])
    assert "note" in raised.value.message_dict
    cap.refresh_from_db()
    assert cap.status == InspectionFlag.Status.OPEN and not decision_emails().exists()

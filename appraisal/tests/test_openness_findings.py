"""Findings of the openness checks: a failed item gets a rectification deadline on the ladder and
an e-mail to the unit; a serious failure also opens a case (channel OPENNESS_CHECK, category
OPENNESS); texts that reach the unit pass the identity recogniser; evidence goes through the
upload checks into private storage."""

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.utils import timezone

from appraisal.models import Criterion, FindingEvidence, OpennessFinding
from appraisal.openness.services import finding_answer, finding_record
from appraisal.tests import openness_factories as f
from casework.models import Case
from casework.tests import factories as casework_factories
from complaints.models import Category, Channel, Complaint
from complaints.uploads import prepare_uploads
from core.calendar import add_working_days
from core.ladder import escalation_sweep
from core.models import Deadline, OutboundEmail

pytestmark = pytest.mark.django_db
R = OpennessFinding.Result
S = OpennessFinding.Status


@pytest.fixture
def scene():
    unit, other = f.department(), f.department()
    campaign = f.campaign(unit, other)
    return {
        "unit": unit,
        "other": other,
        "campaign": campaign,
        "handler": casework_factories.user("handler"),
        "dept_user": casework_factories.user("dept", department=unit),
    }


def record(scene, result, *, criterion=Criterion.CONTENT, note="政府信息公开目录三个月未更新。", **kwargs):
    return finding_record(
        campaign=scene["campaign"],
        department=kwargs.pop("department", scene["unit"]),
        item=f.item(scene["campaign"], criterion),
        result=result,
        note=note,
        actor=kwargs.pop("actor", scene["handler"]),
        **kwargs,
    )


def test_a_passed_item_asks_nothing_of_the_unit(scene):
    finding = record(scene, R.PASS, note="")
    assert finding.status == S.NONE and finding.deadline is None and finding.case is None
    assert not OutboundEmail.objects.exists()
    assert not Deadline.objects.exists()


def test_a_failed_item_gets_a_rectification_deadline_and_an_email(scene):
    finding = record(scene, R.FAIL)
    assert finding.status == S.OPEN and finding.case is None
    today = timezone.localdate(finding.recorded_at)
    deadline = Deadline.objects.get(pk=finding.deadline_id)
    assert deadline.kind == "openness_rectification" and deadline.status == Deadline.Status.OPEN
    assert deadline.due_date == add_working_days(today, settings.OPENNESS_RECTIFICATION_WORKING_DAYS).due_date
    email = OutboundEmail.objects.get(kind="openness_finding_notice")
    assert email.to == [scene["unit"].email]
    assert "政府信息公开目录三个月未更新。" in email.body_text
    assert f"/dept/openness/{finding.pk}/" in email.body_text


def test_a_serious_failure_opens_a_case_against_the_unit(scene):
    finding = record(scene, R.SERIOUS, criterion=Criterion.PROCEDURE, note="依申请公开超期两个月未答复。")
    case = Case.objects.get(pk=finding.case_id)
    complaint = Complaint.objects.get(case_link__case=case)
    assert complaint.channel == Channel.OPENNESS_CHECK
    assert complaint.category == Category.OPENNESS
    assert complaint.department == scene["unit"]
    assert "依申请公开超期两个月未答复。" in complaint.description
    # The unit still rectifies the item, on the ladder.
    assert finding.status == S.OPEN and finding.deadline.status == Deadline.Status.OPEN


def test_only_a_case_handler_records_a_serious_failure(scene):
    recorder = User.objects.create_user("recorder", is_staff=True)
    recorder.user_permissions.add(Permission.objects.get(codename="record_openness_finding"))
    with pytest.raises(ValidationError):
        record(scene, R.SERIOUS, actor=recorder)
    assert not Case.objects.exists() and not OpennessFinding.objects.exists()


def test_without_the_permission_nothing_is_recorded(scene):
    with pytest.raises(PermissionDenied):
        record(scene, R.FAIL, actor=casework_factories.user("leader"))


def test_a_note_that_names_someone_is_refused(scene):
    with pytest.raises(ValidationError) as error:
        record(scene, R.FAIL, note="群众王经理13912345678反映无法查询。")
    assert "note" in error.value.message_dict
    assert not OpennessFinding.objects.exists() and not OutboundEmail.objects.exists()


def test_a_failed_item_needs_a_note(scene):
    with pytest.raises(ValidationError) as error:
        record(scene, R.FAIL, note="  ")
    assert "note" in error.value.message_dict


def test_the_item_and_the_unit_must_belong_to_the_campaign(scene):
    outsider = f.department()
    with pytest.raises(ValidationError) as error:
        record(scene, R.FAIL, department=outsider)
    assert "department" in error.value.message_dict
    elsewhere = f.campaign(scene["unit"])
    with pytest.raises(ValidationError) as error:
        finding_record(
            campaign=scene["campaign"],
            department=scene["unit"],
            item=f.item(elsewhere),
            result=R.FAIL,
            note="x",
            actor=scene["handler"],
        )
    assert "item" in error.value.message_dict


def test_an_item_is_recorded_once_per_unit(scene):
    record(scene, R.PASS, note="")
    with pytest.raises(ValidationError) as error:
        record(scene, R.FAIL)
    assert "item" in error.value.message_dict
    assert OpennessFinding.objects.count() == 1


def test_evidence_is_cleaned_and_kept_in_private_storage(scene):
    uploads = prepare_uploads([f.image_upload()])
    finding = record(scene, R.FAIL, uploads=uploads)
    evidence = FindingEvidence.objects.get(finding=finding)
    assert evidence.content_type == "image/png" and evidence.display_name == "现场照片.png"
    assert default_storage.exists(evidence.file.name)
    assert str(settings.PRIVATE_MEDIA_ROOT) in default_storage.path(evidence.file.name)
    assert "现场照片" not in evidence.file.name  # a random name, nothing from the user


def test_a_refused_finding_leaves_no_file_behind(scene, settings):
    uploads = prepare_uploads([f.image_upload()])
    before = set(_stored_files())
    with pytest.raises(ValidationError):
        record(scene, R.FAIL, note="联系人邮箱 someone@example.com", uploads=uploads)
    assert set(_stored_files()) == before


def _stored_files():
    root = settings.PRIVATE_MEDIA_ROOT
    return [str(path) for path in root.rglob("*") if path.is_file()] if root.exists() else []


# --- The ladder ------------------------------------------------------------------------------------


def _sweep(day: dt.date):
    return escalation_sweep(now=timezone.make_aware(dt.datetime.combine(day, dt.time(9))))


def test_a_failed_item_not_rectified_climbs_the_ladder(scene):
    finding = record(scene, R.FAIL)
    due = finding.deadline.due_date

    def step(day):
        _sweep(day)
        finding.deadline.refresh_from_db()
        return finding.deadline.ladder_step

    assert step(due) == 1
    assert step(add_working_days(due, 1).due_date) == 2
    assert step(add_working_days(due, 10).due_date) == 3
    recipients = {a for row in OutboundEmail.objects.filter(kind__startswith="ladder") for a in row.to}
    unit = scene["unit"]
    assert {unit.email, unit.head_email, unit.supervising_leader_email} <= recipients
    digest = OutboundEmail.objects.filter(kind__startswith="ladder").first()
    assert "检查项" in f"{digest.subject} {digest.body_text} {digest.context}"


def test_a_rectified_item_does_not_climb(scene):
    finding = record(scene, R.FAIL)
    due = finding.deadline.due_date
    finding_answer(
        finding=finding, rectification="已更新公开目录并建立月度检查制度。", actor=scene["dept_user"]
    )
    finding.deadline.refresh_from_db()
    assert finding.deadline.status == Deadline.Status.MET
    _sweep(add_working_days(due, 12).due_date)
    finding.deadline.refresh_from_db()
    assert finding.deadline.ladder_step == 0
    assert not OutboundEmail.objects.filter(kind__startswith="ladder").exists()

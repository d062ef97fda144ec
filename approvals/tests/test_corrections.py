"""Correction (纠错): the department answers its own signals from the portal; staff accept or
return with a reason (a new deadline). A department never reaches another's signal, nor the
complaints an applicant filed from a record."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from approvals.models import ApprovalSignal
from approvals.services.corrections import signal_accept, signal_answer, signal_return
from approvals.services.signals import signals_evaluate
from approvals.tests import factories as f
from casework.tests import factories as casework_factories
from complaints.models import Category, Channel, ComplainantType
from complaints.services import ComplaintData, IdentityData, complaint_submit
from core.calendar import add_working_days
from core.errors import InvalidTransition
from core.models import Deadline, OutboundEmail

pytestmark = pytest.mark.django_db
S = ApprovalSignal.Status


@pytest.fixture
def scene():
    department, other = f.department(), f.department()
    item = f.item(department)
    record = f.record(item, accepted_at=f.at(2026, 11, 2), fees=[("GB-01", "80.00")])
    signals_evaluate([record.pk], now=f.at(2026, 11, 3))
    staff = f.grant(
        casework_factories.user("handler"), "approvals.decide_signal", "approvals.view_approvalsignal"
    )
    return {
        "department": department,
        "record": record,
        "signal": record.signals.get(kind=ApprovalSignal.Kind.FEE_ABOVE),
        "dept_user": casework_factories.user("dept", department=department),
        "other_user": casework_factories.user("dept", department=other),
        "staff": staff,
    }


def test_the_department_answers_then_staff_accept(scene):
    signal = signal_answer(
        signal=scene["signal"], correction="已退还多收费用70元。", actor=scene["dept_user"]
    )
    assert signal.status == S.ANSWERED and signal.answered_by == scene["dept_user"]
    assert Deadline.objects.get(pk=signal.deadline_id).status == Deadline.Status.MET
    signal = signal_accept(signal=signal, actor=scene["staff"])
    assert signal.status == S.ACCEPTED and signal.decided_by == scene["staff"]
    assert OutboundEmail.objects.filter(kind="approval_signal_accepted").exists()
    with pytest.raises(InvalidTransition):
        signal_answer(signal=signal, correction="再次", actor=scene["dept_user"])


def test_a_returned_correction_gets_a_new_deadline_and_an_email(scene):
    first = scene["signal"].deadline
    signal = signal_answer(signal=scene["signal"], correction="已整改。", actor=scene["dept_user"])
    signal = signal_return(signal=signal, reason="未说明是否退还多收费用。", actor=scene["staff"])
    assert signal.status == S.RETURNED and signal.return_reason == "未说明是否退还多收费用。"
    assert signal.deadline_id != first.pk and signal.deadline.round == first.round + 1
    today = signal.decided_at.astimezone(f.SHANGHAI).date()
    assert signal.deadline.due_date == add_working_days(today, 3).due_date
    email = OutboundEmail.objects.get(kind="approval_signal_returned")
    assert email.to == [scene["department"].email]
    assert "未说明是否退还多收费用。" in email.body_text and scene["record"].external_id in email.subject
    # Answered again, then accepted.
    signal = signal_answer(signal=signal, correction="已退还70元并附凭证。", actor=scene["dept_user"])
    assert signal_accept(signal=signal, actor=scene["staff"]).status == S.ACCEPTED


def test_a_return_reason_naming_someone_is_refused(scene):
    signal = signal_answer(signal=scene["signal"], correction="已整改。", actor=scene["dept_user"])
    with pytest.raises(ValidationError):
        signal_return(signal=signal, reason="请联系申请人13912345678核实。", actor=scene["staff"])
    signal.refresh_from_db()
    assert signal.status == S.ANSWERED


def test_only_the_signals_department_answers_and_only_deciders_decide(scene):
    with pytest.raises(PermissionDenied):
        signal_answer(signal=scene["signal"], correction="越权", actor=scene["other_user"])
    signal = signal_answer(signal=scene["signal"], correction="已整改。", actor=scene["dept_user"])
    handler_without = casework_factories.user("intake")  # no approvals.decide_signal in its role
    with pytest.raises(PermissionDenied):
        signal_accept(signal=signal, actor=handler_without)
    with pytest.raises(PermissionDenied):
        signal_return(signal=signal, reason="不够", actor=handler_without)


def test_a_prompt_is_not_answered(scene):
    record = f.record(scene["record"].item, accepted_at=f.at(2026, 9, 30))
    signals_evaluate([record.pk], now=f.at(2026, 10, 12))
    prompt = record.signals.get()
    with pytest.raises(InvalidTransition):
        signal_answer(signal=prompt, correction="知道了", actor=scene["dept_user"])


# --- The portal pages ------------------------------------------------------------------------------


def test_the_department_answers_from_its_portal(client, scene):
    signal = scene["signal"]
    client.force_login(scene["dept_user"])
    listing = client.get(reverse("approvals_dept:list"))
    assert listing.status_code == 200
    assert scene["record"].external_id in listing.content.decode()
    url = reverse("approvals_dept:detail", args=[signal.pk])
    page = client.get(url).content.decode()
    assert signal.explanation in page and "data-correction-form" in page
    # Blank: the error next to the field, nothing saved.
    blank = client.post(url, {"correction": "  "})
    assert blank.status_code == 200 and blank.context["form"].errors["correction"]
    done = client.post(url, {"correction": "已退还多收的70元。"})
    assert done.status_code == 302
    signal.refresh_from_db()
    assert signal.status == S.ANSWERED and signal.correction == "已退还多收的70元。"


def test_another_department_reaches_neither_the_page_nor_the_answer(client, scene):
    client.force_login(scene["other_user"])
    url = reverse("approvals_dept:detail", args=[scene["signal"].pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"correction": "越权"}).status_code == 404
    assert scene["record"].external_id not in client.get(reverse("approvals_dept:list")).content.decode()
    scene["signal"].refresh_from_db()
    assert scene["signal"].status == S.OPEN


def test_the_department_list_runs_the_same_queries_for_3_and_30_signals(client, scene):
    client.force_login(scene["dept_user"])
    client.get(reverse("approvals_dept:list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("approvals_dept:list") + "?status=all")
    item = scene["record"].item
    records = [f.record(item, accepted_at=f.at(2026, 11, 2), fees=[("GB-01", "99")]) for _ in range(30)]
    signals_evaluate([r.pk for r in records], now=f.at(2026, 11, 3))
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("approvals_dept:list") + "?status=all")
    assert response.status_code == 200 and len(response.context["page"]) == 25
    assert len(many) == len(few)


CANARY = "金丝雀审批投诉QZX-5513：窗口索要好处费"


def test_the_department_never_sees_the_complaints_filed_from_its_records(client, scene):
    complaint = complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.ENTERPRISE,
            category=Category.PERMITS,
            description=CANARY,
            department=scene["department"],
        ),
        identity=IdentityData(
            contact_name="鎏翠瓯", phone="13912345678", enterprise_name="鎏翠瓯码科技有限公司"
        ),
        channel=Channel.WEB,
    ).complaint
    scene["record"].complaints.add(complaint)
    client.force_login(scene["dept_user"])
    pages = [
        client.get(reverse("approvals_dept:list") + "?status=all"),
        client.get(reverse("approvals_dept:detail", args=[scene["signal"].pk])),
    ]
    signal = signal_answer(signal=scene["signal"], correction="已整改。", actor=scene["dept_user"])
    signal_return(signal=signal, reason="请补充凭证。", actor=scene["staff"])
    texts = [page.content.decode() for page in pages]
    to_department = [row for row in OutboundEmail.objects.all() if scene["department"].email in row.to]
    assert to_department  # the return notice at least
    texts += [f"{row.subject} {row.body_text} {row.body_html}" for row in to_department]
    for text in texts:
        assert CANARY not in text and "鎏翠瓯" not in text and "13912345678" not in text

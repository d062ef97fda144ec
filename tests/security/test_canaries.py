"""Identity canaries: two complaints filed through the public form write their complainants'
identity in the ways people write it (tests/security/canaries.py, WRITTEN_FORMS), and go the whole
way: triage, referral with the prefilled released text, acknowledgement, report, return, new
report, acceptance, finding, recommendation and its reply, closure, the escalation ladder, the
monthly notification with its workbook, and the staff case-list export.

Then every surface a department or a member of staff without the identity permission can reach
is searched for every needle (canaries.NEEDLES) in normalised views: every URL of the department
portal walked from the URL conf with the department's real ids, every e-mail to the department
with its attachments as delivered to a real SMTP server, the API as the department and as a case
handler, the staff workplace (lists, records, workflow forms, search) and the export as a case
handler, and the application log of the whole run at DEBUG. Expected everywhere: no hit.
"""

import base64
import datetime as dt
import logging
import socket
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from appraisal.campaigns.services import answer_submit
from appraisal.models import Campaign, Question
from approvals.models import ApprovalItem, ApprovalRecord, ApprovalSignal
from casework import services
from casework.models import Case, CaseEvent, Recommendation, Referral, Review
from complaints.mailbox.services import mailbox_fetch
from complaints.models import Complaint, MailboxMessage
from complaints.tests.imap_server import imap_server
from core.ladder import escalation_sweep
from core.models import Deadline, OutboundEmail
from core.outbox import outbox_deliver_many
from core.periods import MONTH, PERIOD_TIMEZONE, Period, previous_month
from inspections.activities.services import activity_complaint_link, activity_flag_from_complaint
from inspections.models import ActivityFiling, CancelledActivity, Inspection, InspectionPlan
from inspections.services.codes import code_issue
from inspections.tests import factories as inspection_factories
from liaison.models import Department, Office
from reports.models import EfficiencyAssessment, NotificationItem, NotificationReport
from reports.notifications import services as notification_services
from tests.fixtures import RecordingHandler, export_download
from tests.security.canaries import (
    ANONYMOUS,
    CANARIES,
    FIGURES,
    NEEDLES,
    REAL,
    WRITTEN_FORMS,
    Haystack,
    Hit,
    Needle,
    complaint_texts,
    message_texts,
    prefilled_released_text,
    response_text,
    url_routes,
    workbook_text,
)
from tests.security.conftest import api_token, log_in, make_user

pytestmark = [pytest.mark.services, pytest.mark.django_db]

# Loggers of the test's own machinery (the SMTP server logs every conversation), not the portal's.
INFRASTRUCTURE_LOGGERS = ("mail.log", "asyncio", "aiosmtpd")


class _Undo(Exception):
    """Raised inside a savepoint to undo a step that should have been refused."""


# --- The run ---------------------------------------------------------------------------------


@contextmanager
def smtp_server():
    handler = RecordingHandler()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    handler.port = port
    try:
        yield handler
    finally:
        controller.stop()


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        if record.name.startswith(INFRASTRUCTURE_LOGGERS):
            return
        try:
            line = f"{record.name} {record.levelname} {record.getMessage()}"
        except Exception:  # a broken format string is still searched, raw
            line = f"{record.name} {record.levelname} {record.msg!r} {record.args!r}"
        if record.exc_info:
            line += "\n" + logging.Formatter().formatException(record.exc_info)
        self.lines.append(line)


@contextmanager
def every_logger_at_debug():
    """Every logger of the application at DEBUG into one list, for the whole module."""
    records = _Records()
    root = logging.getLogger()
    changed = [(root, root.level)]
    root.setLevel(logging.DEBUG)
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and not name.startswith(INFRASTRUCTURE_LOGGERS):
            changed.append((logger, logger.level))
            logger.setLevel(logging.DEBUG)
    root.addHandler(records)
    try:
        yield records
    finally:
        root.removeHandler(records)
        for logger, level in changed:
            logger.setLevel(level)


def public_form_post(canary, department: Department, day: dt.date) -> dict:
    description, outcome = complaint_texts(canary)
    data = {
        "complainant_type": "enterprise",
        "identity_mode": "anonymous" if canary.anonymous else "real",
        "department": department.pk,
        "category": "fines",
        "occurred_on": day.isoformat(),
        "occurred_place": "高新区政务服务中心",
        "description": description,
        "desired_outcome": outcome,
        "consent": "on",
    }
    if not canary.anonymous:
        data.update(
            contact_name=canary.contact_name,
            phone=canary.phone,
            email=canary.email,
            enterprise_name=canary.enterprise_name,
            credit_code=canary.credit_code,
        )
    return data


def file_through_the_public_form(canary, department: Department, day: dt.date) -> Complaint:
    latest = Complaint.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = log_in(None).post("/complaints/new/", public_form_post(canary, department, day))
    assert response.status_code == 302, response.content.decode()[:2000]
    return Complaint.objects.filter(pk__gt=latest).get()


def received_in(complaints: list[Complaint], moment: dt.datetime) -> None:
    """Move the complaints into last month, which the monthly notification covers.

    The public form stamps the time of filing, and a notification covers a month that has ended;
    the time of receipt is evidence that PostgreSQL's trigger keeps from changing, so it is set
    aside for this one statement, inside the module's transaction that is rolled back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # ALTER TABLE waits for no deferred foreign-key check: run them now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE complaints_complaint DISABLE TRIGGER USER")
        Complaint.objects.filter(pk__in=[c.pk for c in complaints]).update(received_at=moment)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE complaints_complaint ENABLE TRIGGER USER")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


NEUTRAL_TEXT = "企业反映执法人员以检查为名索要好处并罚款,请核实。"


def refer(flow, case: Case) -> Referral:
    prefill = prefilled_released_text(flow.handler_client, case)
    flow.prefills[case.pk] = prefill
    try:
        with transaction.atomic():
            return services.case_refer(
                case=case,
                department=flow.department,
                kind=Referral.Kind.ASSIGN,
                released_text=prefill,
                instructions="请核实企业反映的问题,按期报告办理结果。",
                working_days=5,
                actor=flow.handler,
            )
    except ValidationError as error:
        # Redaction left something the check recognised: the handler would have to edit it out.
        flow.prefill_refused[case.pk] = error.messages
    return services.case_refer(
        case=case,
        department=flow.department,
        kind=Referral.Kind.ASSIGN,
        released_text=NEUTRAL_TEXT,
        working_days=5,
        actor=flow.handler,
    )


TYPED_IDENTITY = {
    "exact identity": f"{REAL.contact_name},电话{REAL.phone},{REAL.enterprise_name}",
    "rewritten identity": (
        f"{REAL.contact_name[0]} {REAL.contact_name[1:]}({REAL.surname_title}),"
        f"手机尾号{REAL.phone[-8:]},{REAL.enterprise_short}"
    ),
}


def _codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {one.code for errors in error.error_dict.values() for one in errors}
    return {one.code for one in error.error_list}


def typed_identity_attempts(flow, where: str, send) -> None:
    """A handler types the complainant's identity into a text bound for the department or the
    public; ``send(text)`` sends it. Each must be refused (and is undone if it is not)."""
    for label, text in TYPED_IDENTITY.items():
        try:
            with transaction.atomic():
                send(text)
                raise _Undo
        except ValidationError as error:
            # Refused by the identity check, not for some other reason the test did not mean.
            flow.typed_identity[f"{label} in {where}"] = (
                "refused" if "identity_in_text" in _codes(error) else f"refused otherwise: {error.messages}"
            )
        except _Undo:
            flow.typed_identity[f"{label} in {where}"] = "sent"


def refer_with(flow, case: Case, **texts):
    values = {"released_text": NEUTRAL_TEXT, "instructions": "", **texts}
    return services.case_refer(
        case=case, department=flow.department, kind=Referral.Kind.ASSIGN, actor=flow.handler, **values
    )


def approve(flow, run) -> None:
    """Approve as an office head would: a text the check refuses is edited out, then approved."""
    for _attempt in range(2):
        try:
            notification_services.notification_run_approve(run=run, actor=flow.head)
            return
        except ValidationError as error:
            flow.approval_refused += error.messages
            for item in NotificationItem.objects.filter(run=run, report__isnull=False):
                if any(item.reference in message for message in error.messages):
                    notification_services.notification_item_edit(
                        item=item, text=NEUTRAL_TEXT, actor=flow.head
                    )
    raise AssertionError(f"the notification could not be approved: {flow.approval_refused}")


def climb_the_ladder() -> int:
    """Sweep at the days each open deadline is reminded, warned and escalated."""
    moments = set()
    for due in Deadline.objects.filter(status=Deadline.Status.OPEN).values_list("due_date", flat=True):
        for days in (-1, 1, 15):
            moments.add(
                dt.datetime.combine(due + dt.timedelta(days=days), dt.time(12), tzinfo=PERIOD_TIMEZONE)
            )
    for moment in sorted(moments)[:30]:
        escalation_sweep(now=moment)
    return len(moments)


def approval_signal_with_complaint(flow, complaint):
    """Issue 15: an approval of the department with a red signal, the canary complaint filed from
    it (a link the department never sees), the correction answered, then returned by a handler
    who first tries to type the identity into the reason."""
    from approvals.models import ApprovalItem, ApprovalRecord, Where
    from approvals.services.corrections import signal_answer, signal_return
    from approvals.services.signals import signals_evaluate
    from core.calendar import add_working_days

    item = ApprovalItem.objects.create(
        department=flow.department,
        code="CANARY-XK-1",
        name="食品经营许可",
        statutory_days=20,
        promised_days=5,
    )
    accepted = timezone.now() - dt.timedelta(days=40)
    record = ApprovalRecord.objects.create(
        external_id="SQ-CANARY-0001",
        item=item,
        department=flow.department,
        applicant_name="申请测试有限公司",
        accepted_at=accepted,
        accepted_where=Where.HALL,
        due_on=add_working_days(timezone.localdate(accepted), 5).due_date,
    )
    record.complaints.add(complaint)
    signals_evaluate([record.pk])
    signal = signal_answer(
        signal=record.signals.get(kind="overdue"), correction="已作出决定。", actor=flow.dept_user
    )
    flow.handler.user_permissions.add(
        Permission.objects.get(content_type__app_label="approvals", codename="decide_signal")
    )
    handler = type(flow.handler).objects.get(pk=flow.handler.pk)  # the permission cache
    typed_identity_attempts(
        flow,
        "the reason a signal's correction is returned",
        lambda text: signal_return(signal=signal, reason=text, actor=handler),
    )
    return signal_return(signal=signal, reason="未说明超期原因,请补充。", actor=handler)


def openness_finding_of_the_department(flow):
    """Issue 16: an openness check finds a failed item at the department; a handler first tries to
    type the identity into the finding's note, the return reason and a demonstration site's public
    citation (each refused), then the unit answers and its rectification is returned."""
    from appraisal.models import ChecklistItem, OpennessCampaign, OpennessFinding
    from appraisal.openness.services import (
        demonstration_site_mark,
        finding_answer,
        finding_record,
        finding_return,
    )

    campaign = OpennessCampaign.objects.create(
        title="政务公开抽查(金丝雀)",
        method=OpennessCampaign.Method.SPOT,
        starts_on=timezone.localdate() - dt.timedelta(days=30),
        ends_on=timezone.localdate() + dt.timedelta(days=30),
    )
    campaign.units.add(flow.department)
    item = ChecklistItem.objects.create(campaign=campaign, criterion="content", text="办事指南公开")

    def record(text):
        return finding_record(
            campaign=campaign,
            department=flow.department,
            item=item,
            result=OpennessFinding.Result.FAIL,
            note=text,
            actor=flow.handler,
        )

    typed_identity_attempts(flow, "an openness finding's note", record)
    finding = record("办事指南未公开收费依据。")
    finding = finding_answer(finding=finding, rectification="已公开收费依据。", actor=flow.dept_user)
    typed_identity_attempts(
        flow,
        "the reason an openness rectification is returned",
        lambda text: finding_return(finding=finding, reason=text, actor=flow.handler),
    )
    typed_identity_attempts(
        flow,
        "a demonstration site's public citation",
        lambda text: demonstration_site_mark(
            campaign=campaign, department=flow.department, citation=text, actor=flow.head
        ),
    )
    return finding_return(finding=finding, reason="未附整改后的页面截图。", actor=flow.handler)


def run_the_whole_loop(smtp) -> SimpleNamespace:
    department = Department.objects.create(
        name="测试市市场监督管理局",
        short_name="市场监管局",
        email="referrals@scj.example",
        head_name="部门负责人",
        head_email="head@scj.example",
        supervising_leader="分管领导",
        supervising_leader_email="leader@scj.example",
    )
    office = Office.objects.create(name="投诉中心一室", email="office1@centre.example")
    handler = make_user("case_handler")
    head = make_user("office_head")
    office.head = head
    office.save(update_fields=["head"])
    dept_user = make_user("department_user", department=department)
    flow = SimpleNamespace(
        department=department,
        handler=handler,
        head=head,
        dept_user=dept_user,
        handler_client=log_in(handler),
        typed_identity={},
        prefills={},
        prefill_refused={},
        approval_refused=[],
        smtp=smtp,
    )
    period = previous_month()

    flow.real = file_through_the_public_form(REAL, department, period.first_day)
    flow.anonymous = file_through_the_public_form(ANONYMOUS, department, period.first_day)
    received_in([flow.real, flow.anonymous], period.start_at + dt.timedelta(days=3, hours=10))
    flow.real.refresh_from_db()
    flow.anonymous.refresh_from_db()

    flow.case = services.complaint_accept(complaint=flow.real, actor=handler, office=office, handler=handler)
    flow.anonymous_case = services.complaint_accept(
        complaint=flow.anonymous, actor=handler, office=office, handler=handler
    )
    for field in ("released_text", "instructions"):
        typed_identity_attempts(
            flow,
            f"the referral's {field}",
            lambda text, field=field: refer_with(flow, flow.case, **{field: text}),
        )
    flow.referral = refer(flow, flow.case)
    flow.anonymous_referral = refer(flow, flow.anonymous_case)

    services.referral_acknowledge(referral=flow.referral, actor=dept_user)
    services.referral_acknowledge(referral=flow.anonymous_referral, actor=dept_user)
    report = services.referral_report(
        referral=flow.referral,
        facts="经核查,执法人员确有违规检查行为。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已责令退还罚款。",
        actor=dept_user,
    )
    typed_identity_attempts(
        flow,
        "the reason a report is returned",
        lambda text: services.report_review(
            report=report, decision=Review.Decision.RETURN, reason=text, working_days=5, actor=handler
        ),
    )
    services.report_review(
        report=report,
        decision=Review.Decision.RETURN,
        reason="报告未说明罚款依据,请补充核查后重新报告。",
        working_days=5,
        actor=handler,
    )
    report = services.referral_report(
        referral=flow.referral,
        facts="经补充核查,罚款无法律依据,已撤销。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已退还罚款并约谈相关执法人员。",
        actor=dept_user,
    )
    services.report_review(report=report, decision=Review.Decision.ACCEPT, actor=handler)
    services.case_record_finding(
        case=flow.case, finding=Case.Finding.SUBSTANTIATED, note="违规检查、罚款属实。", actor=handler
    )
    for field in ("content", "basis"):
        typed_identity_attempts(
            flow,
            f"a recommendation's {field}",
            lambda text, field=field: services.recommendation_issue(
                case=flow.case,
                department=department,
                actor=handler,
                **{"content": "建议规范执法检查。", "basis": "", field: text},
            ),
        )
    typed_identity_attempts(
        flow,
        "a typical-case summary",
        lambda text: services.case_mark_typical(case=flow.case, summary=text, actor=handler),
    )
    flow.recommendation = services.recommendation_issue(
        case=flow.case,
        department=department,
        content="建议规范执法检查,建立检查事项清单。",
        basis="优化营商环境有关规定",
        working_days=10,
        actor=handler,
    )

    run = notification_services.notification_run_prepare(period=period.label, actor=head)
    approve(flow, run)
    flow.run = notification_services.notification_run_send(run=run, actor=head)
    flow.notification_report = NotificationReport.objects.get(run=run, department=department)

    flow.sweeps = climb_the_ladder()
    flow.approval_signal = approval_signal_with_complaint(flow, flow.real)
    flow.openness_finding = openness_finding_of_the_department(flow)

    services.recommendation_reply(
        recommendation=flow.recommendation, reply="已建立检查事项清单。", actor=dept_user
    )
    services.recommendation_close(recommendation=flow.recommendation, accept=True, actor=handler)
    services.case_close(case=flow.case, result_summary="经核查问题属实,已督促退还罚款并整改。", actor=handler)
    notification_services.notification_report_reply(
        report=flow.notification_report, measures="已组织整改,规范检查行为。", actor=dept_user
    )

    # Issue 15: an approval record of the department that both complainants complained from, with
    # a red signal: the API must show the department neither who nor whether.
    item = ApprovalItem.objects.create(
        department=department,
        code="CANARY-APPROVAL",
        name="食品经营许可",
        statutory_days=20,
        promised_days=10,
    )
    flow.approval_record = ApprovalRecord.objects.create(
        external_id="CANARY-RECORD-1",
        item=item,
        department=department,
        applicant_name="中性申请企业有限公司",
        accepted_at=timezone.now() - dt.timedelta(days=30),
        accepted_where="hall",
        due_on=timezone.localdate() - dt.timedelta(days=10),
    )
    flow.approval_record.complaints.add(flow.real, flow.anonymous)
    flow.approval_signal = ApprovalSignal.objects.create(
        record=flow.approval_record,
        department=department,
        kind=ApprovalSignal.Kind.OVERDUE,
        colour=ApprovalSignal.Colour.RED,
        explanation="超过承诺时限未办结。",
        raised_at=timezone.now(),
    )

    # Issue 16: an approved training of the department that the real complainant complained about
    # from the public list, and an activity "not in this list" (the anonymous complaint) that
    # staff confirmed into a flag: the department's pages and API show neither who nor whether.
    flow.activity = ActivityFiling.objects.create(
        department=department,
        kind="training",
        title="食品安全管理员培训班",
        organiser="市食品安全培训中心",
        audience="餐饮服务企业",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        status=ActivityFiling.Status.APPROVED_NO_FEE,
    )
    activity_complaint_link(complaint=flow.real, filing=flow.activity)
    activity_flag_from_complaint(
        link=activity_complaint_link(complaint=flow.anonymous),
        title="未公示的培训班",
        held_on=None,
        explanation="经核实，该培训未经备案。",
        actor=head,
    )

    pending = OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING).values_list("pk", flat=True)
    flow.delivery = outbox_deliver_many(list(pending))
    # The case list's export: a background job (core.exports) run here, downloaded by its owner.
    export = export_download(flow.handler_client, reverse("admin:casework_case_export"), user=flow.handler)
    flow.export_status = export.status_code
    flow.export_text = response_text(export) if export.status_code == 200 else ""
    return flow


@pytest.fixture(scope="module")
def flow(module_db):
    with ExitStack() as stack:
        smtp = stack.enter_context(smtp_server())
        stack.enter_context(
            override_settings(
                INTAKE_POW_ENABLED=False,
                INTAKE_RATE_LIMITS_ENABLED=False,
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=smtp.port,
                EMAIL_TIMEOUT=20,
                LADDER_CENTRE_LEADER_EMAIL="leader@centre.example",
            )
        )
        log = stack.enter_context(every_logger_at_debug())
        flow = run_the_whole_loop(smtp)
        flow.log = log
        yield flow


# --- Searching ---------------------------------------------------------------------------------


def search(surface: str, haystacks: list[Haystack]) -> list[Hit]:
    result = FIGURES.surface(surface)
    result.searched += len(haystacks)
    hits = [hit for haystack in haystacks for hit in haystack.hits()]
    result.hits += hits
    return hits


def report(hits: list[Hit]) -> str:
    return "\n".join(str(hit) for hit in hits[:60]) + (
        f"\n… and {len(hits) - 60} more" if len(hits) > 60 else ""
    )


def get_all(client, urls: list[str], **headers) -> tuple[list[Haystack], list[str]]:
    haystacks, errors = [], []
    for url in urls:
        response = client.get(url, **headers)
        if response.status_code >= 500:
            errors.append(f"{url}: {response.status_code}")
        haystacks.append(Haystack(f"{url} ({response.status_code})", response_text(response)))
    return haystacks, errors


# --- The steps that must refuse identity -----------------------------------------------------------


def test_a_handler_who_types_the_identity_into_a_department_bound_text_is_refused(flow):
    # 7 steps of the case workflow and the approvals, 3 of the openness checks (issue 16).
    assert len(flow.typed_identity) == 2 * (7 + 3), flow.typed_identity
    sent = [attempt for attempt, outcome in flow.typed_identity.items() if outcome != "refused"]
    assert not sent, f"sent to the department with the identity typed in: {sent}"


def test_the_prefilled_released_text_passes_the_identity_check(flow):
    # Redaction prepares the text; if the check still finds the complainant in it, redaction missed.
    assert not flow.prefill_refused, f"prefilled texts refused by the identity check: {flow.prefill_refused}"


def test_the_notification_as_prepared_passes_the_approval_check(flow):
    assert not flow.approval_refused, f"prepared texts refused at approval: {flow.approval_refused}"


def test_the_loop_reached_every_department_bound_e_mail(flow):
    addresses = department_addresses(flow)
    kinds = {kind for kind, to in OutboundEmail.objects.values_list("kind", "to") if set(to) & addresses}
    expected = {
        "referral_notice",
        "notification_report",
        "ladder_reminder",
        "ladder_warning",
        "ladder_escalation",
    }
    assert expected <= kinds, f"missing: {expected - kinds}; sweeps: {flow.sweeps}"
    assert flow.delivery.get("sent", 0) >= len(expected), flow.delivery
    assert Case.objects.get(pk=flow.case.pk).status == Case.Status.CONCLUDED


# --- Surfaces ------------------------------------------------------------------------------------

DEPARTMENT_IDS = {
    "department_portal:referral": lambda flow: Referral.objects.filter(department=flow.department),
    "department_portal:recommendation": lambda flow: Recommendation.objects.filter(
        department=flow.department
    ),
    "notifications:report": lambda flow: NotificationReport.objects.filter(department=flow.department),
    "complaints:attachment": lambda flow: flow.real.attachments.all(),
    # The department's annual inspection plans (issue 14), one opened for the flow's department.
    "inspection_plans:detail": lambda flow: InspectionPlan.objects.filter(
        pk=InspectionPlan.objects.get_or_create(department=flow.department, year=2027)[0].pk
    ),
    # Issue 14: the department's own inspections (this flow files none; the list and form are walked).
    "inspection_filing:detail": lambda flow: Inspection.objects.filter(department=flow.department),
    # Issue 15: the department's approval signals (one carries the canary's complaint, unseen).
    "approvals_dept:detail": lambda flow: ApprovalSignal.objects.filter(department=flow.department),
    # Issue 16: the department's openness findings (its rectification returned).
    "openness_dept:detail": lambda flow: type(flow.openness_finding).objects.filter(
        department=flow.department
    ),
    # Issue 16: the department's filings, and the public list's complaint pages (the filing the
    # canary complained from, the cancelled items).
    "activity_filing:detail": lambda flow: ActivityFiling.objects.filter(department=flow.department),
    "activities_public:complain_filing": lambda flow: ActivityFiling.objects.filter(
        department=flow.department
    ),
    "activities_public:complain_cancelled": lambda flow: CancelledActivity.objects.all(),
    # The liaison portal's page of a filed complaint: a department user is refused it.
    "liaison_portal:complaint": lambda flow: Complaint.objects.filter(
        pk__in=[flow.real.pk, flow.anonymous.pk]
    ),
    # Issuing an assessment's recommendation (POST only, staff): a department user is refused it.
    "dashboard:assessment_recommendation": lambda flow: EfficiencyAssessment.objects.filter(
        department=flow.department
    ),
    # Issue 16: the department's results of a closed democratic appraisal (five answers, so its
    # free text shows, one of them written with the canary's identity).
    "appraisal_dept:results": lambda flow: appraisal_closed_for(flow),
}


def appraisal_closed_for(flow):
    campaign = Campaign.objects.create(
        title_zh="民主评议（安全测试）",
        starts_on=timezone.localdate() - dt.timedelta(days=5),
        closes_on=timezone.localdate() + dt.timedelta(days=5),
        status=Campaign.Status.OPEN,
        public_link_enabled=True,
    )
    campaign.departments.add(flow.department)
    rating = Question.objects.create(campaign=campaign, text_zh="服务态度", order=1)
    text = Question.objects.create(campaign=campaign, kind=Question.Kind.TEXT, text_zh="意见", order=2)
    canary = CANARIES[0]
    for index in range(5):
        comment = f"请打电话{canary.phone}或发邮件到{canary.email}" if index == 0 else f"意见{index}"
        answer_submit(
            campaign=campaign,
            answers={flow.department.pk: {rating.pk: 3, text.pk: comment}},
        )
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    return Campaign.objects.filter(pk=campaign.pk)


# Routes reached by a secret (issue 14's supervision code), filled with a real one: the QR code on
# the enterprise's wall, as a department user might scan it, and the enterprise's private link, as
# one might have come by it. The walk then continues on the pages they open (/e/, /e/own/).
# route: (its secret, the page it opens: walked again once the secret has opened it).
SECRET_ROUTES = {
    "inspection_entry:scan_open": (lambda made: made.scan, "inspection_entry:home"),
    "inspection_entry:enterprise_open": (lambda made: made.private, "inspection_entry:enterprise"),
}


# Issue 16: an appraisal invitation's one-time link (unknown: a department cannot hold one) and a
# campaign's public link (the questionnaire names no respondent).
KEYED_ROUTES = {
    "appraisal:invitation_open": lambda: reverse("appraisal:invitation_open", args=["A" * 22]),
    "appraisal:public_answer": lambda: reverse("appraisal:public_answer", args=["no-such-campaign"]),
}


def _coded_enterprise():
    return code_issue(enterprise=inspection_factories.enterprise())


QUERY_VARIANTS = {
    "department_portal:home": ["", *(f"?status={s}" for s in ("all", *Referral.Status.values))],
    "approvals_dept:list": ["", "?status=all"],
    "openness_dept:list": ["", "?status=all"],
}


def department_urls(flow) -> tuple[list[str], list[str]]:
    """Every URL of the URL conf that is not the staff workplace or the API (searched on its own),
    with the department's real ids filled in. Routes with a parameter nobody fills are returned
    as unfilled: a new route must be added to DEPARTMENT_IDS."""
    urls, unfilled = [], []
    for route in url_routes():
        if route.is_admin or route.route.startswith("api/"):
            continue
        if not route.params:
            try:
                base = reverse(route.name)
            except NoReverseMatch:
                unfilled.append(route.route)
                continue
            urls += [base + query for query in QUERY_VARIANTS.get(route.name, [""])]
        elif route.name in DEPARTMENT_IDS and route.params == ("pk",):
            urls += [
                reverse(route.name, args=[pk])
                for pk in DEPARTMENT_IDS[route.name](flow).values_list("pk", flat=True)
            ]
        elif route.name in KEYED_ROUTES:
            urls.append(KEYED_ROUTES[route.name]())
        elif route.name in SECRET_ROUTES and route.params == ("secret",):
            secret_of, opened = SECRET_ROUTES[route.name]
            urls += [reverse(route.name, args=[secret_of(_coded_enterprise())]), reverse(opened)]
        else:
            unfilled.append(route.route)
    return urls, unfilled


def test_every_url_a_department_user_can_reach(flow):
    urls, unfilled = department_urls(flow)
    assert not unfilled, f"routes with parameters the battery does not fill: {unfilled}"
    assert any("/dept/referrals/" in url for url in urls) and any(
        "/dept/notifications/" in url for url in urls
    )
    haystacks, errors = get_all(log_in(flow.dept_user), urls)
    hits = search("department portal (URL conf walk)", haystacks)
    assert not errors, errors
    assert not hits, report(hits)


def department_addresses(flow) -> set[str]:
    d = flow.department
    return {d.email, d.head_email, d.supervising_leader_email}


def test_every_e_mail_to_the_department_with_its_attachments(flow):
    addresses = department_addresses(flow)
    haystacks = []
    for number, message in enumerate(flow.smtp.messages):
        recipients = " ".join(str(message.get(header, "")) for header in ("To", "Cc"))
        if not any(address in recipients for address in addresses):
            continue
        subject = message.get("Subject", "")
        haystacks += [
            Haystack(f"e-mail {number} «{subject}» {part}", text) for part, text in message_texts(message)
        ]
    assert haystacks, "no e-mail reached the department's SMTP server"
    hits = search("e-mails to the department (SMTP, with attachments)", haystacks)
    assert not hits, report(hits)


def test_every_outbox_row_for_the_department(flow):
    haystacks = []
    for email in OutboundEmail.objects.prefetch_related("attachments").order_by("pk"):
        if not set(email.to) & department_addresses(flow):
            continue
        where = f"outbox {email.pk} {email.kind}"
        haystacks.append(
            Haystack(where, "\n".join([email.subject, email.body_text, email.body_html, str(email.context)]))
        )
        for attachment in email.attachments.all():
            content = bytes(attachment.content)
            text = workbook_text(content) if content.startswith(b"PK") else content.decode("utf-8", "replace")
            haystacks.append(
                Haystack(f"{where} attachment {attachment.filename}", attachment.filename + text)
            )
    hits = search("outbox rows for the department", haystacks)
    assert not hits, report(hits)


API_LISTS = ["cases", "complaints", "referrals", "departments", "events"]


def api_urls(flow) -> list[str]:
    cases = [flow.case.pk, flow.anonymous_case.pk]
    urls = [f"/api/v1/{name}/?page_size=100" for name in API_LISTS]
    urls += [f"/api/v1/complaints/{pk}/" for pk in (flow.real.pk, flow.anonymous.pk)]
    urls += [f"/api/v1/cases/{pk}/" for pk in cases]
    urls += [
        f"/api/v1/referrals/{pk}/"
        for pk in Referral.objects.filter(case_id__in=cases).values_list("pk", flat=True)
    ]
    urls += [
        f"/api/v1/events/{pk}/"
        for pk in CaseEvent.objects.filter(case_id__in=cases).values_list("pk", flat=True)
    ]
    urls += [f"/api/v1/events/?case={pk}&page_size=100" for pk in cases]
    urls.append(f"/api/v1/departments/{flow.department.pk}/")
    # Issue 16 (staff only: the department is refused them).
    urls += [
        "/api/v1/openness/findings/?page_size=100",
        f"/api/v1/openness/findings/{flow.openness_finding.pk}/",
    ]
    # The approvals' four last: test_the_approvals_api_… reads them.
    urls += [  # issue 16
        "/api/v1/activities/filings/?page_size=100",
        f"/api/v1/activities/filings/{flow.activity.pk}/",
        "/api/v1/activities/flags/?page_size=100",
    ]
    urls += [
        "/api/v1/approvals/records/?page_size=100",
        f"/api/v1/approvals/records/{flow.approval_record.pk}/",
        "/api/v1/approvals/signals/?page_size=100",
        f"/api/v1/approvals/signals/{flow.approval_signal.pk}/",
    ]
    return urls


@pytest.mark.parametrize("who", ["department user", "case handler without the identity permission"])
def test_the_api(flow, who):
    user = flow.dept_user if who == "department user" else flow.handler
    token = api_token(user)
    haystacks, errors = get_all(log_in(None), api_urls(flow), HTTP_AUTHORIZATION=f"Token {token}")
    hits = search(f"API as {who}", haystacks)
    assert not errors, errors
    assert not hits, report(hits)


def test_the_approvals_api_does_not_tell_a_department_which_records_were_complained_about(flow):
    """The record both complainants complained from reads like any other record: no complaint,
    no reference, no tracking code in the department's API answers."""
    client = log_in(None)
    token = api_token(flow.dept_user)
    texts = []
    for url in api_urls(flow)[-4:]:
        response = client.get(url, HTTP_AUTHORIZATION=f"Token {token}")
        assert response.status_code == 200, (url, response.status_code)
        texts.append(response.content.decode())
    assert flow.approval_record.external_id in texts[1]
    for complaint in (flow.real, flow.anonymous):
        for text in texts:
            assert complaint.reference not in text
            assert "complaint" not in text.lower()


def staff_urls(flow) -> list[str]:
    """The staff workplace as a handler reads it: every list, the records of the run, the workflow
    forms of both cases and complaints, the notification preview and its e-mail."""
    from casework.admin import CASE_ACTIONS, COMPLAINT_ACTIONS

    urls = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        try:
            urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        except NoReverseMatch:
            continue
        if opts.app_label in {"complaints", "casework", "reports", "core", "liaison"}:
            for pk in model_admin.model._default_manager.order_by("-pk").values_list("pk", flat=True)[:25]:
                urls.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[pk]))
    for case in (flow.case, flow.anonymous_case):
        urls += [reverse("admin:casework_case_action", args=[case.pk, key]) for key in CASE_ACTIONS]
    for complaint in (flow.real, flow.anonymous):
        urls += [
            reverse("admin:complaints_complaint_triage", args=[complaint.pk, key])
            for key in COMPLAINT_ACTIONS
        ]
    urls.append(
        reverse("admin:reports_notificationrun_email", args=[flow.run.pk, flow.notification_report.pk])
    )
    return urls


def test_the_staff_workplace_for_a_handler_without_the_identity_permission(flow):
    assert not flow.handler.has_perm("complaints.view_complainant_identity")
    urls = staff_urls(flow)
    haystacks, errors = get_all(flow.handler_client, urls)
    opened = [h for h in haystacks if h.where.endswith("(200)")]
    assert any(f"/complaints/complaint/{flow.real.pk}/change/" in h.where for h in opened), (
        "complaint not opened"
    )
    hits = search("staff workplace, handler without the permission", haystacks)
    assert not errors, errors
    assert not hits, report(hits)


def search_terms() -> list[tuple[str, str]]:
    terms = [
        (REAL.key, text) for text in (REAL.contact_name, REAL.surname_title, REAL.phone, REAL.phone[-8:])
    ]
    terms += [
        (REAL.key, text)
        for text in (REAL.email, REAL.email_local, REAL.enterprise_name, REAL.enterprise_short)
    ]
    terms += [
        (REAL.key, REAL.credit_code),
        (REAL.key, REAL.id_number),
        (REAL.key, f"{REAL.contact_name[0]} {REAL.contact_name[1:]}"),
        (REAL.key, f"{REAL.phone[:3]} {REAL.phone[3:7]} {REAL.phone[7:]}"),
    ]
    terms += [
        (ANONYMOUS.key, text)
        for text in (ANONYMOUS.phone[-8:], ANONYMOUS.email_local, ANONYMOUS.enterprise_name)
    ]
    terms += [(ANONYMOUS.key, ANONYMOUS.credit_code), (ANONYMOUS.key, ANONYMOUS.id_number)]
    return terms


def test_staff_without_the_permission_cannot_find_a_complaint_by_identity(flow):
    lists = {
        "admin:complaints_complaint_changelist": lambda canary: (
            (flow.real if canary == REAL.key else flow.anonymous).reference
        ),
        "admin:casework_case_changelist": lambda canary: (
            (flow.case if canary == REAL.key else flow.anonymous_case).reference
        ),
        "admin:casework_referral_changelist": lambda canary: (
            (flow.case if canary == REAL.key else flow.anonymous_case).reference
        ),
    }
    result = FIGURES.surface("staff search by identity, handler without the permission")
    hits = []
    for changelist, reference_of in lists.items():
        for canary, term in search_terms():
            url = reverse(changelist)
            response = flow.handler_client.get(url, {"q": term})
            result.searched += 1
            assert response.status_code == 200, (url, term, response.status_code)
            if reference_of(canary) in response.content.decode():
                needle = Needle(canary, f"search “{term}”", term, "search")
                hits.append(Hit(needle, f"{url}?q={term}", f"found {reference_of(canary)}"))
    result.hits += hits
    assert not hits, report(hits)


def test_the_case_list_export_for_a_handler_without_the_permission(flow):
    assert flow.export_status == 200
    assert flow.case.reference in flow.export_text, "the export does not list the canary case"
    hits = search(
        "case-list export, handler without the permission", [Haystack("cases.xlsx", flow.export_text)]
    )
    assert not hits, report(hits)


def test_the_efficiency_assessment_pages_bulletin_and_figures_for_a_leader(flow):
    """The assessment counts the canary case against its department: its page, the monthly
    bulletin and its workbook, and the public figures show figures and names of departments only."""
    leader = make_user("leader")
    client = log_in(leader)
    # The periods in which the canary case was accepted: the assessment counts it there.
    month = Period.containing(flow.case.opened_at, kind=MONTH)
    quarter = Period.containing(flow.case.opened_at).label
    urls = [
        f"{reverse('dashboard:assessment')}?quarter={quarter}",
        f"{reverse('dashboard:bulletin')}?month={month.label}",
        f"{reverse('figures:index')}?quarter={quarter}",
    ]
    haystacks, errors = get_all(client, urls)
    # The bulletin's workbook: a background export (core.exports), downloaded by its owner.
    workbook = export_download(
        client, f"{reverse('dashboard:bulletin_xlsx')}?month={month.label}", user=leader
    )
    haystacks.append(Haystack(f"bulletin.xlsx ({workbook.status_code})", response_text(workbook)))
    assert not errors, errors
    assert all(h.where.endswith("(200)") for h in haystacks), [h.where for h in haystacks]
    bulletin = client.get(urls[1]).content.decode()
    assert f'data-department="{flow.department.pk}"' in bulletin, "the bulletin does not count the canary"
    hits = search("efficiency assessment, bulletin and public figures, leader", haystacks)
    assert not hits, report(hits)


def test_complaints_about_associations_and_hotline_calls_keep_the_identity_off_their_surfaces(flow):
    """Issue 16: the real canary complains through the public form about an association (routed
    to its supervising department) and calls the conduct hotline; an intake officer logs the call.
    The associations API, the complaints' pages and list for a handler without the identity
    permission, the leaders' dashboard and the public figures: no hit."""
    from liaison.models import Association

    body = Association.objects.create(
        kind=Association.Kind.INTERMEDIARY,
        name="测试市资产评估中介有限公司",
        supervising_department=flow.department,
    )
    day = timezone.localdate() - dt.timedelta(days=1)
    data = {**public_form_post(REAL, flow.department, day), "category": "associations", "department": ""}
    data["association"] = body.pk
    latest = Complaint.objects.order_by("-pk").values_list("pk", flat=True).first()
    response = log_in(None).post("/complaints/new/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    about = Complaint.objects.get(pk__gt=latest)
    assert about.department == flow.department and about.association == body
    intake = log_in(make_user("intake_officer"))
    description, _outcome = complaint_texts(REAL)
    call = {
        "caller_name": REAL.contact_name,
        "phone": REAL.phone,
        "complainant_type": "enterprise",
        "department": flow.department.pk,
        "category": "conduct",
        "description": description,
    }
    response = intake.post(reverse("admin:complaints_complaint_hotline"), call)
    assert response.status_code == 302, response.content.decode()[:2000]
    hotline = Complaint.objects.get(pk__gt=about.pk)
    assert hotline.channel == "conduct_hotline" and not hotline.is_anonymous

    quarter = Period.containing(about.received_at).label
    token = api_token(flow.handler)
    api, api_errors = get_all(
        log_in(None),
        ["/api/v1/associations/?page_size=100", f"/api/v1/associations/{body.pk}/"],
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    staff, staff_errors = get_all(
        flow.handler_client,
        [
            reverse("admin:complaints_complaint_change", args=[about.pk]),
            reverse("admin:complaints_complaint_change", args=[hotline.pk]),
            reverse("admin:complaints_complaint_changelist") + f"?association__id__exact={body.pk}",
            reverse("admin:complaints_complaint_changelist") + "?channel__exact=conduct_hotline",
            reverse("admin:liaison_association_change", args=[body.pk]),
        ],
    )
    figures, figure_errors = get_all(
        log_in(make_user("leader")),
        [f"{reverse('dashboard:index')}?quarter={quarter}", f"{reverse('figures:index')}?quarter={quarter}"],
    )
    haystacks = api + staff + figures
    assert not (api_errors + staff_errors + figure_errors)
    assert all(h.where.endswith("(200)") for h in haystacks), [h.where for h in haystacks]
    hits = search("associations and the conduct hotline (issue 16)", haystacks)
    assert not hits, report(hits)


def canary_e_mail(canary, description: str, outcome: str) -> bytes:
    """The canary's complaint as a mail client sends it: its name and address in From (the name
    in an encoded word), the text with every written form of its identity, UTF-8 in base64."""
    name = base64.b64encode(canary.contact_name.encode()).decode()
    subject = base64.b64encode("市场监管局执法人员乱罚款".encode()).decode()
    body = base64.encodebytes(f"{description}\n{outcome}".encode()).decode()
    return (
        f"From: =?UTF-8?B?{name}?= <{canary.email}>\r\nTo: tousu@jw.example.gov.cn\r\n"
        f"Subject: =?UTF-8?B?{subject}?=\r\nMessage-ID: <canary-mail@{canary.email.split('@')[1]}>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Content-Transfer-Encoding: base64\r\n\r\n{body}"
    ).encode("ascii")


def test_a_complaint_by_e_mail_keeps_the_sender_off_the_department_and_masked_surfaces(flow):
    """Issue 18: the real canary e-mails the complaint mailbox, read from a real IMAP server. The
    complaint is accepted and referred to the department. The department's portal and API, the
    complaint, case and mailbox record for staff without the identity permission: no hit."""
    description, outcome = complaint_texts(REAL)
    with imap_server() as server, override_settings(**server.settings):
        server.deliver(canary_e_mail(REAL, description, outcome))
        assert mailbox_fetch() == {MailboxMessage.Outcome.COMPLAINT: 1}
    record = MailboxMessage.objects.get(sender_email=REAL.email)
    complaint = record.complaint
    assert complaint.channel == "email" and complaint.identity.contact_name == REAL.contact_name
    case = services.complaint_accept(complaint=complaint, actor=flow.handler, handler=flow.handler)
    referral = refer(flow, case)
    services.referral_acknowledge(referral=referral, actor=flow.dept_user)

    department, department_errors = get_all(
        log_in(flow.dept_user),
        [
            reverse("department_portal:home"),
            reverse("department_portal:home") + "?status=all",
            reverse("department_portal:referral", args=[referral.pk]),
        ],
    )
    token = api_token(flow.dept_user)
    api, api_errors = get_all(
        log_in(None),
        [
            f"/api/v1/referrals/{referral.pk}/",
            "/api/v1/referrals/?page_size=100",
            f"/api/v1/cases/{case.pk}/",
        ],
        HTTP_AUTHORIZATION=f"Token {token}",
    )
    reader = make_user("case_handler")
    reader.user_permissions.add(Permission.objects.get(codename="view_mailboxmessage"))
    staff, staff_errors = get_all(
        log_in(reader),
        [
            reverse("admin:complaints_complaint_change", args=[complaint.pk]),
            reverse("admin:casework_case_change", args=[case.pk]),
            reverse("admin:complaints_mailboxmessage_changelist"),
            reverse("admin:complaints_mailboxmessage_change", args=[record.pk]),
            reverse("admin:complaints_complaint_changelist") + "?channel__exact=email",
        ],
    )
    haystacks = department + api + staff
    assert not (department_errors + api_errors + staff_errors)
    assert all(h.where.endswith("(200)") for h in department + staff), [h.where for h in haystacks]
    hits = search("a complaint by e-mail (issue 18)", haystacks)
    assert not hits, report(hits)


def test_the_canary_complaints_write_every_form(flow):
    """The battery's own check: each written form is in what was filed, and every needle is found
    in the complaint as filed (a needle that cannot match would search for nothing)."""
    filed = {REAL.key: flow.real, ANONYMOUS.key: flow.anonymous}
    for canary, form, text in WRITTEN_FORMS:
        complaint = filed[canary.key]
        assert text in complaint.description + complaint.desired_outcome, form
    for key, complaint in filed.items():
        haystack = Haystack(key, complaint.description + complaint.desired_outcome)
        found = {hit.needle.key for hit in haystack.hits() if hit.needle.canary == key}
        expected = {needle.key for needle in NEEDLES if needle.canary == key}
        assert found == expected, expected - found
    assert timezone.localdate() > flow.real.received_at.astimezone(PERIOD_TIMEZONE).date()


def test_the_application_log_of_the_whole_run(flow):
    # Last in the module: the log holds the run and every request the tests above made.
    assert flow.log.lines, "nothing was logged: the capture is not working"
    hits = search(
        "application log (every logger at DEBUG)",
        [Haystack(f"log line {n}", line) for n, line in enumerate(flow.log.lines)],
    )
    assert not hits, report(hits)

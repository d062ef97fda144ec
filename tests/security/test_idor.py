"""The IDOR matrix: every URL pattern of the URL conf with an object id × every role × objects of
another department (B) and another filer. Generated from the URL conf, one test per pattern, so a
new page with an id is in the matrix the day it is added (and fails until the tables below say
whose its objects are).

Who may see what is one table, ``allowed``, reasoned from DESIGN.md:

* the public sees no object by its id (the tracking page finds a complaint by its code only);
* a department reads its own referrals, recommendations and sent notification reports, never a
  case file, a complaint or another department's anything;
* liaison points and supervisors see what they filed (their portal lists it and opens each one
  by its id), nothing else;
* the centre's staff see what their role's permissions let them see, across departments (the
  centre supervises all of them): the staff workplace's model permissions, and for the API the
  same permissions as the selectors document;
* the directory of departments (names only) is readable by every signed-in user.

A leak is a 2xx answer to someone the table does not allow; a 5xx is a failure whoever asked.
GET for everyone; POST as well for everyone not allowed (a write through someone else's id).
"""

import datetime as dt
import io
import traceback

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from appraisal.models import (
    Campaign,
    ChecklistItem,
    DemonstrationSite,
    FindingEvidence,
    Invitation,
    OpennessCampaign,
    OpennessFinding,
    Question,
)
from appraisal.openness.services import demonstration_site_mark, finding_record
from approvals.models import ApprovalItem, ApprovalRecord, ApprovalSignal
from casework import services
from casework.admin import CASE_ACTIONS, COMPLAINT_ACTIONS
from casework.models import Case, CaseEvent, Recommendation, Referral, ReportAttachment, Review
from casework.selectors import departments_of
from complaints.mailbox.services import mail_file
from complaints.models import Attachment, Category, Channel, ComplainantType, Complaint, MailboxMessage
from complaints.services import ComplaintData, IdentityData, complaint_submit
from complaints.uploads import prepare_uploads
from core.models import ExportJob, PurgeRun
from core.periods import previous_month
from inspections.models import (
    ActivityComplaint,
    ActivityFiling,
    ActivityFlag,
    CancelledActivity,
    Inspection,
    InspectionFlag,
    InspectionPlan,
    InspectionRating,
    SupervisionCode,
)
from inspections.services.codes import code_issue
from liaison.models import (
    Association,
    Department,
    Enterprise,
    FeeSchedule,
    LeadingGroupMember,
    LiaisonPoint,
    Supervisor,
)
from reports.models import EfficiencyAssessment, NotificationItem, NotificationReport, NotificationRun
from reports.notifications import services as notification_services
from tests.security.canaries import FIGURES, admin_model_of, url_routes
from tests.security.conftest import log_in, make_user

pytestmark = [pytest.mark.services, pytest.mark.django_db]

ID_PARAMETERS = {"object_id", "pk", "id", "report_pk", "file_pk", "content_type_id", "enterprise_id"}
MISSING_ID = 2_000_000_000

ROLES = [
    "anonymous",
    "administrator",
    "intake_officer",
    "case_handler",
    "office_head",
    "leader",
    "staff_without_role",
    "department_user_a",
    "liaison_point",
    "supervisor",
    # The owner: not probed for leaks, the control that the URL really reaches B's object.
    "department_user_b",
]


# --- The world: department B's objects, A's user looking at them ---------------------------------


def _png(name: str) -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 120, 0)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def _file(
    department, *, anonymous=False, filer=None, point=None, supervisor=None, files=(), text="B"
) -> Complaint:
    return complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.ENTERPRISE,
            category=Category.INSPECTIONS,
            description=f"部门{text}的执法人员三个月内重复检查五次,每次都要求停产配合。",
            department=department,
        ),
        identity=None
        if anonymous
        else IdentityData(
            contact_name=f"投诉人{text}", phone="13912345678", enterprise_name=f"企业{text}有限公司"
        ),
        uploads=prepare_uploads(list(files)) if files else [],
        channel=Channel.LIAISON_POINT if point else Channel.SUPERVISOR if supervisor else Channel.WEB,
        actor=filer,
        liaison_point=point,
        supervisor=supervisor,
        received_at=previous_month().start_at + dt.timedelta(days=2),
    ).complaint


def build_world():
    dept_a = Department.objects.create(name="甲区税务局", email="a@dept.example")
    dept_b = Department.objects.create(name="乙区税务局", email="b@dept.example")
    users = {
        "anonymous": None,
        "administrator": make_user("administrator"),
        "intake_officer": make_user("intake_officer"),
        "case_handler": make_user("case_handler"),
        "office_head": make_user("office_head"),
        "leader": make_user("leader"),
        "staff_without_role": make_user(None, staff=True, name="staff-without-role"),
        "department_user_a": make_user("department_user", department=dept_a),
        "liaison_point": make_user("liaison_reporter", name="liaison-point"),
        "supervisor": make_user("liaison_reporter", name="supervisor"),
        "department_user_b": make_user("department_user", department=dept_b),
    }
    handler, head = users["case_handler"], users["office_head"]
    point = LiaisonPoint.objects.create(
        enterprise_name="联系点企业",
        contact_name="联系人",
        appointed_on=dt.date(2026, 1, 1),
        user=users["liaison_point"],
    )
    supervisor = Supervisor.objects.create(
        name="监督员",
        enterprise_name="监督员企业",
        appointed_on=dt.date(2026, 1, 1),
        user=users["supervisor"],
    )

    # B's complaint with evidence, B's anonymous one, and one filed by the supervisor (the liaison
    # point's user must not reach it: another filer).
    complaint_b = _file(dept_b, files=[_png("evidence-b.png")])
    _file(dept_b, anonymous=True)
    filed_by_supervisor = _file(dept_b, filer=users["supervisor"], supervisor=supervisor, text="S")
    _file(dept_a, filer=users["liaison_point"], point=point, text="P")

    case_b = services.complaint_accept(complaint=complaint_b, actor=handler)
    referral_b = services.case_refer(
        case=case_b,
        department=dept_b,
        kind=Referral.Kind.ASSIGN,
        released_text="企业反映乙区重复检查问题。",
        instructions="请核实。",
        actor=handler,
    )
    services.referral_acknowledge(referral=referral_b, actor=users["department_user_b"])
    report = services.referral_report(
        referral=referral_b,
        facts="经核查属实。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已整改。",
        actor=None,
    )
    services.report_review(report=report, decision=Review.Decision.RETURN, reason="请补充。", actor=handler)
    services.referral_report(
        referral=referral_b,
        facts="补充核查属实。",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已整改。",
        actor=None,
        uploads=prepare_uploads([_png("report-b.png")]),
    )
    recommendation_b = services.recommendation_issue(
        case=case_b, department=dept_b, content="建议规范检查。", working_days=10, actor=handler
    )
    case_a = services.complaint_accept(complaint=_file(dept_a, text="A"), actor=handler)
    services.case_refer(
        case=case_a,
        department=dept_a,
        kind=Referral.Kind.TRANSFER,
        released_text="企业反映甲区问题。",
        actor=handler,
    )
    identity_request = services.identity_access_request(
        complaint=complaint_b, reason="核实身份", actor=handler
    )
    talk = services.talk_record(
        department=dept_b,
        heads="乙区税务局局长",
        held_on=dt.date(2026, 11, 2),
        place="会议室",
        record="谈话记录。",
        actor=handler,
        cases=[case_b],
    )
    visit = services.visit_record(
        visited_on=dt.date(2026, 11, 3),
        department=dept_b,
        team="暗访组",
        findings="窗口无人。",
        actor=handler,
    )
    run = notification_services.notification_run_prepare(period=previous_month().label, actor=head)
    notification_services.notification_run_approve(run=run, actor=head)
    notification_services.notification_run_send(run=run, actor=head)
    report_b = NotificationReport.objects.get(run=run, department=dept_b)

    # B's inspection of an enterprise, flagged (issue 14: the filing pages and the flag admin).
    inspected = Enterprise.objects.create(credit_code="91110000802100433B", name="乙区受检企业")
    inspection_b = Inspection.objects.create(
        department=dept_b,
        enterprise=inspected,
        planned_on=dt.date(2026, 12, 20),
        officers=[{"name": "乙一", "certificate": "B-1"}, {"name": "乙二", "certificate": "B-2"}],
    )
    flag_b = InspectionFlag.objects.create(
        inspection=inspection_b, kind=InspectionFlag.Kind.CROSS, explanation="乙区与甲区交叉检查。"
    )

    # The inspected enterprise's supervision code (its page in the staff workplace, by the
    # enterprise's id: it shows and rotates the QR code and the private link) and its rating of
    # a visit of B's (who rated is the enterprise: the ratings' admin).
    code_issue(enterprise=inspected)
    visited_b = Inspection.objects.create(
        department=dept_b,
        enterprise=inspected,
        planned_on=dt.date(2026, 11, 20),
        status=Inspection.Status.CONCLUDED,
        officers=[{"name": "乙一", "certificate": "B-1"}, {"name": "乙二", "certificate": "B-2"}],
    )
    rating_b = InspectionRating.objects.create(inspection=visited_b, score=2, comment="乙区检查过于频繁。")

    # B's annual inspection plan (issue 14: the department portal's plan pages).
    plan_b = InspectionPlan.objects.create(department=dept_b, year=2027)

    # B's published efficiency assessment (the assessments' API and the recommendation's action).
    assessment_b = EfficiencyAssessment.objects.create(
        quarter="2026Q3",
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        department=dept_b,
        total=55,
        grade=EfficiencyAssessment.Grade.FAIL,
        computed_at=dt.datetime(2026, 10, 8, 9, tzinfo=dt.UTC),
        recommendation_draft="监察建议（草稿）",
    )
    # B's approval item, record and its red signal (issue 15: the approvals API and admin).
    item_b = ApprovalItem.objects.create(
        department=dept_b, code="B-APPROVAL-1", name="乙区审批事项", statutory_days=20, promised_days=10
    )
    record_b = ApprovalRecord.objects.create(
        external_id="B-RECORD-1",
        item=item_b,
        department=dept_b,
        accepted_at=dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC),
        accepted_where="hall",
        due_on=dt.date(2026, 11, 16),
    )
    record_b.complaints.add(complaint_b)
    signal_b = ApprovalSignal.objects.create(
        record=record_b,
        department=dept_b,
        kind=ApprovalSignal.Kind.OVERDUE,
        colour=ApprovalSignal.Colour.RED,
        explanation="超过承诺时限未办结。",
        raised_at=dt.datetime(2026, 11, 17, 1, tzinfo=dt.UTC),
    )

    # B's failed openness finding with its evidence, and B a demonstration site (issue 16: the
    # openness checks' department page, admin and API).
    openness_campaign = OpennessCampaign.objects.create(
        title="乙区政务公开抽查", method="spot", starts_on=dt.date(2026, 10, 1), ends_on=dt.date(2026, 12, 31)
    )
    openness_campaign.units.add(dept_a, dept_b)
    openness_item = ChecklistItem.objects.create(
        campaign=openness_campaign, criterion="content", text="目录更新"
    )
    openness_finding_b = finding_record(
        campaign=openness_campaign,
        department=dept_b,
        item=openness_item,
        result=OpennessFinding.Result.FAIL,
        note="乙区目录未更新。",
        uploads=prepare_uploads([_png("openness-b.png")]),
        actor=handler,
    )
    openness_site_b = demonstration_site_mark(
        campaign=openness_campaign, department=dept_b, citation="整改到位", actor=head
    )

    # B's training filing awaiting the decision (not on the public list), a cancelled item of B's,
    # the complaint from the public list linked, and a flag against B (issue 16).
    activity_b = ActivityFiling.objects.create(
        department=dept_b,
        kind="training",
        title="乙区企业培训班",
        organiser="乙区培训中心",
        audience="乙区企业",
        starts_on=dt.date(2026, 12, 20),
        ends_on=dt.date(2026, 12, 21),
    )
    cancelled_b = CancelledActivity.objects.create(
        kind="award", name="乙区十佳企业评选", department=dept_b, cancelled_on=dt.date(2026, 3, 1)
    )
    activity_complaint_b = ActivityComplaint.objects.create(complaint=complaint_b, cancelled_item=cancelled_b)
    activity_flag_b = ActivityFlag.objects.create(
        department=dept_b, kind="unfiled", title="乙区未备案培训", explanation="乙区未备案举办培训。"
    )

    # B's closed democratic appraisal (issue 16): its results page and its invitations.
    campaign_b = Campaign.objects.create(
        title_zh="乙区民主评议",
        starts_on=dt.date(2026, 10, 1),
        closes_on=dt.date(2026, 10, 31),
        status=Campaign.Status.CLOSED,
    )
    campaign_b.departments.add(dept_b)
    Question.objects.create(campaign=campaign_b, text_zh="服务态度")
    invitation_b = Invitation.objects.create(
        campaign=campaign_b,
        kind=Invitation.Kind.ENTERPRISE,
        email="b-invitee@firm.example",
        token_hash="b" * 64,
        invited_on=dt.date(2026, 10, 1),
    )

    # Issue 16: an association B supervises, its fee schedule with a filed PDF, a complaint about
    # it, and a member of the leading group (the directory admin's pages and the associations API).
    association_b = Association.objects.create(
        kind=Association.Kind.INTERMEDIARY, name="乙区评估中介有限公司", supervising_department=dept_b
    )
    fee_b = FeeSchedule(association=association_b, item="评估费", amount_min=100, legal_basis="乙区物价文件")
    fee_b.document.save("fee.pdf", SimpleUploadedFile("fee.pdf", b"%PDF-1.4\n%%EOF\n"), save=False)
    fee_b.document_name = "乙区收费标准.pdf"
    fee_b.save()
    complaint_submit(
        data=ComplaintData(
            complainant_type=ComplainantType.ENTERPRISE,
            category=Category.ASSOCIATIONS,
            description="乙区评估中介强制收取评估费,远超备案标准。",
            association=association_b,
        ),
        identity=None,
    )
    member_b = LeadingGroupMember.objects.create(
        role=LeadingGroupMember.Role.DEPUTY, name="乙副组长", email="deputy@ccdi.example"
    )

    # Issue 18: a message read from the complaint mailbox (its record names the sender).
    mailbox_b = mail_file(
        raw=(
            "From: =?UTF-8?B?5LmZ5oqV6K+J5Lq6?= <b-sender@firm.example>\r\nSubject: =?UTF-8?B?5LmZ?=\r\n"
            "Message-ID: <idor-b@firm.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "乙区税务局重复检查。"
        ).encode()
    )

    # B's object of each model; any other model: its latest row (or a missing id, probed for 5xx).
    objects = {
        MailboxMessage: mailbox_b,
        ActivityFiling: activity_b,
        CancelledActivity: cancelled_b,
        ActivityComplaint: activity_complaint_b,
        ActivityFlag: activity_flag_b,
        InspectionPlan: plan_b,
        Complaint: complaint_b,
        Case: case_b,
        Referral: referral_b,
        NotificationReport: report_b,
        NotificationRun: run,
        NotificationItem: NotificationItem.objects.filter(report=report_b).first(),
        Attachment: complaint_b.attachments.get(),
        Department: dept_b,
        LiaisonPoint: point,
        Supervisor: supervisor,
        Recommendation: recommendation_b,
        type(identity_request): identity_request,
        type(talk): talk,
        type(visit): visit,
        Inspection: inspection_b,
        InspectionFlag: flag_b,
        SupervisionCode: SupervisionCode.objects.get(enterprise=inspected),
        InspectionRating: rating_b,
        EfficiencyAssessment: assessment_b,
        ApprovalItem: item_b,
        ApprovalRecord: record_b,
        ApprovalSignal: signal_b,
        OpennessCampaign: openness_campaign,
        OpennessFinding: openness_finding_b,
        DemonstrationSite: openness_site_b,
        Campaign: campaign_b,
        Invitation: invitation_b,
        Association: association_b,
        FeeSchedule: fee_b,
        LeadingGroupMember: member_b,
        # Issue 18: a record of a purge of personal data (counts only; the admin reads it).
        PurgeRun: PurgeRun.objects.create(dry_run=True, actor_name="matrix", counts={"identity_views": {}}),
    }
    # A finished background export of the case handler's (core.exports): its page and its file
    # are the owner's alone, whatever the others' permissions (issue 18).
    export_b = ExportJob.objects.create(
        kind="casework.cases",
        owner=handler,
        state=ExportJob.State.DONE,
        file=default_storage.save("exports/idor-matrix.xlsx", ContentFile(b"PK\x03\x04 not a real workbook")),
        filename="cases.xlsx",
        rows_done=1,
        rows_total=1,
        expires_at=timezone.now() + dt.timedelta(hours=1),
    )
    objects[ExportJob] = export_b
    clients = {role: log_in(user) for role, user in users.items()}
    for client in clients.values():
        client.raise_request_exception = False
    try:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        # Another member of staff's authenticator: its secret and QR code are nobody else's.
        objects[TOTPDevice] = TOTPDevice.objects.filter(user=head).first()
    except ImportError:
        pass
    return {
        "users": users,
        "clients": clients,
        "objects": objects,
        "dept_b": dept_b,
        "filed_by_supervisor": filed_by_supervisor,
        "complaint_b": complaint_b,
        "report_b": report_b,
        "report_file_b": ReportAttachment.objects.get(report__referral=referral_b),
        "openness_file_b": FindingEvidence.objects.get(finding=openness_finding_b),
        "fee_b": fee_b,
        "export_b": export_b,
    }


@pytest.fixture(scope="module")
def world(module_db):
    return build_world()


def object_of(world, model):
    obj = world["objects"].get(model)
    if obj is None:
        obj = model._default_manager.order_by("-pk").first()
    return obj


# --- Who may see what (DESIGN.md) ---------------------------------------------------------------


def _perm(user, *codes: str) -> bool:
    return user is not None and any(user.has_perm(code) for code in codes)


def _staff(user) -> bool:
    return user is not None and user.is_active and user.is_staff


def _department_of(user, obj) -> bool:
    return (
        user is not None
        and user.has_perm("liaison.access_department_portal")
        and getattr(obj, "department_id", None) in departments_of(user)
    )


# Staff read a model in the workplace with any of these permissions (default: view or change).
ADMIN_READ_PERMISSIONS = {
    # The notification runs and their reports are one piece of work (reports.selectors).
    "reports.notificationrun": (
        "reports.view_notificationrun",
        "reports.change_notificationrun",
        "reports.approve_notificationrun",
    ),
    "reports.notificationreport": (
        "reports.view_notificationrun",
        "reports.change_notificationrun",
        "reports.approve_notificationrun",
    ),
    "reports.notificationitem": (
        "reports.view_notificationrun",
        "reports.change_notificationrun",
        "reports.approve_notificationrun",
    ),
}

NON_ADMIN = {
    # name: (model, who may read the object)
    "complaints:attachment": (Attachment, lambda u, o: _staff(u) and _perm(u, "complaints.view_attachment")),
    "department_portal:referral": (Referral, _department_of),
    "department_portal:recommendation": (Recommendation, _department_of),
    "inspection_plans:detail": (InspectionPlan, _department_of),
    "notifications:report": (NotificationReport, lambda u, o: _department_of(u, o) and o.sent_at is not None),
    "api:case-detail": (Case, lambda u, o: _perm(u, "casework.view_case")),
    "api:event-detail": (CaseEvent, lambda u, o: _perm(u, "casework.view_case")),
    "api:complaint-detail": (Complaint, lambda u, o: _perm(u, "complaints.view_complaint")),
    "api:referral-detail": (
        Referral,
        lambda u, o: _perm(u, "casework.view_referral") or _department_of(u, o),
    ),
    "api:referral-acknowledge": (
        Referral,
        lambda u, o: (_staff(u) and _perm(u, "casework.handle_case")) or _department_of(u, o),
    ),
    "api:referral-report": (
        Referral,
        lambda u, o: (_staff(u) and _perm(u, "casework.handle_case")) or _department_of(u, o),
    ),
    "api:department-detail": (Department, lambda u, o: u is not None),
    "inspection_filing:detail": (Inspection, _department_of),
    "approvals_dept:detail": (ApprovalSignal, _department_of),
    "inspections_api:inspection-detail": (
        Inspection,
        lambda u, o: _department_of(u, o) or (_staff(u) and _perm(u, "inspections.view_inspection")),
    ),
    # The registry (read only): every department, and staff who read the registry.
    "inspections_api:enterprise-detail": (
        Enterprise,
        lambda u, o: (
            _perm(u, "liaison.access_department_portal")
            or (_staff(u) and _perm(u, "liaison.view_enterprise"))
        ),
    ),
    # The efficiency assessment: its API for the dashboard's readers; issuing a recommendation
    # (POST only) for who publishes assessments.
    "assessments_api:assessment-detail": (
        EfficiencyAssessment,
        lambda u, o: _staff(u) and _perm(u, "casework.view_dashboard"),
    ),
    "dashboard:assessment_recommendation": (
        EfficiencyAssessment,
        lambda u, o: _staff(u) and _perm(u, "reports.publish_efficiencyassessment"),
    ),
    # Issue 15. The catalogue: departments, the halls' systems and staff who read it.
    "approvals_api:item-detail": (
        ApprovalItem,
        lambda u, o: (
            _perm(u, "liaison.access_department_portal", "approvals.push_records")
            or (_staff(u) and _perm(u, "approvals.view_approvalitem"))
        ),
    ),
    "approvals_api:record-detail": (
        ApprovalRecord,
        lambda u, o: _department_of(u, o) or (_staff(u) and _perm(u, "approvals.view_approvalrecord")),
    ),
    "approvals_api:signal-detail": (
        ApprovalSignal,
        lambda u, o: _department_of(u, o) or (_staff(u) and _perm(u, "approvals.view_approvalsignal")),
    ),
    # Issue 16. A unit reads its own failed openness findings; the API is for staff who read them.
    "openness_dept:detail": (
        OpennessFinding,
        lambda u, o: _department_of(u, o) and o.result != OpennessFinding.Result.PASS,
    ),
    "openness_api:campaign-detail": (
        OpennessCampaign,
        lambda u, o: _staff(u) and _perm(u, "appraisal.view_opennessfinding"),
    ),
    "openness_api:campaign-results": (
        OpennessCampaign,
        lambda u, o: _staff(u) and _perm(u, "appraisal.view_opennessfinding"),
    ),
    "openness_api:finding-detail": (
        OpennessFinding,
        lambda u, o: _staff(u) and _perm(u, "appraisal.view_opennessfinding"),
    ),
    "openness_api:site-detail": (
        DemonstrationSite,
        lambda u, o: _staff(u) and _perm(u, "appraisal.view_opennessfinding"),
    ),
    # Issue 16. A department reads its own filings; the public list opens approved filings and
    # cancelled items only (B's filing awaits the decision: nobody's on the public pages).
    "activity_filing:detail": (ActivityFiling, _department_of),
    "activities_public:complain_filing": (ActivityFiling, lambda u, o: o.is_approved),
    "activities_public:complain_cancelled": (CancelledActivity, lambda u, o: True),
    "activities_api:filing-detail": (
        ActivityFiling,
        lambda u, o: _department_of(u, o) or (_staff(u) and _perm(u, "inspections.view_activityfiling")),
    ),
    "activities_api:cancelled-detail": (
        CancelledActivity,
        lambda u, o: (
            _perm(u, "liaison.access_department_portal")
            or (_staff(u) and _perm(u, "inspections.view_activityfiling"))
        ),
    ),
    "activities_api:flag-detail": (
        ActivityFlag,
        lambda u, o: _staff(u) and _perm(u, "inspections.view_activityflag"),
    ),
    # Issue 16: associations and their fee schedules, for staff who read the directory.
    "associations_api:association-detail": (
        Association,
        lambda u, o: _staff(u) and _perm(u, "liaison.view_association"),
    ),
    "liaison_portal:complaint": (
        Complaint,
        lambda u, o: _perm(u, "liaison.access_liaison_portal") and o.filed_by_id == u.pk,
    ),
    # Issue 16: the appraisal API, for staff who read campaigns.
    "appraisal_api:campaign-detail": (
        Campaign,
        lambda u, o: _staff(u) and _perm(u, "appraisal.view_campaign"),
    ),
    # Issue 16: a closed appraisal's results, for the departments it appraised.
    "appraisal_dept:results": (
        Campaign,
        lambda u, o: (
            u is not None
            and u.has_perm("liaison.access_department_portal")
            and o.status == Campaign.Status.CLOSED
            and bool(set(o.departments.values_list("pk", flat=True)) & set(departments_of(u)))
        ),
    ),
}


def admin_allowed(route, model, user, obj) -> bool:
    if not _staff(user):
        return False
    opts = model._meta
    label = f"{opts.app_label}.{opts.model_name}"
    if route.route.endswith("/delete/"):
        return _perm(user, f"{opts.app_label}.delete_{opts.model_name}")
    if route.route.endswith("/password/"):
        return _perm(user, f"{opts.app_label}.change_{opts.model_name}")
    default = (f"{opts.app_label}.view_{opts.model_name}", f"{opts.app_label}.change_{opts.model_name}")
    return _perm(user, *ADMIN_READ_PERMISSIONS.get(label, default))


# --- The matrix -----------------------------------------------------------------------------------


def id_routes():
    return [route for route in url_routes() if ID_PARAMETERS & set(route.params)]


def _urls(route, world):
    """(url, object, allowed(user)) for each URL of this pattern aimed at B's object."""
    if route.name == "admin:view_on_site":
        complaint = world["complaint_b"]
        content_type = ContentType.objects.get_for_model(Complaint)
        url = reverse(route.name, args=[content_type.pk, complaint.pk])
        return [(url, complaint, lambda user: _staff(user) and _perm(user, "complaints.view_complaint"))]
    if route.is_admin:
        model_admin = admin_model_of(route.callback)
        assert model_admin is not None, f"{route.route}: no ModelAdmin behind this admin URL"
        model = model_admin.model
        obj = object_of(world, model)
        kwargs = {}
        for param in route.params:
            if param in {"object_id", "pk", "id"}:
                kwargs[param] = obj.pk if obj is not None else MISSING_ID
            elif param == "report_pk":
                kwargs[param] = world["report_b"].pk
            elif param == "file_pk" and route.name == "admin:appraisal_opennessfinding_evidence":
                kwargs[param] = world["openness_file_b"].pk
            elif param == "file_pk":
                kwargs[param] = world["report_file_b"].pk
            elif param == "enterprise_id":
                # A page of the enterprise's code (its QR code and private link), by the enterprise.
                kwargs[param] = obj.enterprise_id if obj is not None else MISSING_ID
            elif param != "action":
                raise AssertionError(f"{route.route}: parameter {param} is not in the matrix")
        actions = [None]
        if "action" in route.params:
            actions = list(CASE_ACTIONS if model is Case else COMPLAINT_ACTIONS)
        if model is ExportJob:
            # An export is its owner's: its page and its download, nobody else's (superusers
            # included), and no one deletes it in the admin (the sweep does).
            def owner_only(user, obj=obj, route=route):
                return (
                    _staff(user)
                    and obj is not None
                    and user.pk == obj.owner_id
                    and not route.route.endswith("/delete/")
                )

            return [(reverse(route.name, kwargs=kwargs), obj, owner_only)]
        urls = []
        for action in actions:
            url = reverse(route.name, kwargs={**kwargs, **({"action": action} if action else {})})
            urls.append((url, obj, lambda user, model=model, obj=obj: admin_allowed(route, model, user, obj)))
        if route.name == "admin:liaison_feeschedule_document":
            # A filed fee schedule's document, by the fee item's id: who reads the associations.
            fee = world["fee_b"]
            url = reverse(route.name, kwargs={"pk": fee.pk})
            return [(url, fee, lambda user: admin_allowed(route, Association, user, fee))]
        if route.name == "admin:casework_case_report_attachment":
            # A report's file: who reads the case and its reports.
            urls = [
                (url, obj, lambda user, rule=rule: rule(user) and _perm(user, "casework.view_handlingreport"))
                for url, obj, rule in urls
            ]
        return urls
    assert route.name in NON_ADMIN, f"{route.route} ({route.name}): add it to NON_ADMIN with who may read it"
    model, rule = NON_ADMIN[route.name]
    obj = object_of(world, model)
    url = reverse(route.name, kwargs={route.params[0]: obj.pk if obj is not None else MISSING_ID})
    return [(url, obj, lambda user: obj is not None and rule(user, obj))]


def _call(client, method, url):
    """The response's status, and the head of the traceback when the view raised."""
    response = getattr(client, method)(
        url, {"action": "acknowledge", "post": "yes"} if method == "post" else None
    )
    head = ""
    if response.status_code >= 500:
        exc = getattr(response, "exc_info", None)
        if exc and exc[1] is not None:
            head = "".join(traceback.format_exception_only(exc[0], exc[1])).strip()[:300]
    return response.status_code, head


# Patterns whose object an administrator must be able to open (the matrix's own check).
CONTROLS = {
    "admin:complaints_complaint_change",
    "admin:casework_case_change",
    "admin:casework_referral_change",
    "admin:reports_notificationrun_change",
    "admin:casework_case_action",
    "admin:casework_case_report_attachment",
    "admin:inspections_supervisioncode_enterprise",
    "admin:appraisal_opennessfinding_evidence",
    "admin:liaison_feeschedule_document",
    "associations_api:association-detail",
    "api:case-detail",
    "api:complaint-detail",
    "api:referral-detail",
    "complaints:attachment",
}


def _writes(route) -> bool:
    """Whether the pattern takes a POST worth probing: the admin's change and history pages of a
    disallowed user answer a POST exactly as a GET (the same permission check comes first)."""
    return not (route.is_admin and route.route.endswith(("/change/", "/history/")))


def probe(route, world, *, allowed_override=None) -> tuple[int, list[str], list[str], list[tuple[str, str]]]:
    """Every role at every URL of the pattern: (attempts, leaks, 5xx, 2xx of the owner roles)."""
    attempts, leaks, errors, owner_ok = 0, [], [], []
    for url, _obj, allowed in _urls(route, world):
        allowed = allowed_override or allowed
        for role in ROLES:
            user, client = world["users"][role], world["clients"][role]
            permitted = allowed(user)
            for method in ("get",) if permitted or not _writes(route) else ("get", "post"):
                status, head = _call(client, method, url)
                attempts += 1
                if status >= 500:
                    errors.append(f"{method.upper()} {url} as {role}: {status} {head}")
                elif 200 <= status < 300 and not permitted:
                    leaks.append(f"{method.upper()} {url} as {role}: {status}")
                elif 200 <= status < 300 and role in ("department_user_b", "administrator"):
                    owner_ok.append((role, url))
    return attempts, leaks, errors, owner_ok


@pytest.mark.parametrize("route", id_routes(), ids=lambda route: route.name)
def test_no_role_reaches_another_departments_object(world, route):
    attempts, leaks, errors, owner_ok = probe(route, world)
    row = FIGURES.idor.setdefault(route.name, {"attempts": 0, "leaks": 0, "5xx": 0, "owner_2xx": 0})
    row["attempts"] += attempts
    row["leaks"] += len(leaks)
    row["5xx"] += len(errors)
    row["owner_2xx"] += len(owner_ok)
    FIGURES.idor_findings += [f"leak: {leak}" for leak in leaks] + [f"5xx: {error}" for error in errors]
    assert not leaks and not errors, "\n".join(leaks + errors)
    # Controls: the URL really reaches B's object for someone allowed, so a refusal above means something.
    owner = (
        "department_user_b"
        if route.name.startswith(("department_portal:", "notifications:", "appraisal_dept:"))
        else "administrator"
    )
    if route.name in CONTROLS or owner == "department_user_b":
        assert any(role == owner for role, _url in owner_ok), (
            f"{route.name}: {owner} never reached the object"
        )


def test_the_matrix_reports_a_leak_when_there_is_one(world):
    """The matrix's own check: told that nobody may read B's referral, it reports B's own user."""
    route = next(route for route in id_routes() if route.name == "department_portal:referral")
    _attempts, leaks, _errors, _owner_ok = probe(route, world, allowed_override=lambda user: False)
    assert leaks and all("as department_user_b" in leak for leak in leaks), leaks


def test_a_filer_sees_only_what_they_filed(world):
    """Liaison points and supervisors list what they filed on their portal (no ids): the liaison
    point's list must not show the supervisor's complaint, nor any other."""
    page = world["clients"]["liaison_point"].get("/liaison/")
    assert page.status_code == 200
    body = page.content.decode()
    assert world["filed_by_supervisor"].reference not in body
    assert world["complaint_b"].reference not in body
    supervisor_page = world["clients"]["supervisor"].get("/liaison/").content.decode()
    assert world["filed_by_supervisor"].reference in supervisor_page  # the control


def test_the_matrix_covers_every_kind_of_page():
    names = {route.name for route in id_routes()}
    for expected in (
        "admin:inspections_supervisioncode_enterprise",
        "admin:inspections_inspectionrating_change",
        "admin:casework_case_change",
        "admin:complaints_complaint_change",
        "admin:casework_case_action",
        "department_portal:referral",
        "notifications:report",
        "api:referral-detail",
        "complaints:attachment",
    ):
        assert expected in names, expected


def test_an_export_is_reached_by_its_owner_only(world):
    """The matrix's control for the exports (issue 18): the owner reaches the file, and the
    administrator, who reaches every other object, does not."""
    export = world["export_b"]
    url = reverse("admin:core_exportjob_download", args=[export.pk])
    assert world["clients"]["case_handler"].get(url).status_code == 200
    assert world["clients"]["administrator"].get(url).status_code == 404
    assert world["clients"]["office_head"].get(url).status_code == 404

"""The staff workplace: triage and workflow buttons call the services; the list stays cheap."""

from urllib.parse import urlencode

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework import services
from casework.models import Case, Referral
from casework.tests import factories
from complaints.models import PublicStatus
from complaints.tests import factories as complaint_factories
from core.exports import export_job_run
from core.models import ExportJob
from tests.fixtures import export_download

pytestmark = pytest.mark.django_db


def test_triage_buttons_accept_a_complaint_into_a_case(client):
    handler = factories.user("handler")
    client.force_login(handler)
    complaint = complaint_factories.submit().complaint
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert f"/admin/complaints/complaint/{complaint.pk}/triage/accept/" in page
    response = client.post(
        f"/admin/complaints/complaint/{complaint.pk}/triage/accept/",
        {"title": "重复检查", "priority": "urgent"},
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.title == "重复检查" and case.priority == "urgent"
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.ACCEPTED


def test_not_accepting_needs_a_reason_and_keeps_the_form(client):
    client.force_login(factories.user("handler"))
    complaint = complaint_factories.submit().complaint
    url = f"/admin/complaints/complaint/{complaint.pk}/triage/not_accept/"
    assert client.post(url, {"reason": ""}).status_code == 200
    assert client.post(url, {"reason": "不属于受理范围"}).status_code == 302
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.NOT_ACCEPTED


def test_the_refer_form_is_prefilled_without_identity(client):
    handler = factories.user("handler")
    client.force_login(handler)
    case = factories.accepted_case(
        actor=handler, description="张三(电话13912345678)反映:华兴机械制造有限公司被重复检查五次。"
    )
    page = client.get(f"/admin/casework/case/{case.pk}/act/refer/").content.decode()
    assert "被重复检查五次" in page
    assert "张三" not in page and "13912345678" not in page and "华兴机械制造有限公司" not in page


def test_refer_review_and_close_through_the_buttons(client):
    handler = factories.user("handler")
    client.force_login(handler)
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    url = f"/admin/casework/case/{case.pk}/act/review/"
    page = client.get(url).content.decode()
    assert "经核查,确有重复检查。" in page
    assert (
        client.post(url, {"decision": "return", "reason": ""}).status_code == 200
    )  # a return needs a reason
    assert (
        client.post(url, {"decision": "return", "reason": "未说明处理结果", "working_days": "5"}).status_code
        == 302
    )
    referral.refresh_from_db()
    assert referral.status == Referral.Status.RETURNED and referral.round == 2


def test_an_illegal_button_shows_an_error_instead_of_failing(client):
    handler = factories.user("handler")
    client.force_login(handler)
    case = factories.accepted_case(actor=handler)
    response = client.post(f"/admin/casework/case/{case.pk}/act/reopen/", {"reason": "x"})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()
    case.refresh_from_db()
    assert case.status == Case.Status.ACCEPTED


def test_the_leader_reads_but_cannot_act(client):
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    client.force_login(factories.user("leader"))
    assert client.get(f"/admin/casework/case/{case.pk}/change/").status_code == 200
    assert client.post(f"/admin/casework/case/{case.pk}/act/self_handle/", {}).status_code == 403


def test_the_case_changelist_costs_the_same_queries_for_10_and_100_rows(client):
    handler = factories.user("handler")
    client.force_login(handler)

    def queries(params=None) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/admin/casework/case/", params or {}).status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        factories.referred_case(actor=handler)
    ten = queries()
    ten_filtered = queries({"status__exact": "referred", "overdue": "no"})
    for _ in range(90):
        factories.referred_case(actor=handler)
    assert queries() == ten
    assert queries({"status__exact": "referred", "overdue": "no"}) == ten_filtered


def listed(case: Case, page: str) -> bool:
    """The case is a row of the list: its reference as an element's text. (The search box's help
    shows an example reference, AJ2026-000123, which a test's case may happen to have.)"""
    return f">{case.reference}<" in page


def test_my_cases_and_the_overdue_filter(client):
    handler = factories.user("handler")
    other = factories.user("handler")
    client.force_login(handler)
    mine, _referral = factories.referred_case(actor=handler)
    theirs, late = factories.referred_case(actor=handler)
    Case.objects.filter(pk=mine.pk).update(handler=handler)
    Case.objects.filter(pk=theirs.pk).update(handler=other)
    Referral.objects.filter(pk=late.pk).update(due_date="2020-01-02")
    page = client.get("/admin/casework/case/", {"mine": "1"}).content.decode()
    assert listed(mine, page) and not listed(theirs, page)
    page = client.get("/admin/casework/case/", {"overdue": "yes"}).content.decode()
    assert listed(theirs, page) and not listed(mine, page)


def test_search_by_case_and_complaint_reference(client):
    handler = factories.user("handler")
    client.force_login(handler)
    first, second = factories.accepted_case(actor=handler), factories.accepted_case(actor=handler)
    page = client.get("/admin/casework/case/", {"q": second.reference}).content.decode()
    assert listed(second, page) and not listed(first, page)
    complaint = first.complaint_links.get().complaint
    page = client.get("/admin/casework/case/", {"q": complaint.reference}).content.decode()
    assert listed(first, page) and not listed(second, page)


def test_visits_and_talks_added_in_the_admin_go_through_the_services(client):
    from casework.models import AccountabilityTalk, UnannouncedVisit

    handler = factories.user("handler")
    client.force_login(handler)
    department = complaint_factories.department()
    response = client.post(
        "/admin/casework/unannouncedvisit/add/",
        {
            "visited_on": "2026-11-18",
            "department": department.pk,
            "team": "第一暗访组",
            "findings": "窗口无人值守",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    assert UnannouncedVisit.objects.get().recorded_by == handler
    case = factories.accepted_case(actor=handler, department=department)
    response = client.post(
        "/admin/casework/accountabilitytalk/add/",
        {
            "department": department.pk,
            "heads": "王局长,局长",
            "held_on": "2026-11-20",
            "place": "谈话室",
            "record": "谈话记录",
            "commitments": "",
            "action_against_responsible": "",
            "cases": [case.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    talk = AccountabilityTalk.objects.get()
    assert talk.recorded_by == handler and list(talk.cases.all()) == [case]
    assert case.events.filter(action="talk").exists()


def test_a_visit_corrected_in_the_admin_goes_through_the_service_and_the_timeline(client):
    import datetime

    from casework.models import CaseEvent, UnannouncedVisit

    handler = factories.user("handler")
    client.force_login(handler)
    department = complaint_factories.department()
    visit = services.visit_record(
        visited_on=datetime.date(2026, 11, 18),
        department=department,
        team="第一暗访组",
        findings="窗口无人值守",
        actor=handler,
    )
    case = services.visit_open_case(
        visit=visit, category="conduct", description=visit.findings, actor=handler
    )
    other = factories.accepted_case(actor=handler, department=department)
    response = client.post(
        f"/admin/casework/unannouncedvisit/{visit.pk}/change/",
        {
            "visited_on": "2026-11-18",
            "department": department.pk,
            "team": "第二暗访组",
            "findings": "  窗口无人值守,群众排长队  ",
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    visit.refresh_from_db()
    assert visit.team == "第二暗访组" and visit.findings == "窗口无人值守,群众排长队"
    assert visit.recorded_by == handler
    event = case.events.get(action=CaseEvent.Action.NOTE)
    assert event.actor == handler and "2026-11-18" in event.note
    assert not other.events.filter(action=CaseEvent.Action.NOTE).exists()
    assert UnannouncedVisit.objects.count() == 1


def test_a_visit_correction_that_empties_the_findings_is_refused(client):
    import datetime

    from django.core.exceptions import ValidationError

    handler = factories.user("handler")
    visit = services.visit_record(
        visited_on=datetime.date(2026, 11, 18),
        department=complaint_factories.department(),
        team="第一暗访组",
        findings="窗口无人值守",
        actor=handler,
    )
    with pytest.raises(ValidationError):
        services.visit_update(visit=visit, changes={"findings": "   "}, actor=handler)
    visit.refresh_from_db()
    assert visit.findings == "窗口无人值守"


def test_a_talk_deleted_in_the_admin_leaves_a_trace_on_its_cases(client):
    import datetime

    from django.contrib.auth.models import User

    from casework.models import AccountabilityTalk, CaseEvent

    root = User.objects.create_superuser("root", "root@jw.example", "pw-12345678")
    client.force_login(root)
    case = factories.accepted_case(actor=root)
    talk = services.talk_record(
        department=case.department or complaint_factories.department(),
        heads="王局长",
        held_on=datetime.date(2026, 11, 20),
        place="谈话室",
        record="谈话记录",
        cases=[case],
        actor=root,
    )
    response = client.post(f"/admin/casework/accountabilitytalk/{talk.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not AccountabilityTalk.objects.exists()
    recorded, deleted = case.events.filter(action=CaseEvent.Action.TALK).order_by("at", "pk")
    assert deleted.actor == root and "2026-11-20" in deleted.note and deleted.note != recorded.note


def test_the_case_list_exports_with_its_filters_applied(client):
    import io

    from openpyxl import load_workbook

    handler = factories.user("handler")
    client.force_login(handler)
    for _ in range(3):
        factories.referred_case(actor=handler)
    factories.accepted_case(actor=handler)
    page = client.get("/admin/casework/case/", {"status__exact": "referred"}).content.decode()
    assert "/admin/casework/case/export/?status__exact=referred" in page

    def export(params) -> list[tuple]:
        # The button records a background export (core.exports); the job runs here, as a worker.
        query = f"?{urlencode(params)}" if params else ""
        assert client.post(f"/admin/casework/case/export/{query}").status_code == 302
        job = ExportJob.objects.filter(owner=handler).latest("created_at", "pk")
        with CaptureQueriesContext(connection) as ctx:
            assert export_job_run(job.pk) == "done"
        export.queries = len(ctx.captured_queries)
        response = client.get(reverse("admin:core_exportjob_download", args=[job.pk]))
        body = b"".join(response.streaming_content)
        return list(load_workbook(io.BytesIO(body), read_only=True).active.iter_rows(values_only=True))

    rows = export({"status__exact": "referred"})
    assert len(rows) == 1 + 3 and rows[0][0] == "编号"
    assert {r[2] for r in rows[1:]} == {"已转部门办理"}
    few = export.queries
    for _ in range(10):
        factories.referred_case(actor=handler)
    assert len(export({})) == 1 + 14
    assert export.queries == few


def test_a_complaint_that_reads_like_a_formula_is_exported_as_text(client):
    import io

    from openpyxl import load_workbook

    handler = factories.user("handler")
    client.force_login(handler)
    # A case is titled from the complaint's own words: what the public typed reaches the export.
    text = '=HYPERLINK("http://evil.example","点击查看")\x07 反复检查，影响生产。'
    factories.accepted_case(actor=handler, description=text)
    response = export_download(client, "/admin/casework/case/export/", user=handler)
    sheet = load_workbook(io.BytesIO(response.content)).active
    cell = sheet.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK(")
    assert "\x07" not in cell.value  # a control character would make Excel refuse the file


def test_correcting_a_talk_goes_through_the_service_and_marks_the_cases(client):
    from casework.models import AccountabilityTalk

    handler = factories.user("handler")
    client.force_login(handler)
    department = complaint_factories.department()
    first = factories.accepted_case(actor=handler, department=department)
    second = factories.accepted_case(actor=handler, department=department)
    talk = services.talk_record(
        department=department,
        heads="王局长,局长",
        held_on="2026-11-20",
        place="谈话室",
        record="谈话记录",
        cases=[first],
        actor=handler,
    )
    response = client.post(
        f"/admin/casework/accountabilitytalk/{talk.pk}/change/",
        {
            "department": department.pk,
            "heads": "王局长,局长",
            "held_on": "2026-11-20",
            "place": "谈话室",
            "record": "谈话记录(更正)",
            "commitments": "",
            "action_against_responsible": "",
            "cases": [second.pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:1500]
    talk = AccountabilityTalk.objects.get()
    assert talk.record == "谈话记录(更正)" and list(talk.cases.all()) == [second]
    assert (
        first.events.filter(action="talk").count() == 2 and second.events.filter(action="talk").count() == 1
    )


# --- The staff workplace of issue 13 ----------------------------------------------------------

IDENTIFYING = "张三(电话13912345678)反映:华兴机械制造有限公司被重复检查五次。"


def test_the_handler_picker_offers_people_who_can_handle_by_name_office_and_role(client):
    from django.contrib.auth.models import Group

    from casework.forms import AssignForm
    from liaison.models import Office

    handler = factories.user("handler")
    handler.first_name = "李明"
    handler.save()
    office = Office.objects.create(name="第三监察室")
    office.members.add(handler)
    head = factories.user("head")
    leader = factories.user("leader")
    department_user = factories.user("dept", department=complaint_factories.department())
    gone = factories.user("handler")
    gone.is_active = False
    gone.save()
    field = AssignForm().fields["handler"]
    offered = {user.pk: field.label_from_instance(user) for user in field.queryset}
    assert set(offered) == {handler.pk, head.pk}
    assert leader.pk not in offered and department_user.pk not in offered and gone.pk not in offered
    role = Group.objects.get(name="Case handler").name
    label = offered[handler.pk]
    assert label.startswith("李明 · 第三监察室 · ")
    from django.utils.translation import gettext

    assert label.endswith(gettext(role)) and gettext(role) != role  # the role, translated

    # The case page's picker and the list's handler filter say the same.
    client.force_login(handler)
    case = factories.accepted_case(actor=handler)
    page = client.get(f"/admin/casework/case/{case.pk}/act/assign/").content.decode()
    assert "李明 · 第三监察室" in page and leader.username not in page
    listing = client.get("/admin/casework/case/").content.decode()
    assert "李明 · 第三监察室" in listing


def test_a_leader_cannot_be_made_handler(client):
    handler = factories.user("handler")
    leader = factories.user("leader")
    client.force_login(handler)
    case = factories.accepted_case(actor=handler)
    response = client.post(f"/admin/casework/case/{case.pk}/act/assign/", {"handler": leader.pk})
    assert response.status_code == 200
    assert "errornote" in response.content.decode() or "field-error" in response.content.decode()
    case.refresh_from_db()
    assert case.handler_id is None


def _attach(complaint):
    from complaints.services import complaint_supplement_add
    from complaints.uploads import PreparedUpload

    content = b"%PDF-1.4 test"
    complaint_supplement_add(
        complaint=complaint,
        text="补充材料",
        uploads=[
            PreparedUpload(
                display_name="检查通知书.pdf",
                content_type="application/pdf",
                extension="pdf",
                size=len(content),
                sha256="0" * 64,
                content=content,
                storage_name="2026/12/notice.pdf",
            )
        ],
    )
    return complaint.attachments.get()


@pytest.mark.parametrize(
    ("role", "sees_identity"), [("handler", False), ("intake", True)], ids=["masked", "with-permission"]
)
def test_the_accept_form_shows_the_complaint_as_the_viewer_may_read_it_and_its_evidence(
    client, role, sees_identity
):
    complaint = complaint_factories.submit(description=IDENTIFYING).complaint
    attachment = _attach(complaint)
    client.force_login(factories.user(role))
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/triage/accept/").content.decode()
    assert "被重复检查五次" in page
    assert ("13912345678" in page) is sees_identity
    assert ("张三" in page) is sees_identity
    assert f'href="/complaints/attachments/{attachment.pk}/"' in page and "检查通知书.pdf" in page


@pytest.mark.parametrize("action", ["refer", "close", "assign"])
def test_case_action_forms_show_the_complaint_masked_without_the_permission(client, action):
    handler = factories.user("handler")
    case = factories.accepted_case(actor=factories.user("intake"), description=IDENTIFYING)
    if action == "close":
        services.case_self_handle(case=case, actor=handler)
    attachment = _attach(case.complaint_links.get().complaint)
    client.force_login(handler)
    page = client.get(f"/admin/casework/case/{case.pk}/act/{action}/").content.decode()
    assert "data-complaint-text" in page and "被重复检查五次" in page
    assert "13912345678" not in page and "张三" not in page
    assert f'href="/complaints/attachments/{attachment.pk}/"' in page


def test_the_review_form_shows_the_report_under_review_with_its_files(client):
    from casework.models import ReportAttachment

    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    report = referral.reports.get()
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("tests/report.pdf", ContentFile(b"%PDF-1.4 report"))
    file = ReportAttachment.objects.create(
        report=report,
        file=name,
        display_name="整改报告.pdf",
        content_type="application/pdf",
        size=15,
        sha256="0" * 64,
    )
    client.force_login(handler)
    page = client.get(f"/admin/casework/case/{case.pk}/act/review/").content.decode()
    assert "经核查,确有重复检查。" in page and "已约谈执法大队,合并检查事项。" in page
    link = f"/admin/casework/case/{case.pk}/report-file/{file.pk}/"
    assert link in page and "整改报告.pdf" in page
    response = client.get(link)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 report"
    other = factories.accepted_case(actor=handler)
    # Only a file of this case's reports, only for staff who read reports.
    assert client.get(f"/admin/casework/case/{other.pk}/report-file/{file.pk}/").status_code == 404
    assert client.get(f"/admin/casework/case/{case.pk}/report-file/{file.pk + 1}/").status_code == 404
    client.force_login(dept_user)
    assert client.get(link).status_code in (302, 403)
    default_storage.delete(name)


@pytest.mark.parametrize(("role", "sees_identity"), [("handler", False), ("intake", True)])
def test_the_timeline_names_actions_and_statuses_and_masks_notes(client, role, sees_identity):
    from casework.models import CaseEvent

    intake = factories.user("intake")
    case = factories.accepted_case(actor=intake, description=IDENTIFYING)
    services.case_self_handle(case=case, actor=intake, note="已电话联系张三(13912345678)核实情况")
    CaseEvent.objects.create(case=case, actor=intake, action=CaseEvent.Action.INTERNAL_NOTE, note="内部讨论")
    client.force_login(factories.user(role))
    client.get(f"/admin/casework/case/{case.pk}/change/")  # warm the content types' cache
    with CaptureQueriesContext(connection) as few:
        page = client.get(f"/admin/casework/case/{case.pk}/change/").content.decode()
    timeline = page[page.index('class="js-inline-admin-formset inline-group" id="events-group"') :]
    assert str(Case.Status.ACCEPTED.label) in timeline and str(Case.Status.HANDLING.label) in timeline
    assert ">accepted<" not in timeline and "→" in timeline
    assert "已电话联系" in timeline
    assert ("13912345678" in timeline) is sees_identity
    assert "data-internal-note" in timeline and "内部讨论" in timeline
    for _ in range(10):
        CaseEvent.objects.create(case=case, actor=intake, action=CaseEvent.Action.NOTE, note="跟进")
    with CaptureQueriesContext(connection) as many:
        client.get(f"/admin/casework/case/{case.pk}/change/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_every_casework_form_writes_plain_errors():
    import inspect

    from django import forms

    from casework import forms as casework_forms
    from core.forms import PlainErrorsMixin

    found = [
        klass
        for _name, klass in inspect.getmembers(casework_forms, inspect.isclass)
        if issubclass(klass, forms.BaseForm) and klass.__module__ == casework_forms.__name__
    ]
    assert len(found) >= 15
    assert [k.__name__ for k in found if not issubclass(k, PlainErrorsMixin)] == []


def test_the_case_page_has_no_inputs_of_its_own(client):
    handler = factories.user("handler")
    other = factories.user("handler")
    client.force_login(handler)
    case = factories.accepted_case(actor=handler)
    page = client.get(f"/admin/casework/case/{case.pk}/change/").content.decode()
    assert 'name="handler"' not in page and 'name="escalation_level"' not in page
    client.post(f"/admin/casework/case/{case.pk}/change/", {"handler": other.pk, "escalation_level": 3})
    case.refresh_from_db()
    assert case.handler_id is None and case.escalation_level == 0

"""Internal notes, messages with the complainant through the tracking code, and the notices at
each step: through the services, the admin's case buttons and what a department can read."""

import io
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image
from rest_framework.test import APIClient

from casework import services
from casework.models import Case, CaseEvent, Recommendation, Referral, Review
from casework.tests import factories
from complaints.models import Message, PublicStatus
from complaints.selectors import complaint_next_step
from complaints.services import complaint_message_reply, complaint_notice_queue, complaint_submit
from complaints.tests import factories as complaint_factories
from complaints.uploads import prepare_uploads
from core.models import OutboundEmail
from liaison.models import Office

pytestmark = pytest.mark.django_db
A = CaseEvent.Action

NOTE_CANARY = "内部备注金丝雀-NOTE-5521"
QUESTION_CANARY = "请问第二次检查是哪天-ASK-8812"
ANSWER_CANARY = "是十月十二日上午-ANSWER-9934"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def png(name: str = "收据.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def handler_with_email(**names) -> User:
    handler = factories.user("handler")
    handler.email = f"{handler.username}@centre.example"
    handler.save(update_fields=["email"])
    return handler


def rows(kind: str):
    return list(OutboundEmail.objects.filter(kind=kind).order_by("id"))


# --- Internal notes ---------------------------------------------------------------------------


def test_an_internal_note_goes_on_the_timeline_with_its_author():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    event = services.case_note_add(case=case, text=f"  {NOTE_CANARY}  ", actor=handler)
    assert (event.action, event.note, event.actor) == (A.INTERNAL_NOTE, NOTE_CANARY, handler)
    assert (
        not OutboundEmail.objects.exclude(kind="acknowledgement").exclude(kind="complaint_accepted").exists()
    )


def test_an_empty_note_is_refused_on_its_field_and_nothing_is_written():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    with pytest.raises(ValidationError) as refused:
        services.case_note_add(case=case, text="  ", actor=handler)
    assert "text" in refused.value.error_dict
    assert not case.events.filter(action=A.INTERNAL_NOTE).exists()


# --- Messages both ways -----------------------------------------------------------------------


def test_staff_ask_from_the_case_the_message_waits_on_the_tracking_page_and_the_timeline_says_so():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    complaint = case.complaint_links.get().complaint
    message = services.case_message_send(case=case, text=QUESTION_CANARY, actor=handler)
    assert (message.complaint, message.from_complainant, message.author) == (complaint, False, handler)
    event = case.events.get(action=A.MESSAGE_SENT)
    assert event.note == QUESTION_CANARY and event.actor == handler
    notice = OutboundEmail.objects.get(kind="complaint_message")
    assert notice.to == ["zhangsan@example.com"]
    assert QUESTION_CANARY not in notice.body_text + notice.body_html + notice.subject


def test_a_message_goes_only_to_a_complaint_of_the_case():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    other = complaint_factories.submit().complaint
    with pytest.raises(ValidationError):
        services.case_message_send(case=case, text="问题", actor=handler, complaint=other)
    assert not Message.objects.exists() and not case.events.filter(action=A.MESSAGE_SENT).exists()


def test_with_merged_complaints_staff_choose_whose_complainant_they_write_to():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    duplicate = complaint_factories.submit(department=case.department, anonymous=True).complaint
    services.complaint_merge(complaint=duplicate, case=case, actor=handler)
    services.case_message_send(case=case, text="请补充材料", actor=handler, complaint=duplicate)
    assert Message.objects.get().complaint == duplicate
    assert duplicate.reference in case.events.get(action=A.MESSAGE_SENT).note


def test_the_complainants_answer_with_a_file_is_on_the_timeline_and_the_handler_is_told():
    handler = handler_with_email()
    case = factories.accepted_case(actor=handler)
    services.case_assign(case=case, handler=handler, actor=handler)
    complaint = case.complaint_links.get().complaint
    services.case_message_send(case=case, text=QUESTION_CANARY, actor=handler)
    answer = complaint_message_reply(
        complaint=complaint, text=ANSWER_CANARY, uploads=prepare_uploads([png("收据.png")])
    )
    event = case.events.get(action=A.MESSAGE_RECEIVED)
    assert ANSWER_CANARY in event.note and "收据.png" in event.note and event.actor is None
    notice = OutboundEmail.objects.get(kind="staff_message_received")
    assert notice.key == f"staff-message_received:{answer.pk}"
    assert notice.to == [handler.email] and notice.language == "zh-hans"
    assert case.reference in notice.subject
    # The e-mail points to the case; the answer itself is read in the workplace (masked there).
    assert ANSWER_CANARY not in notice.body_text + notice.body_html
    assert reverse("admin:casework_case_change", args=[case.pk]) in notice.body_text


def test_an_answer_on_a_complaint_not_yet_in_a_case_writes_no_timeline():
    complaint = complaint_factories.submit().complaint
    complaint_message_reply(complaint=complaint, text="补充说明")
    assert not CaseEvent.objects.exists()
    assert not OutboundEmail.objects.filter(kind="staff_message_received").exists()


# --- Who staff notices go to ------------------------------------------------------------------


def test_without_a_handler_the_office_head_then_the_office_then_intake_staff_are_told():
    intake = factories.user("intake")
    intake.email = "intake@centre.example"
    intake.save(update_fields=["email"])
    handler = factories.user("handler")  # no e-mail address: cannot be told
    case = factories.accepted_case(actor=handler)
    assert services.case_notice_recipients(case) == ["intake@centre.example"]
    office = Office.objects.create(name="第一室", email="office1@centre.example")
    case.office = office
    assert services.case_notice_recipients(case) == ["office1@centre.example"]
    head = factories.user("head")
    head.email = "head@centre.example"
    head.save(update_fields=["email"])
    office.head = head
    assert services.case_notice_recipients(case) == ["head@centre.example"]
    case.handler = handler_with_email()
    assert services.case_notice_recipients(case) == [case.handler.email]


# --- Notices to the complainant ---------------------------------------------------------------


def english_complaint(**kwargs):
    return complaint_submit(
        data=complaint_factories.complaint_data(**kwargs),
        identity=complaint_factories.identity(),
        language="en",
    )


def assert_no_code(row: OutboundEmail, code: str) -> None:
    everything = row.subject + row.body_text + row.body_html
    assert code not in everything and code.replace("-", "") not in everything
    assert "/complaints/track/" in row.body_text


def test_acceptance_is_told_in_the_complainants_language_without_the_code():
    handler = factories.user("handler")
    submitted = english_complaint()
    services.complaint_accept(complaint=submitted.complaint, actor=handler)
    (row,) = rows("complaint_accepted")
    assert row.to == ["zhangsan@example.com"] and row.language == "en"
    assert row.key == f"complaint-accepted:{submitted.complaint.pk}"
    assert "has been accepted" in row.subject and submitted.complaint.reference in row.subject
    assert_no_code(row, submitted.tracking_code)
    assert "<html>" in row.body_html or "<!DOCTYPE html>" in row.body_html


def test_a_chinese_complaint_is_told_in_chinese():
    handler = factories.user("handler")
    submitted = complaint_submit(
        data=complaint_factories.complaint_data(), identity=complaint_factories.identity(), language="zh-hans"
    )
    with translation.override("en"):  # whatever language the member of staff works in
        services.complaint_accept(complaint=submitted.complaint, actor=handler)
    (row,) = rows("complaint_accepted")
    assert row.language == "zh-hans" and "已受理" in row.subject


def test_non_acceptance_is_told_with_the_reason():
    handler = factories.user("handler")
    submitted = english_complaint()
    services.complaint_not_accept(
        complaint=submitted.complaint, reason="不属于本中心受理范围。", actor=handler
    )
    (row,) = rows("complaint_not_accepted")
    assert "不属于本中心受理范围。" in row.body_text and "不属于本中心受理范围。" in row.body_html
    assert "has not been accepted" in row.subject
    assert_no_code(row, submitted.tracking_code)


def test_closure_invites_a_rating_and_a_second_closure_after_reopening_is_told_again():
    handler = factories.user("handler")
    submitted = english_complaint()
    case = services.complaint_accept(complaint=submitted.complaint, actor=handler)
    services.case_self_handle(case=case, actor=handler)
    services.case_close(
        case=case, result_summary="已退还材料费。", finding=Case.Finding.SUBSTANTIATED, actor=handler
    )
    (row,) = rows("complaint_concluded")
    assert "rate" in row.subject and "已退还材料费。" in row.body_text
    assert "rate it" in row.body_text
    assert_no_code(row, submitted.tracking_code)
    services.case_reopen(case=case, reason="投诉人不满意", actor=handler)
    services.case_close(case=case, result_summary="再次核查后已纠正。", actor=handler)
    assert [r.key for r in rows("complaint_concluded")] == [
        f"complaint-concluded:{submitted.complaint.pk}:1",
        f"complaint-concluded:{submitted.complaint.pk}:2",
    ]


def test_a_merged_duplicate_is_told_it_was_accepted():
    handler = factories.user("handler")
    case = factories.accepted_case(actor=handler)
    services.case_self_handle(case=case, actor=handler)
    duplicate = complaint_factories.submit(department=case.department).complaint
    services.complaint_merge(complaint=duplicate, case=case, actor=handler)
    assert OutboundEmail.objects.filter(key=f"complaint-accepted:{duplicate.pk}").exists()


def test_anonymous_and_phone_only_complainants_get_no_notices():
    handler = factories.user("handler")
    anonymous = complaint_factories.submit(anonymous=True).complaint
    phone_only = complaint_submit(
        data=complaint_factories.complaint_data(), identity=complaint_factories.identity(email="")
    ).complaint
    for complaint in (anonymous, phone_only):
        services.complaint_accept(complaint=complaint, actor=handler)
    assert not rows("complaint_accepted")


def test_a_notice_is_queued_once_however_often_it_is_asked_for():
    complaint = complaint_factories.submit().complaint
    first = complaint_notice_queue(complaint=complaint, notice="accepted", key=str(complaint.pk))
    again = complaint_notice_queue(complaint=complaint, notice="accepted", key=str(complaint.pk))
    assert first is not None and again is None
    assert len(rows("complaint_accepted")) == 1


# --- Notices to the handler -------------------------------------------------------------------


def assigned_referred_case(handler, department):
    case, referral = factories.referred_case(actor=handler, department=department)
    services.case_assign(case=case, handler=handler, actor=handler)
    return case, referral


def test_the_handler_is_told_when_a_report_arrives_with_the_review_date():
    handler = handler_with_email()
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = assigned_referred_case(handler, department)
    services.referral_acknowledge(referral=referral, actor=dept_user)
    report = services.referral_report(
        referral=referral,
        facts="属实",
        finding=Case.Finding.SUBSTANTIATED,
        measures="已整改",
        actor=dept_user,
    )
    (row,) = rows("staff_report_received")
    assert row.to == [handler.email] and row.key == f"staff-report_received:{report.pk}"
    assert str(department) in row.subject and case.reference in row.subject
    assert report.review_deadline.due_date.isoformat() in row.body_text


def test_the_handler_is_told_of_each_rectification_report():
    handler = handler_with_email()
    department = complaint_factories.department()
    case = factories.accepted_case(actor=handler, department=department)
    services.case_assign(case=case, handler=handler, actor=handler)
    recommendation = services.recommendation_issue(
        case=case, department=department, content="请整改重复检查问题。", actor=handler
    )
    services.recommendation_reply(recommendation=recommendation, reply="已合并检查事项。", actor=None)
    services.recommendation_close(
        recommendation=recommendation, accept=False, note="措施不具体", actor=handler
    )
    services.recommendation_reply(recommendation=recommendation, reply="已制定具体方案。", actor=None)
    notices = rows("staff_rectification_received")
    assert len(notices) == 2 and all(row.to == [handler.email] for row in notices)
    with translation.override(django_settings.LANGUAGE_CODE):  # staff notices: the site's language
        assert recommendation.get_kind_display() in notices[0].body_text
    assert Recommendation.objects.get().status == Recommendation.Status.REPLIED


def test_a_notification_reply_is_told_to_whoever_sent_the_run():
    sender = handler_with_email()
    department = complaint_factories.department()
    report = SimpleNamespace(
        pk=41, department=department, run=SimpleNamespace(pk=7, period="2026-11", sent_by=sender)
    )
    services.notification_reply_notice_queue(report=report)
    services.notification_reply_notice_queue(report=report)  # queued once
    (row,) = rows("staff_notification_reply")
    assert row.to == [sender.email] and row.key == "staff-notification_reply:41"
    assert str(department) in row.subject and "2026-11" in row.subject
    assert "/admin/reports/notificationrun/7/" in row.body_text


# --- The department: a return asks for a new report; messages and notes never reach it ---------


def test_a_returned_report_asks_the_department_for_a_new_report_not_an_acknowledgement():
    handler = factories.user("handler")
    department = complaint_factories.department(language="en")
    dept_user = factories.user("dept", department=department)
    case, referral = factories.reported_case(actor=handler, dept_user=dept_user, department=department)
    report = referral.reports.get()
    services.report_review(
        report=report, decision=Review.Decision.RETURN, reason="事实不清", working_days=5, actor=handler
    )
    referral.refresh_from_db()
    row = OutboundEmail.objects.get(key=f"referral-notice:{referral.pk}:2")
    assert "new report is due by" in row.subject and referral.due_date.isoformat() in row.subject
    for body in (row.body_text, row.body_html):
        assert "submit a new handling report" in body and referral.due_date.isoformat() in body
        assert "acknowledge it in the department portal" not in body
        assert "事实不清" in body
    first = OutboundEmail.objects.get(key=f"referral-notice:{referral.pk}:1")
    assert "acknowledge it in the department portal" in first.body_text


def test_a_department_never_sees_messages_or_internal_notes(client):
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, referral = factories.referred_case(actor=handler, department=department)
    complaint = case.complaint_links.get().complaint
    services.case_note_add(case=case, text=NOTE_CANARY, actor=handler)
    services.case_message_send(case=case, text=QUESTION_CANARY, actor=handler)
    complaint_message_reply(complaint=complaint, text=ANSWER_CANARY)
    services.referral_acknowledge(referral=referral, actor=dept_user)
    report = services.referral_report(
        referral=referral, facts="属实", finding=Case.Finding.PARTLY, measures="已整改", actor=dept_user
    )
    # A return writes a new e-mail to the department after the conversation happened.
    services.report_review(report=report, decision=Review.Decision.RETURN, reason="请补充证据", actor=handler)

    canaries = (NOTE_CANARY, QUESTION_CANARY, ANSWER_CANARY, "ASK-8812", "ANSWER-9934", "NOTE-5521")
    seen = []
    client.force_login(dept_user)
    for url in (
        reverse("department_portal:home"),
        reverse("department_portal:home") + "?status=all",
        reverse("department_portal:referral", args=[referral.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        seen.append((url, response.content.decode()))
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_login(dept_user)
    for url in (
        "/api/v1/referrals/",
        f"/api/v1/referrals/{referral.pk}/",
        "/api/v1/events/",
        f"/api/v1/cases/{case.pk}/",
        "/api/v1/complaints/",
    ):
        response = api.get(url)
        assert response.status_code in (200, 404), url
        seen.append((url, response.content.decode()))
    assert str(referral.pk) in dict(seen)[f"/api/v1/referrals/{referral.pk}/"]
    for row in OutboundEmail.objects.filter(to__contains=[department.email]):
        seen.append((row.key, row.subject + row.body_text + row.body_html))
    assert len([key for key, _text in seen if key.startswith("referral-notice:")]) == 2
    leaks = [(where, canary) for where, text in seen for canary in canaries if canary in text]
    assert not leaks
    # The checks can fail: the same canaries are on the staff side.
    timeline = " ".join(case.events.values_list("note", flat=True))
    assert all(canary in timeline for canary in (NOTE_CANARY, QUESTION_CANARY, ANSWER_CANARY))


# --- What the complainant is told comes next --------------------------------------------------


def test_the_next_step_follows_the_case_with_its_due_dates():
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case = factories.accepted_case(actor=handler, department=department)
    complaint = case.complaint_links.get().complaint
    complaint.refresh_from_db()
    assert complaint.status == PublicStatus.ACCEPTED
    assert complaint_next_step(complaint).expected_on is None
    referral = services.case_refer(
        case=case,
        department=department,
        kind=Referral.Kind.ASSIGN,
        released_text="企业反映重复检查问题。",
        working_days=7,
        actor=handler,
    )
    complaint.refresh_from_db()
    assert complaint_next_step(complaint).expected_on == referral.due_date
    services.referral_acknowledge(referral=referral, actor=dept_user)
    report = services.referral_report(
        referral=referral, facts="属实", finding=Case.Finding.PARTLY, measures="已整改", actor=dept_user
    )
    complaint.refresh_from_db()
    assert complaint_next_step(complaint).expected_on == report.review_deadline.due_date


# --- The admin's case buttons -----------------------------------------------------------------


def test_staff_add_a_note_and_message_the_complainant_from_the_case_page(client):
    head = factories.user("head")
    case = factories.accepted_case(actor=head)
    client.force_login(head)
    page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    note_url = reverse("admin:casework_case_action", args=[case.pk, "note"])
    message_url = reverse("admin:casework_case_action", args=[case.pk, "message"])
    assert note_url in page and message_url in page
    form = client.get(message_url).content.decode()
    assert 'type="hidden" name="complaint"' in form  # one complaint: nothing to choose
    assert client.post(note_url, {"text": NOTE_CANARY}).status_code == 302
    assert client.post(message_url, {"text": QUESTION_CANARY}).status_code == 302
    refused = client.post(message_url, {"text": ""})
    assert refused.status_code == 200 and (
        b"errorlist" in refused.content or b"field-error" in refused.content
    )
    assert list(
        case.events.filter(action__in=[A.INTERNAL_NOTE, A.MESSAGE_SENT]).values_list("action", "note")
    ) == [
        (A.INTERNAL_NOTE, NOTE_CANARY),
        (A.MESSAGE_SENT, QUESTION_CANARY),
    ]
    # The thread is on the case's timeline, and on the complaint's page with the answer.
    complaint = case.complaint_links.get().complaint
    complaint_message_reply(complaint=complaint, text=ANSWER_CANARY)
    case_page = client.get(reverse("admin:casework_case_change", args=[case.pk])).content.decode()
    assert QUESTION_CANARY in case_page and ANSWER_CANARY in case_page and NOTE_CANARY in case_page
    complaint_page = client.get(
        reverse("admin:complaints_complaint_change", args=[complaint.pk])
    ).content.decode()
    assert QUESTION_CANARY in complaint_page and ANSWER_CANARY in complaint_page


def test_a_department_user_cannot_use_the_case_buttons(client):
    handler = factories.user("handler")
    department = complaint_factories.department()
    dept_user = factories.user("dept", department=department)
    case, _referral = factories.referred_case(actor=handler, department=department)
    client.force_login(dept_user)
    response = client.post(reverse("admin:casework_case_action", args=[case.pk, "message"]), {"text": "x"})
    assert response.status_code in (302, 403, 404)
    assert not Message.objects.exists()


def test_the_thread_on_the_complaint_page_is_masked_for_staff_who_may_not_see_who_complained(client):
    head = factories.user("head")
    handler = factories.user("handler")
    case = factories.accepted_case(actor=head)
    complaint = case.complaint_links.get().complaint
    complaint_message_reply(complaint=complaint, text="我的电话是13912345678,请联系张三。")
    url = reverse("admin:complaints_complaint_change", args=[complaint.pk])
    client.force_login(handler)
    masked = client.get(url).content.decode()
    assert "请联系" in masked and "13912345678" not in masked
    client.force_login(head)
    assert "13912345678" in client.get(url).content.decode()

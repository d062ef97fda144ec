"""Messages through the tracking code, the tracking page (what was filed, the next step, the
thread) and the receipt page, through the services and Django's test client."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from complaints.models import Attachment, Message, PublicStatus
from complaints.selectors import complaint_next_step
from complaints.services import (
    complaint_message_reply,
    complaint_message_send,
    complaint_status_publish,
)
from complaints.tests import factories
from complaints.tests.test_uploads import make_png
from complaints.views import receipt_keep
from core.calendar import add_working_days
from core.models import OutboundEmail

pytestmark = pytest.mark.django_db

CANARY = "请补充第二次检查的具体日期-金丝雀7731"


def track(client, code: str) -> None:
    response = client.post("/complaints/track/", {"code": code})
    assert response.status_code == 302


def status_page(client) -> str:
    response = client.get("/complaints/track/status/")
    assert response.status_code == 200
    return response.content.decode()


# --- Services -----------------------------------------------------------------------------------


def test_a_staff_message_waits_unread_and_notifies_the_complainant_without_the_code():
    submitted = factories.submit()
    message = complaint_message_send(complaint=submitted.complaint, text=CANARY, actor=None)
    assert message.from_complainant is False and message.read_at is None
    row = OutboundEmail.objects.get(key=f"complaint-message:{message.pk}")
    assert row.to == ["zhangsan@example.com"] and row.kind == "complaint_message"
    everything = row.subject + row.body_text + row.body_html
    # Nothing of the case: not the code, not the message, not even the reference.
    assert submitted.tracking_code not in everything
    assert submitted.tracking_code.replace("-", "") not in everything
    assert CANARY not in everything and submitted.complaint.reference not in everything
    assert "/complaints/track/" in row.body_text and "/complaints/track/" in row.body_html


def test_an_anonymous_complainant_gets_the_message_but_no_e_mail():
    submitted = factories.submit(anonymous=True)
    complaint_message_send(complaint=submitted.complaint, text=CANARY, actor=None)
    assert submitted.complaint.messages.count() == 1
    assert not OutboundEmail.objects.filter(kind="complaint_message").exists()


def test_an_empty_message_is_refused_on_its_field():
    submitted = factories.submit()
    with pytest.raises(Exception) as refused:
        complaint_message_send(complaint=submitted.complaint, text="   ", actor=None)
    assert "text" in refused.value.error_dict
    with pytest.raises(Exception) as refused:
        complaint_message_reply(complaint=submitted.complaint, text=" ")
    assert "text" in refused.value.error_dict
    assert not Message.objects.exists()


def test_the_notice_follows_the_language_the_complaint_was_filed_in():
    from complaints.services import complaint_submit

    english = complaint_submit(
        data=factories.complaint_data(), identity=factories.identity(), language="en"
    ).complaint
    chinese = complaint_submit(
        data=factories.complaint_data(), identity=factories.identity(), language="zh-hans"
    ).complaint
    complaint_message_send(complaint=english, text="Question?", actor=None)
    complaint_message_send(complaint=chinese, text="问题?", actor=None)
    rows = {row.related: row for row in OutboundEmail.objects.filter(kind="complaint_message")}
    assert rows[english.reference].language == "en"
    assert rows[english.reference].subject == "A new message from the complaint centre"
    assert rows[chinese.reference].language == "zh-hans"
    assert "投诉中心" in rows[chinese.reference].subject


# --- The tracking page --------------------------------------------------------------------------


def test_the_tracking_page_shows_what_was_filed_with_file_names_and_no_download_link(client, settings):
    settings.INTAKE_POW_DIFFICULTY = 4
    from complaints.tests.test_views import file_and_track

    png = SimpleUploadedFile("现场照片.png", make_png(), content_type="image/png")
    code, complaint = file_and_track(client, attachments=[png])
    track(client, code)
    page = status_page(client)
    submission = page[page.index("data-submission") :]
    assert "办理营业执照变更时被要求缴纳没有任何依据的材料费三百元" in submission
    assert "退还费用,纠正乱收费行为" in submission
    assert "市政务服务大厅" in submission and "2026-10-12" in submission
    assert "乱收费" in submission
    assert "现场照片.png" in submission
    assert "/complaints/attachments/" not in page


def test_the_next_step_of_a_new_complaint_is_the_acceptance_decision_in_working_days(client):
    submitted = factories.submit()
    complaint = submitted.complaint
    step = complaint_next_step(complaint)
    expected = add_working_days(timezone.localdate(complaint.received_at), 5).due_date
    assert step.expected_on == expected
    track(client, submitted.tracking_code)
    page = client.get("/complaints/track/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    next_step = page[page.index("data-next-step") : page.index("</section>", page.index("data-next-step"))]
    assert f'datetime="{expected.isoformat()}"' in next_step
    assert "within 5 working days" in next_step


def test_a_not_accepted_complaint_has_no_next_step():
    complaint = factories.submit().complaint
    complaint_status_publish(complaint=complaint, status=PublicStatus.NOT_ACCEPTED, text="不属于受理范围")
    assert complaint_next_step(complaint) is None


def test_the_thread_shows_on_the_tracking_page_and_the_centres_messages_are_marked_read(client):
    submitted = factories.submit(anonymous=True)
    complaint_message_send(complaint=submitted.complaint, text=CANARY, actor=None)
    track(client, submitted.tracking_code)
    page = status_page(client)
    thread = page[page.index("data-messages") :]
    assert CANARY in thread
    assert "badge-new" in thread  # new when first shown ...
    assert Message.objects.get().read_at is not None  # ... and read from then on
    assert "badge-new" not in status_page(client)


def test_the_complainant_answers_with_a_file_through_the_upload_checks(client):
    submitted = factories.submit(anonymous=True)
    complaint_message_send(complaint=submitted.complaint, text="请提供收据。", actor=None)
    track(client, submitted.tracking_code)
    png = SimpleUploadedFile(
        "收据.png", make_png(comment="拍摄人 张三 13912345678"), content_type="image/png"
    )
    response = client.post("/complaints/track/status/reply/", {"text": "收据见附件。", "attachments": [png]})
    assert response.status_code == 302 and response["Location"].endswith("#messages")
    answer = Message.objects.get(from_complainant=True)
    assert answer.text == "收据见附件。"
    attachment = Attachment.objects.get(message=answer)
    assert attachment.complaint_id == submitted.complaint.pk and attachment.display_name == "收据.png"
    # The upload checks ran: the picture was re-encoded without the comment that named somebody.
    stored = attachment.file.open("rb").read()
    assert b"13912345678" not in stored
    assert "收据.png" in status_page(client)


def test_a_file_the_upload_checks_refuse_is_refused_next_to_the_field_and_nothing_is_sent(client):
    submitted = factories.submit(anonymous=True)
    complaint_message_send(complaint=submitted.complaint, text="请提供收据。", actor=None)
    track(client, submitted.tracking_code)
    fake = SimpleUploadedFile("收据.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = client.post("/complaints/track/status/reply/", {"text": "见附件", "attachments": [fake]})
    assert response.status_code == 200
    page = response.content.decode()
    form = page[page.index("data-reply-form") : page.index("</form>", page.index("data-reply-form"))]
    box = form[form.index('id="field-attachments"') :]
    assert "field-error" in box and "收据.pdf" in box
    assert not Message.objects.filter(from_complainant=True).exists()


def test_an_empty_answer_is_refused_next_to_the_text(client):
    submitted = factories.submit(anonymous=True)
    complaint_message_send(complaint=submitted.complaint, text="请提供收据。", actor=None)
    track(client, submitted.tracking_code)
    page = client.post(
        "/complaints/track/status/reply/", {"text": "  "}, HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    form = page[page.index("data-reply-form") : page.index("</form>", page.index("data-reply-form"))]
    text_box = form[form.index('id="field-text"') : form.index('id="field-attachments"')]
    assert "Write your answer or attach a file." in text_box
    assert not Message.objects.filter(from_complainant=True).exists()


def test_the_reply_needs_a_looked_up_code(client):
    response = client.post("/complaints/track/status/reply/", {"text": "你好"})
    assert response["Location"] == "/complaints/track/"
    assert not Message.objects.exists()


def test_answers_over_the_rate_get_429(client, settings):
    settings.INTAKE_SUPPLEMENT_RATE = "3/h"
    submitted = factories.submit(anonymous=True)
    track(client, submitted.tracking_code)
    statuses = [
        client.post(
            "/complaints/track/status/reply/", {"text": f"第{n}条"}, REMOTE_ADDR="10.7.7.7"
        ).status_code
        for n in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    assert Message.objects.filter(from_complainant=True).count() == 3


def test_the_tracking_page_costs_the_same_queries_with_many_messages_and_files(client):
    submitted = factories.submit(anonymous=True)
    complaint = submitted.complaint
    track(client, submitted.tracking_code)

    def add(n):
        for i in range(n):
            complaint_message_send(complaint=complaint, text=f"问题{i}", actor=None)
            message = Message.objects.create(complaint=complaint, from_complainant=True, text=f"回答{i}")
            Attachment.objects.create(
                complaint=complaint,
                message=message,
                file="x",
                display_name=f"f{i}.png",
                content_type="image/png",
                size=1,
                sha256="0" * 64,
            )
            Attachment.objects.create(
                complaint=complaint,
                file="y",
                display_name=f"filed{i}.png",
                content_type="image/png",
                size=1,
                sha256="0" * 64,
            )

    add(1)
    status_page(client)  # the session and its first read out of the way
    add(1)  # unread messages both times: each page marks them read
    with CaptureQueriesContext(connection) as few:
        status_page(client)
    add(10)
    with CaptureQueriesContext(connection) as many:
        page = status_page(client)
    assert "f9.png" in page and "filed9.png" in page
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


# --- The receipt page ---------------------------------------------------------------------------


def test_the_receipt_shows_the_code_in_unbroken_groups_with_copy_and_download(client, settings):
    settings.INTAKE_POW_DIFFICULTY = 4
    from complaints.tests.test_views import solved

    department = factories.department()
    response = client.post("/complaints/new/", {**factories.form_post(department=department.pk), **solved()})
    page = client.get(response["Location"]).content.decode()
    code = re.search(r'data-code="([A-Z2-9-]+)"', page).group(1)
    groups = re.findall(r'<span class="code-group">([A-Z2-9]+)</span>', page)
    assert "-".join(groups) == code and len(groups) == 4
    assert "data-code-copy" in page and "data-code-download" in page
    assert "js/tracking-code.js" in page
    assert "<script>" not in page and "onclick" not in page
    assert "data-on-behalf" not in page


def test_a_receipt_filed_on_behalf_of_an_enterprise_says_to_hand_the_code_over(client):
    submitted = factories.submit()
    from django.http import HttpResponse

    response = receipt_keep(HttpResponse(), submitted, emailed=False, on_behalf=True)
    client.cookies.update(response.cookies)
    page = client.get("/complaints/submitted/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "data-on-behalf" in page and "Hand this tracking code to the enterprise" in page
    assert "The enterprise's complaint has been received" in page and "Your complaint" not in page
    assert submitted.tracking_code in page


def test_the_tracking_page_of_a_concluded_complaint_invites_a_rating(client):
    submitted = factories.submit()
    complaint = submitted.complaint
    complaint_status_publish(complaint=complaint, status=PublicStatus.CONCLUDED, text="已退还费用。")
    track(client, submitted.tracking_code)
    page = client.get("/complaints/track/status/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    next_step = page[page.index("data-next-step") : page.index("</section>", page.index("data-next-step"))]
    assert "satisfied with the outcome" in next_step
    assert 'value="rate"' in page


def test_the_tracking_forms_name_the_field_in_their_errors(client):
    page = client.post("/complaints/track/", {"code": ""}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Please fill in “Tracking code”." in page

"""The conversation with a complainant in Chromium: staff ask a question from the case, the
anonymous complainant answers on the tracking page with the tracking code (and a file), staff
read the answer on the case; and the receipt and the tracking page on a 390-pixel phone.

With ENVOPT_SHOTS=<directory> the pages are also saved as screenshots (b-*.png)."""

import io
import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from PIL import Image

from casework import services
from casework.models import CaseEvent, Referral
from casework.tests import factories
from complaints.models import Complaint, Message
from complaints.services import ComplaintData, complaint_submit
from liaison.models import Department

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("ENVOPT_SHOTS", "")
QUESTION = "请问第二次检查的具体日期是哪天?检查人员是否出示了执法证件?"
ANSWER = "第二次检查是10月12日上午,两名检查人员没有出示证件。收据照片见附件。"

# Groups of the tracking code that are each on one line: a group broken across two lines has
# two client rectangles (or is taller than a line).
GROUPS_UNBROKEN = """() => [...document.querySelectorAll('[data-tracking-code] .code-group')].map(g => {
  const rects = g.getClientRects();
  return rects.length === 1 && rects[0].height < 2 * parseFloat(getComputedStyle(g).fontSize) * 1.2;
})"""


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"b-{name}.png"), full_page=True)


def staff_context(browser, live_server, user):
    client = Client()
    client.force_login(user)  # tests/fixtures.py: with a verified second factor
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), "orange").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }


def track(page, code: str) -> None:
    page.goto("/complaints/track/")
    page.fill("input[name=code]", code)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/complaints/track/status/")


def test_staff_ask_the_anonymous_complainant_answers_on_the_tracking_page_and_staff_read_it(
    browser, live_server, transactional_db, private_storage
):
    head = factories.user("head")
    department = Department.objects.create(
        name="市市场监督管理局", short_name="市场监管局", email="s@dept.example"
    )
    submitted = complaint_submit(
        data=ComplaintData(
            complainant_type="enterprise",
            category="inspections",
            description="三个月内被同一部门重复检查五次,每次都要求停产配合,严重影响生产经营。",
            desired_outcome="合并检查,停止重复检查",
            occurred_place="开发区工业园",
            department=department,
        ),
        identity=None,
    )
    case = services.complaint_accept(complaint=submitted.complaint, actor=head)

    # Staff ask from the case page.
    staff = staff_context(browser, live_server, head)
    page = staff.new_page()
    page.set_default_timeout(15000)
    page.goto(reverse("admin:casework_case_change", args=[case.pk]))
    page.locator("a.workflow-button[href$='/act/message/']").click()
    page.wait_for_url("**/act/message/")
    page.fill("textarea[name=text]", QUESTION)
    page.locator("form.action-form input[type=submit]").click()
    page.wait_for_url(f"**/admin/casework/case/{case.pk}/change/")
    assert Message.objects.get().text == QUESTION

    # The anonymous complainant, in another browser, with nothing but the code.
    public = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    complainant = public.new_page()
    complainant.set_default_timeout(15000)
    track(complainant, submitted.tracking_code)
    thread = complainant.locator("[data-messages]")
    assert QUESTION in thread.inner_text()
    assert thread.locator(".badge-new").count() == 1
    assert "三个月内被同一部门重复检查五次" in complainant.locator("[data-submission]").inner_text()
    assert complainant.locator("[data-next-step]").is_visible()
    shot(complainant, "tracking-thread-1280")
    complainant.fill("[data-reply-form] textarea[name=text]", ANSWER)
    complainant.set_input_files(
        "[data-reply-form] input[name=attachments]",
        files=[{"name": "收据.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    complainant.locator("[data-reply-form] button[type=submit]").click()
    complainant.wait_for_url("**/complaints/track/status/#messages")
    assert ANSWER in complainant.locator("[data-messages]").inner_text()
    assert "收据.png" in complainant.locator("[data-messages]").inner_text()
    assert complainant.locator("[data-messages] .badge-new").count() == 0  # read by now
    shot(complainant, "tracking-answered-1280")
    public.close()

    # Staff read the answer on the case.
    page.goto(reverse("admin:casework_case_change", args=[case.pk]))
    timeline = page.locator("body").inner_text()
    assert QUESTION in timeline and ANSWER in timeline and "收据.png" in timeline
    assert case.events.filter(action=CaseEvent.Action.MESSAGE_RECEIVED).count() == 1
    shot(page, "case-thread-1280")
    staff.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_receipt_and_the_tracking_page_fit_the_screen_and_the_code_never_breaks_in_a_group(
    browser, live_server, transactional_db, settings, width
):
    settings.INTAKE_POW_DIFFICULTY = 10  # real JavaScript work, kept short
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": width, "height": 844},
        locale="zh-CN",
        accept_downloads=True,
    )
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(30000)
    page.goto("/complaints/new/")
    page.locator("input[name=identity_mode][value=anonymous]").check()
    page.fill("#department-search", "税务")
    page.select_option("select[name=category]", "permits")
    page.fill("input[name=occurred_place]", "市政务服务中心二楼综合窗口")
    page.fill(
        "textarea[name=description]",
        "办理退税手续拖了半年还没有结果,窗口人员让我们反复补交同样的材料,"
        "一份材料前后交了四次,每次都说上次的找不到了。",
    )
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_url("**/complaints/submitted/")

    box = page.locator("[data-tracking-code]")
    code = box.get_attribute("data-code")
    assert box.inner_text().strip() == code and len(code) == 23
    assert all(page.evaluate(GROUPS_UNBROKEN)), "a group of the tracking code breaks across lines"
    assert page.locator("[data-code-copy]").is_visible() and page.locator("[data-code-download]").is_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"the receipt scrolls sideways ({width_used}px at {width}px)"
    shot(page, f"receipt-{width}")
    # Squeezed until it must wrap (a narrow phone, a large font): it wraps between groups only.
    page.evaluate("document.querySelector('[data-tracking-code]').style.width = '190px'")
    tops = page.evaluate(
        "[...document.querySelectorAll('[data-tracking-code] .code-group')]"
        ".map(g => g.getBoundingClientRect().top)"
    )
    assert len(set(tops)) > 1, "the squeezed code did not wrap at all: the check below would prove nothing"
    assert all(page.evaluate(GROUPS_UNBROKEN)), "a squeezed group of the tracking code breaks inside"
    page.evaluate("document.querySelector('[data-tracking-code]').style.width = ''")

    page.locator("[data-code-copy]").click()
    page.wait_for_function("document.querySelector('[data-code-status]').textContent.length > 0")
    assert page.evaluate("navigator.clipboard.readText()") == code
    with page.expect_download() as download_info:
        page.locator("[data-code-download]").click()
    download = download_info.value
    assert download.suggested_filename.endswith("tracking-code.txt")
    assert code in Path(download.path()).read_text(encoding="utf-8")

    # The tracking page, with a question waiting, on the same screen.
    complaint = Complaint.objects.get()
    head = factories.user("head")
    case = services.complaint_accept(complaint=complaint, actor=head)
    referral = services.case_refer(
        case=case,
        department=complaint.department,
        kind=Referral.Kind.ASSIGN,
        released_text="企业反映退税办理拖延、反复补交材料的问题。",
        working_days=10,
        actor=head,
    )
    services.case_message_send(
        case=case, text="请提供第一次提交材料的回执编号,以及窗口工作人员的工号(如有)。", actor=head
    )
    track(page, code)
    assert page.locator("[data-messages]").is_visible()
    assert page.locator("[data-next-step] [data-expected-on]").inner_text() == referral.due_date.isoformat()
    assert page.locator("[data-submission]").is_visible()
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width, f"the tracking page scrolls sideways ({width_used}px at {width}px)"
    shot(page, f"tracking-{width}")
    context.close()

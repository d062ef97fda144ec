"""The public path in Chromium: file a complaint, get the code, track it — in both languages."""

import pytest

from complaints.models import ComplainantIdentity, Complaint
from liaison.models import Department

pytestmark = [pytest.mark.browser]


@pytest.fixture
def units(transactional_db, settings):
    settings.INTAKE_POW_DIFFICULTY = 10  # real JavaScript work, kept short
    Department.objects.create(name="市市场监督管理局", short_name="市场监管局", email="scjg@dept.example")
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")


def fill_form(page, *, anonymous: bool, english: bool):
    page.goto("/complaints/new/")
    if english:
        page.select_option("#language-select", "en")
        page.locator(".lang-switch button").click()
        page.wait_for_url("**/complaints/new/")
    page.locator("input[name=identity_mode][value=%s]" % ("anonymous" if anonymous else "real")).check()
    if not anonymous:
        page.fill("input[name=enterprise_name]", "华兴机械制造有限公司")
        page.fill("input[name=credit_code]", "91110000802100433B")
        page.fill("input[name=contact_name]", "张三")
        page.fill("input[name=phone]", "13912345678")
    page.fill("#department-search", "税务")
    assert page.locator("select[name=department] option:checked").inner_text() == "市税务局"
    page.select_option("select[name=category]", "permits")
    page.fill("input[name=occurred_place]", "市政务服务中心")
    page.fill(
        "textarea[name=description]", "办理退税手续拖了半年还没有结果,窗口人员让我们反复补交同样的材料。"
    )
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_url("**/complaints/submitted/", timeout=30000)
    return page.locator("[data-tracking-code]").inner_text().strip()


def track(page, code: str):
    page.goto("/complaints/track/")
    page.fill("input[name=code]", code.lower())
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/complaints/track/status/")


@pytest.mark.parametrize("anonymous", [False, True], ids=["real-name", "anonymous"])
def test_file_and_track_in_chinese(page, units, anonymous):
    code = fill_form(page, anonymous=anonymous, english=False)
    assert len(code) == 23
    assert "您的投诉已收到" in page.locator("h1").inner_text()
    track(page, code)
    assert page.locator("[data-status]").inner_text() == "已收到"
    assert "市税务局" in page.content()
    complaint = Complaint.objects.get()
    assert complaint.is_anonymous is anonymous
    assert ComplainantIdentity.objects.filter(complaint=complaint).exists() is not anonymous


@pytest.mark.parametrize("anonymous", [False, True], ids=["real-name", "anonymous"])
def test_file_and_track_in_english(page, units, anonymous):
    code = fill_form(page, anonymous=anonymous, english=True)
    assert page.locator("h1").inner_text() == "Your complaint has been received"
    track(page, code)
    assert page.locator("[data-status]").inner_text() == "Received"


def test_a_mistake_keeps_everything_typed(page, units):
    page.goto("/complaints/new/")
    page.fill("input[name=contact_name]", "张三")
    page.fill("input[name=phone]", "12345")
    page.fill("input[name=enterprise_name]", "华兴机械制造有限公司")
    page.fill("textarea[name=description]", "太短")
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_selector(".field-error")
    assert page.input_value("input[name=contact_name]") == "张三"
    assert page.input_value("textarea[name=description]") == "太短"
    assert page.locator("#field-phone .field-error").is_visible()
    assert page.locator("#field-description .field-error").is_visible()
    assert Complaint.objects.count() == 0

"""The department portal in Chromium: a department asks for more time on a referral (延期申请),
a case handler approves it in the admin (logged in with the second factor), and the
department's list then shows the new due date; the list fits a phone without sideways scrolling.

Screenshots go to ENVOPT_SHOTS (when set) for people to look at."""

import datetime as dt
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from casework import services
from casework.models import ExtensionRequest, Referral
from casework.tests import factories
from complaints.tests import factories as complaint_factories
from core.calendar import add_working_days
from core.twofactor_testing import totp_code_now, totp_device_for_tests

pytestmark = [pytest.mark.browser]

PASSWORD = "pw-12345678"  # casework.tests.factories.user
SHOTS = os.environ.get("ENVOPT_SHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"c-{name}.png"), full_page=True)


def log_in(page, username: str, next_url: str) -> None:
    """The password; staff then type the code their authenticator app shows."""
    user = User.objects.get(username=username)
    device = totp_device_for_tests(user) if user.is_staff else None  # enrolled before the login
    page.goto(f"/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    if user.is_staff:
        page.wait_for_url("**/accounts/two-factor/**")
        page.fill("input[name=code]", totp_code_now(device))
        page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


@pytest.fixture
def portal(transactional_db):
    """A department with four open referrals: overdue, due soon, on time, and one being handled."""
    handler = factories.user("handler", username="handler-ext")
    unit = complaint_factories.department(name="市市场监督管理局", short_name="市场监管局")
    dept_user = factories.user("dept", department=unit, username="dept-ext")
    texts = [
        "企业反映：同一执法大队三个月内到厂检查五次，每次都要求停产配合，严重影响正常生产经营。",
        "某餐饮企业反映办理食品经营许可证变更时,窗口人员要求反复补交同样的材料,历时两个月仍未办结。",
        "企业反映年度抽检时被要求购买指定检测机构的服务,费用明显高于市场价格,且不开具正规发票。",
        "企业反映投诉举报热线转办的问题超过一个月无人回复,也无法查询办理进度。",
    ]
    referrals = []
    for text in texts:
        case = factories.accepted_case(actor=handler, department=unit)
        services.case_assign(case=case, handler=handler, actor=handler)
        referral = services.case_refer(
            case=case,
            department=unit,
            kind=Referral.Kind.ASSIGN,
            released_text=text,
            working_days=10,
            actor=handler,
        )
        referrals.append(referral)
    today = timezone.localdate()
    Referral.objects.filter(pk=referrals[1].pk).update(due_date=today - dt.timedelta(days=3))
    Referral.objects.filter(pk=referrals[2].pk).update(due_date=add_working_days(today, 1).due_date)
    services.referral_acknowledge(referral=referrals[0], actor=dept_user)
    referrals[0].refresh_from_db()
    return {"handler": handler, "dept_user": dept_user, "referral": referrals[0], "unit": unit}


def test_an_extension_asked_in_the_portal_and_approved_in_the_admin_moves_the_due_date(
    browser, live_server, portal
):
    referral = portal["referral"]
    old_due = referral.due_date
    proposed = add_working_days(old_due, 5).due_date

    department = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = department.new_page()
    page.set_default_timeout(15000)
    log_in(page, "dept-ext", "/dept/")
    row = page.locator(f"tr[data-referral='{referral.pk}']")
    assert old_due.isoformat() in row.inner_text()
    assert page.locator("tr[data-due-state=overdue]").count() == 1
    assert page.locator("tr[data-due-state=soon]").count() == 1
    shot(page, "dept-list-1280")

    row.locator("a").first.click()
    page.wait_for_url(f"**/dept/referrals/{referral.pk}/")
    form = page.locator("form[data-extension-form]")
    assert form.is_visible()
    # The server refuses a date that is no extension, next to the field, keeping the reason.
    form.locator("input[name=proposed_date]").fill(old_due.isoformat())
    form.locator("textarea[name=reason]").fill("需调取近三年的检查台账并约谈执法人员，工作量较大。")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#field-proposed_date .field-error").is_visible()
    assert "近三年的检查台账" in page.locator("textarea[name=reason]").input_value()
    assert not ExtensionRequest.objects.exists()

    page.locator("form[data-extension-form] input[name=proposed_date]").fill(proposed.isoformat())
    shot(page, "dept-referral-extension-form")
    page.locator("form[data-extension-form] button[type=submit]").click()
    page.wait_for_url(f"**/dept/referrals/{referral.pk}/")
    assert page.locator("[data-extension-status=pending]").is_visible()
    extension = ExtensionRequest.objects.get()
    assert extension.proposed_date == proposed and extension.status == ExtensionRequest.Status.PENDING
    shot(page, "dept-referral-extension-pending")
    page.goto("/dept/")
    assert page.locator(f"tr[data-referral='{referral.pk}'] [data-extension-pending]").is_visible()
    shot(page, "dept-list-pending-1280")

    staff = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    admin = staff.new_page()
    admin.set_default_timeout(15000)
    log_in(admin, "handler-ext", "/admin/casework/extensionrequest/")
    admin_row = admin.locator("#result_list tbody tr").first
    assert referral.case.reference in admin_row.inner_text()
    assert admin_row.locator("[data-extension-status=pending]").is_visible()
    shot(admin, "admin-extension-list")
    admin_row.locator("a[data-decide]").click()
    admin.wait_for_url(f"**/admin/casework/extensionrequest/{extension.pk}/decide/")
    assert admin.locator("input[name=granted_date]").input_value() == proposed.isoformat()
    assert admin.locator("a[data-case-link]").first.is_visible()  # no dead end: the case is a click away
    admin.locator("input[name=decision][value=approve]").check()
    admin.locator("textarea[name=decision_note]").fill("同意延期，请按新期限报送办理报告。")
    shot(admin, "admin-extension-decide")
    admin.locator("form[data-decision-form] input[type=submit]").click()
    admin.wait_for_url(f"**/admin/casework/extensionrequest/{extension.pk}/change/")
    assert admin.locator("ul.messagelist li.success").is_visible()
    shot(admin, "admin-extension-decided")

    referral.refresh_from_db()
    assert referral.due_date == proposed
    page.goto("/dept/")
    row = page.locator(f"tr[data-referral='{referral.pk}']")
    assert proposed.isoformat() in row.inner_text() and old_due.isoformat() not in row.inner_text()
    assert row.locator("[data-extension-pending]").count() == 0
    shot(page, "dept-list-after-approval-1280")
    page.goto(f"/dept/referrals/{referral.pk}/")
    assert page.locator("[data-extension-status=approved]").is_visible()
    assert page.locator(f"[data-due-date='{proposed.isoformat()}']").is_visible()
    staff.close()
    department.close()


def test_the_department_list_fits_a_phone(browser, live_server, portal):
    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    log_in(page, "dept-ext", "/dept/")
    assert page.locator("tr[data-referral]").count() == 4
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the department list scrolls sideways on a phone ({width}px wide)"
    # Every row is a card within the screen, its summary and due date readable.
    for index in range(4):
        box = page.locator("tr[data-referral]").nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.locator("tr[data-due-state=overdue] [data-due-flag=overdue]").is_visible()
    shot(page, "dept-list-390")
    page.locator(f"tr[data-referral='{portal['referral'].pk}'] a").first.click()
    page.wait_for_url("**/dept/referrals/**")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the referral page scrolls sideways on a phone ({width}px wide)"
    shot(page, "dept-referral-390")
    context.close()

"""A red approval signal in Chromium: the department answers one from its portal (纠错); the
commission's staff open the signal list, see the red badges, turn the other red signal into a
case and land on the case.

Screenshots go to ENVOPT_SHOTS (when set) for people to look at."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from approvals.models import ApprovalSignal
from approvals.services.signals import signals_evaluate
from approvals.tests import factories as f
from casework.models import Case
from casework.tests import factories as casework_factories
from complaints.models import Category, Channel
from core.twofactor_testing import totp_code_now, totp_device_for_tests

pytestmark = [pytest.mark.browser]

PASSWORD = "pw-12345678"
SHOTS = os.environ.get("ENVOPT_SHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"a-{name}.png"), full_page=True)


def log_in(page, username: str, next_url: str) -> None:
    user = User.objects.get(username=username)
    device = totp_device_for_tests(user) if user.is_staff else None
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
def scene(transactional_db):
    department = f.department(name="市市场监督管理局")
    item = f.item(department, name="食品经营许可")
    late = f.record(item, accepted_at=f.at(2026, 9, 30), external_id="SQ2026-0930-001")
    fee = f.record(
        item, accepted_at=f.at(2026, 10, 12), fees=[("GB-01", "80.00")], external_id="SQ2026-1012-002"
    )
    signals_evaluate([late.pk, fee.pk], now=f.at(2026, 10, 19))
    casework_factories.user("dept", department=department, username="dept-scj")
    f.grant(
        casework_factories.user("handler", username="handler-approvals"),
        "approvals.decide_signal",
        "approvals.view_approvalsignal",
    )
    return {
        "department": department,
        "overdue": late.signals.get(kind=ApprovalSignal.Kind.OVERDUE),
        "fee": fee.signals.get(kind=ApprovalSignal.Kind.FEE_ABOVE),
    }


def test_a_red_signal_is_answered_and_another_turned_into_a_case(browser, live_server, scene):
    # The department answers the fee signal from its portal.
    portal = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    page = portal.new_page()
    page.set_default_timeout(15000)
    log_in(page, "dept-scj", "/dept/approvals/signals/")
    rows = page.locator("[data-signals] tbody tr")
    assert rows.count() == 2
    shot(page, "01-department-signals")
    page.locator(f"[data-signal='{scene['fee'].pk}'] a").first.click()
    page.wait_for_url(f"**/dept/approvals/signals/{scene['fee'].pk}/")
    assert "GB-01" in page.locator("[data-explanation]").inner_text()
    page.locator("[data-correction-form] button[type=submit]").click()  # empty: the error by the field
    assert page.locator("[data-correction-form] textarea[name=correction]").count() == 1
    assert page.locator("[data-correction-form] .field-correction .field-error").count() == 1
    page.fill("textarea[name=correction]", "已退还多收的70元，并对窗口人员进行了批评教育。")
    page.locator("[data-correction-form] button[type=submit]").click()
    page.wait_for_selector("[data-correction]")
    shot(page, "02-department-answered")
    portal.close()
    scene["fee"].refresh_from_db()
    assert scene["fee"].status == ApprovalSignal.Status.ANSWERED

    # Staff: the signal list with its colour badges; the overdue one becomes a case.
    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15000)
    log_in(page, "handler-approvals", "/admin/approvals/approvalsignal/")
    assert page.locator("[data-colour=red]").count() == 2
    shot(page, "03-admin-signals")
    row = page.locator("#result_list tbody tr", has=page.locator(f"input[value='{scene['overdue'].pk}']"))
    row.locator("[data-action=case]").click()
    page.wait_for_url(f"**/{scene['overdue'].pk}/open-case/")
    assert "SQ2026-0930-001" in page.locator("textarea[name=description]").input_value()
    shot(page, "04-admin-open-case")
    page.locator("[data-signal-action] input[type=submit]").click()
    page.wait_for_url("**/admin/casework/case/*/change/")
    shot(page, "05-case-opened")
    case = Case.objects.get()
    assert f"/admin/casework/case/{case.pk}/change/" in page.url
    assert case.channel == Channel.APPROVAL and case.department == scene["department"]
    assert case.complaint_links.get().complaint.category == Category.PERMITS
    scene["overdue"].refresh_from_db()
    assert scene["overdue"].case == case and scene["overdue"].status == ApprovalSignal.Status.CASE
    desk.close()

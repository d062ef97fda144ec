"""Filing before entry in Chromium: a department inspector, on a phone (390 px), finds the
enterprise, ticks items from the list, gives two officers and files; the result page explains the
cross flag the rules raised. Commission staff then decide the flag in the admin (a joint
inspection ordered) and open a case from a flag of the same inspection.

Screenshots go to ENVOPT_SHOTS (when set) for people to look at."""

import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User

from casework.models import Case
from complaints.models import Channel
from core.models import OutboundEmail
from core.twofactor_testing import totp_code_now, totp_device_for_tests
from inspections.models import Inspection, InspectionFlag
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = [pytest.mark.browser]

PASSWORD = "pw-12345678"
SHOTS = os.environ.get("ENVOPT_SHOTS", "")
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"f-{name}.png"), full_page=True)


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


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide at {PHONE['width']}px"


@pytest.fixture
def scene(transactional_db):
    market, market_unit, market_items = f.department_with_list(
        items=("SC-001", "SC-002"), name="市市场监督管理局", short_name="市场监管局"
    )
    fire, fire_unit, fire_items = f.department_with_list(
        items=("XF-001",), name="市消防救援支队", short_name="消防"
    )
    enterprise = f.enterprise(name="星河精密制造有限公司", industry="制造业", risk_class="B")
    for n in range(3):
        f.enterprise(name=f"星河贸易{n}有限公司")
    f.inspector(market, username="inspector-market")
    # The fire brigade filed first, for a day within the window.
    earlier = inspection_file(
        **f.file_kwargs(
            fire, fire_unit, fire_items, enterprise, f.inspector(fire), planned_on=f.days_ahead(12)
        )
    )
    f.staff("Office head", username="head-insp")
    return {"market": market, "enterprise": enterprise, "earlier": earlier, "items": market_items}


def test_an_inspector_files_on_a_phone_and_staff_decide_the_flag(browser, live_server, scene):
    phone = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    page = phone.new_page()
    page.set_default_timeout(15000)
    log_in(page, "inspector-market", "/dept/inspections/")
    shot(page, "01-list-empty")
    page.locator("[data-file-inspection]").click()
    page.wait_for_url("**/dept/inspections/new/")

    # Find the enterprise by name: a few results, one click fills the credit code.
    page.fill("input[name=q]", "星河")
    page.locator("[data-enterprise-search] button[type=submit]").click()
    assert page.locator("[data-choose]").count() == 4
    page.locator(f"[data-choose='{scene['enterprise'].credit_code}']").click()
    assert page.input_value("input[name=enterprise]") == scene["enterprise"].credit_code

    # A first try with one officer only: the error is on the officers, what was typed stays.
    page.locator("select[name=unit]").select_option(index=1)
    page.check(f"input[name=items][value='{scene['items'][0].pk}']")
    page.fill("input[name=planned_on]", (f.days_ahead(20)).isoformat())
    page.fill("input[name=officer_name_0]", "王执法")
    page.fill("input[name=officer_certificate_0]", "SC-JZ-0101")
    no_sideways_scroll(page)
    shot(page, "02-form")
    page.locator("[data-submit-filing]").click()
    page.wait_for_selector("#id_officers_error")
    assert "至少2名" in page.locator("#id_officers_error").inner_text()
    assert page.input_value("input[name=officer_name_0]") == "王执法"
    shot(page, "03-form-error")

    # The static script adds a fifth officer row (no inline script: CSP).
    page.locator("[data-add-officer]").click()
    assert page.locator("[data-officer-row]").count() == 5
    page.fill("input[name=officer_name_1]", "李执法")
    page.fill("input[name=officer_certificate_1]", "SC-JZ-0102")
    page.locator("[data-submit-filing]").click()
    page.wait_for_url("**/dept/inspections/*/")
    flag = page.locator("[data-flag=cross]")
    assert flag.count() == 1
    explanation = flag.locator("[data-explanation]").inner_text()
    assert "市消防救援支队" in explanation and "8" in explanation and "30" in explanation
    assert page.locator("[data-joint]").count() == 1
    no_sideways_scroll(page)
    shot(page, "04-result-cross-flag")
    phone.close()

    inspection = Inspection.objects.get(department=scene["market"])
    assert inspection.status == Inspection.Status.FILED and inspection.joint_with == scene["earlier"]
    assert OutboundEmail.objects.filter(kind="inspection_joint_proposed").count() == 2

    # Staff: the open flags in the admin; order the joint inspection with a note.
    desk = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    page = desk.new_page()
    page.set_default_timeout(15000)
    log_in(page, "head-insp", "/admin/inspections/inspectionflag/")
    cross = InspectionFlag.objects.get(inspection=inspection, kind="cross")
    row = page.locator(f"tr:has(a[href$='/{cross.pk}/joint/'])")
    assert row.count() == 1
    shot(page, "05-admin-open-flags")
    row.locator("[data-decide=joint]").click()
    page.wait_for_url(f"**/{cross.pk}/joint/")
    assert "市消防救援支队" in page.locator("[data-explanation]").inner_text()
    page.locator("[data-flag-action] input[type=submit]").click()  # no note: refused
    page.wait_for_selector("#id_note_error")
    page.fill("textarea[name=note]", "请与消防支队商定同日联合检查。")
    shot(page, "06-admin-joint-form")
    page.locator("[data-flag-action] input[type=submit]").click()
    page.wait_for_url(f"**/inspectionflag/{cross.pk}/change/")
    cross.refresh_from_db()
    inspection.refresh_from_db()
    assert cross.status == InspectionFlag.Status.JOINT and inspection.status == Inspection.Status.JOINT
    told = sorted(a for e in OutboundEmail.objects.filter(kind="inspection_decided") for a in e.to)
    assert told == sorted([scene["market"].email, scene["earlier"].department.email])

    # A flag of the same inspection opens a case (decided flags are listed under "All").
    page.goto("/admin/inspections/inspectionflag/?state=all")
    shot(page, "07-admin-all-flags")
    page.goto(f"/admin/inspections/inspectionflag/{cross.pk}/change/")
    page.locator("[data-decide=case]").click()
    page.wait_for_url(f"**/{cross.pk}/open-case/")
    page.fill("textarea[name=description]", "市场监管局与消防支队八天内先后检查同一企业，属交叉检查。")
    shot(page, "08-admin-open-case")
    page.locator("[data-flag-action] input[type=submit]").click()
    page.wait_for_url("**/admin/casework/case/*/change/")
    shot(page, "09-case-opened")
    case = Case.objects.get()
    assert case.channel == Channel.INSPECTION and case.department == scene["market"]
    cross.refresh_from_db()
    assert cross.case == case and cross.status == InspectionFlag.Status.CASE
    desk.close()

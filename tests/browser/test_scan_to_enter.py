"""Scan-to-enter (扫码入企) in Chromium at phone width (390 px): the inspector scans the QR code
on the enterprise's wall (its scan secret), sees a login prompt and nothing of the enterprise,
logs in from it, registers the entry against the filed inspection and records the outcome; the
enterprise opens its private link and rates an inspection anonymously on its own page; staff
issue both and print them. Screenshots go to ENVOPT_SHOTS (when set), prefixed g-."""

import os
from pathlib import Path

import pytest

from inspections.models import Inspection, InspectionRating
from inspections.services.codes import code_issue
from inspections.tests import factories as f

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("ENVOPT_SHOTS", "")
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"g-{name}.png"), full_page=True)


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px phone"


@pytest.fixture
def site(transactional_db):
    department = f.department(name="市应急管理局", short_name="应急局", email="yj@dept.example")
    enterprise = f.enterprise(name="临江精细化工有限公司", address="临江工业园纬三路8号")
    inspection = f.filed(department=department, enterprise=enterprise, items=2)
    inspector = f.inspector(department, username="inspector-yj")
    return {
        "enterprise": enterprise,
        "inspection": inspection,
        "inspector": inspector,
        "codes": code_issue(enterprise=enterprise),
    }


def test_an_inspector_scans_logs_in_enters_and_records_the_outcome(phone, site):
    page = phone
    page.goto(f"/e/{site['codes'].scan}/")
    page.wait_for_url("**/e/")
    assert site["codes"].scan not in page.url
    # Before the login, nothing of the enterprise: a photographed code tells no one whose it is.
    prompt = page.inner_text("main")
    assert "临江精细化工有限公司" not in prompt and site["enterprise"].credit_code not in prompt
    assert page.locator("[data-rating-form], [data-inspection]").count() == 0
    no_sideways_scroll(page)
    shot(page, "0-scan-login-prompt")
    page.locator("[data-inspector-login]").click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "inspector-yj")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/e/")
    assert "临江精细化工有限公司" in page.inner_text("main")  # the inspector checks the code is theirs
    candidate = page.locator(f"[data-candidate='{site['inspection'].pk}']")
    assert candidate.is_checked()  # the only filing today is chosen already
    no_sideways_scroll(page)
    shot(page, "1-inspector-entry")
    page.locator("[data-register-entry]").click()
    page.wait_for_url("**/e/#outcome")
    outcome = page.locator(f"[data-outcome='{site['inspection'].pk}']")
    assert outcome.is_visible()
    site["inspection"].refresh_from_db()
    assert site["inspection"].status == Inspection.Status.ENTERED
    # Problems found without saying which: refused next to the field.
    outcome.locator("input[value=problems]").check()
    outcome.locator("[data-record-outcome]").click()
    page.wait_for_selector(".field-note.has-error")
    no_sideways_scroll(page)
    shot(page, "2-outcome-error")
    outcome = page.locator(f"[data-outcome='{site['inspection'].pk}']")
    outcome.locator("input[value=problems]").check()
    outcome.locator("textarea").fill("二号仓库消防通道堵塞，责令三日内整改。")
    outcome.locator("[data-record-outcome]").click()
    page.wait_for_selector(".messages")
    shot(page, "3-outcome-recorded")
    site["inspection"].refresh_from_db()
    assert site["inspection"].status == Inspection.Status.CONCLUDED
    assert site["inspection"].outcome == Inspection.Outcome.PROBLEMS


def test_the_enterprise_rates_an_inspection_anonymously(phone, site):
    inspection = site["inspection"]
    Inspection.objects.filter(pk=inspection.pk).update(
        status=Inspection.Status.CONCLUDED, outcome=Inspection.Outcome.NO_PROBLEM
    )
    page = phone
    page.goto(f"/e/own/{site['codes'].private}/")
    page.wait_for_url("**/e/own/")
    assert site["codes"].private not in page.url
    card = page.locator(f"[data-inspection='{inspection.pk}']")
    assert "市应急管理局" in card.inner_text()
    no_sideways_scroll(page)
    shot(page, "4-enterprise-page")
    card.locator("input[type=radio][value='2']").check()
    card.locator("textarea").fill("检查要求停产半天配合，影响了交货。")
    card.locator("[data-rate]").click()
    page.wait_for_selector("[data-rated]")
    no_sideways_scroll(page)
    shot(page, "5-enterprise-rated")
    rating = InspectionRating.objects.get(inspection=inspection)
    assert rating.score == 2
    assert "检查要求停产半天配合" not in page.content()  # not shown back, even to this browser
    # "This inspection disturbed us": the complaint form, prefilled with 乱检查 and the department.
    page.locator(f"[data-inspection='{inspection.pk}'] [data-disturbed]").click()
    page.wait_for_url("**/e/own/disturbed/**")
    assert page.locator("select[name=category]").input_value() == "inspections"
    assert page.locator("select[name=department]").input_value() == str(inspection.department_id)
    no_sideways_scroll(page)
    shot(page, "6-disturbed-complaint-form")


def test_staff_issue_and_print_the_supervision_code(page, browser, live_server, transactional_db):
    """The office head issues an enterprise's code in the staff workplace: the QR code for the
    wall and the letter with the private link are shown once; the QR code's link asks for an
    inspector's login, the private link opens the enterprise's page; a new QR code leaves the
    private link as it was."""
    from casework.tests import factories as casework_factories
    from core.twofactor_testing import totp_code_now, totp_device_for_tests

    enterprise = f.enterprise(name="临江精细化工有限公司")
    head = casework_factories.user("head", username="head-codes")
    device = totp_device_for_tests(head)
    url = f"/admin/inspections/supervisioncode/enterprise/{enterprise.pk}/"
    page.goto(f"/accounts/login/?next={url}")
    page.fill("input[name=username]", "head-codes")
    page.fill("input[name=password]", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/**")
    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url(f"**{url}")
    page.locator("[data-code-issue]").click()
    page.wait_for_selector("[data-code-qr]")
    for qr in ("[data-code-qr]", "[data-private-qr]"):
        assert page.locator(qr).evaluate("img => img.naturalWidth") > 0  # the SVG drew
    scan_link = page.locator("[data-scan-link]").inner_text()
    private_link = page.locator("[data-private-link]").inner_text()
    shot(page, "7-staff-code")
    # Printed, the QR code for the wall and the letter are two sheets.
    page.emulate_media(media="print")
    assert page.locator("[data-code-letter]").evaluate("el => getComputedStyle(el).breakBefore") == "page"
    assert page.locator(".code-rotate").evaluate("el => getComputedStyle(el).display") == "none"
    page.emulate_media(media="screen")
    page.goto(url)
    assert page.locator("[data-scan-link], [data-private-link]").count() == 0
    assert page.locator("[data-code-rotate]").count() == 2
    # The links carry SITE_URL + the path; the test server has its own address.
    scan_path = "/e/" + scan_link.rstrip("/").rsplit("/", 1)[1] + "/"
    private_path = "/e/own/" + private_link.rstrip("/").rsplit("/", 1)[1] + "/"
    visitor_context = browser.new_context(base_url=live_server.url, locale="zh-CN", viewport=PHONE)
    visitor = visitor_context.new_page()
    visitor.goto(scan_path)
    visitor.wait_for_url("**/e/")
    assert "临江精细化工有限公司" not in visitor.inner_text("main")
    assert visitor.locator("[data-inspector-login]").count() == 1
    visitor.goto(private_path)
    visitor.wait_for_url("**/e/own/")
    assert "临江精细化工有限公司" in visitor.inner_text("main")
    # A new QR code: the old one stops, the enterprise's link stays.
    page.locator("[data-code-rotate='scan']").click()
    page.wait_for_selector("[data-scan-link]")
    assert page.locator("[data-private-link]").count() == 0
    visitor.goto(scan_path)
    assert visitor.locator("[data-unknown-code]").count() == 1
    visitor.goto(private_path)
    visitor.wait_for_url("**/e/own/")
    assert "临江精细化工有限公司" in visitor.inner_text("main")
    visitor_context.close()

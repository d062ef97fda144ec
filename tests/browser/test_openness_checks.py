"""An openness check in Chromium: an inspector records a serious failure with a photo in the staff
workplace (a case opens), the unit answers with its rectification on a phone (390 px) from its
portal, and staff return it with a reason, which the unit then reads.

Screenshots go to ENVOPT_SHOTS (when set) for people to look at."""

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from appraisal.models import Criterion, FindingEvidence, OpennessFinding
from appraisal.tests import openness_factories as f
from casework.tests import factories as casework_factories
from complaints.models import Channel, Complaint
from tests.browser.test_approval_signals import log_in

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("ENVOPT_SHOTS", "")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"o-{name}.png"), full_page=True)


@pytest.fixture
def scene(transactional_db, tmp_path):
    unit = f.department(name="市住房和城乡建设局")
    campaign = f.campaign(unit)
    casework_factories.user("handler", username="handler-openness")
    casework_factories.user("dept", department=unit, username="dept-zjj")
    photo = tmp_path / "公开栏.png"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (180, 20, 20)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    return {"unit": unit, "campaign": campaign, "photo": photo}


def test_a_serious_finding_is_rectified_by_the_unit_on_a_phone(browser, live_server, scene):
    campaign, unit = scene["campaign"], scene["unit"]
    item = f.item(campaign, Criterion.PROCEDURE)

    desk = browser.new_context(base_url=live_server.url, locale="zh-CN")
    page = desk.new_page()
    page.set_default_timeout(15000)
    record_url = f"/admin/appraisal/opennessfinding/record/?campaign={campaign.pk}"
    log_in(page, "handler-openness", record_url)
    page.select_option("select[name=department]", str(unit.pk))
    page.select_option("select[name=item]", str(item.pk))
    page.check("input[name=result][value=serious]")
    page.locator("[data-openness-action] input[type=submit]").click()  # no note: the error by the field
    assert page.locator(".field-note .field-error").count() == 1
    assert page.locator("input[name=result][value=serious]").is_checked()  # what was chosen is kept
    page.fill("textarea[name=note]", "依申请公开3件超期两个月未答复，且无登记记录。")
    page.set_input_files("input[name=evidence]", str(scene["photo"]))
    shot(page, "01-record")
    page.locator("[data-openness-action] input[type=submit]").click()
    page.wait_for_url("**/admin/appraisal/opennessfinding/*/change/")
    finding = OpennessFinding.objects.get()
    assert finding.result == OpennessFinding.Result.SERIOUS and finding.case_id
    assert Complaint.objects.get(case_link__case=finding.case).channel == Channel.OPENNESS_CHECK
    assert FindingEvidence.objects.filter(finding=finding).count() == 1
    assert page.locator("[data-evidence]").count() == 1
    shot(page, "02-recorded")

    phone = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": 390, "height": 844}
    )
    mobile = phone.new_page()
    mobile.set_default_timeout(15000)
    log_in(mobile, "dept-zjj", "/dept/openness/")
    assert mobile.locator("[data-findings] tbody tr").count() == 1
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shot(mobile, "03-unit-list")
    mobile.locator(f"[data-finding='{finding.pk}'] a").first.click()
    mobile.wait_for_url(f"**/dept/openness/{finding.pk}/")
    assert "超期两个月" in mobile.locator("[data-note]").inner_text()
    assert mobile.locator("[data-evidence]").count() == 0  # the evidence stays with the commission
    mobile.fill("textarea[name=rectification]", "已对3件申请补充答复，建立依申请公开登记台账。")
    mobile.locator("[data-rectification-form] button[type=submit]").click()
    mobile.wait_for_selector("[data-rectification]")
    shot(mobile, "04-unit-answered")

    page.goto(f"/admin/appraisal/opennessfinding/{finding.pk}/change/")
    page.locator("[data-action=return]").first.click()
    page.fill("textarea[name=reason]", "请附登记台账的照片。")
    page.locator("[data-openness-action] input[type=submit]").click()
    page.wait_for_url(f"**/admin/appraisal/opennessfinding/{finding.pk}/change/")
    finding.refresh_from_db()
    assert finding.status == OpennessFinding.Status.RETURNED and finding.deadline.round == 2

    mobile.reload()
    assert "请附登记台账的照片。" in mobile.locator("[data-return-reason]").inner_text()
    assert mobile.locator("[data-rectification-form]").count() == 1
    shot(mobile, "05-unit-returned")
    phone.close()
    desk.close()

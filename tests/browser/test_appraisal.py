"""Democratic appraisal (民主评议) in Chromium: an invited enterprise answers on a phone (390 px)
from the link in its e-mail, the link then stops working; a department reads its results once
the campaign is closed, free text only where five answers exist. Screenshots go to
ENVOPT_SHOTS (when set), prefixed h-."""

import os
from pathlib import Path

import pytest

from appraisal.campaigns.services import answer_submit
from appraisal.models import Answer, Campaign, Invitation
from appraisal.tests import campaign_factories as f
from complaints.tests import factories as complaint_factories
from inspections.tests import factories as people

pytestmark = [pytest.mark.browser]

SHOTS = os.environ.get("ENVOPT_SHOTS", "")
PHONE = {"width": 390, "height": 844}


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"h-{name}.png"), full_page=True)


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


def test_an_invited_enterprise_answers_on_a_phone_and_the_link_then_stops_working(phone, transactional_db):
    tax = complaint_factories.department(name="市税务局", short_name="税务局")
    market = complaint_factories.department(name="市市场监督管理局", short_name="市场监管局")
    campaign = f.campaign(departments=[tax, market])
    token = f.invite(campaign, ["boss@linjiang.example"])["boss@linjiang.example"]
    page = phone
    page.goto(f"/appraisal/i/{token}/")
    page.wait_for_url("**/appraisal/answer/")
    assert token not in page.url
    assert page.locator("[data-anonymous-note]").is_visible()
    no_sideways_scroll(page)
    shot(page, "answer-empty")
    page.locator("[data-submit]").click()  # nothing chosen: refused, with a message
    assert page.locator(".errors[role=alert]").first.is_visible()
    section = page.locator(f'[data-department="{tax.pk}"]')
    section.locator(".appraisal-score", has_text="4").first.click()
    section.locator("textarea").fill("办税窗口效率明显提高")
    shot(page, "answer-filled")
    page.locator("[data-submit]").click()
    page.wait_for_url("**/appraisal/thanks/")
    assert page.locator("[data-thanks]").is_visible()
    no_sideways_scroll(page)
    answer = Answer.objects.get()
    assert answer.department == tax and answer.items.get(score__isnull=False).score == 4
    assert Invitation.objects.get().used
    page.goto(f"/appraisal/i/{token}/")
    assert page.locator("[data-unknown-link]").is_visible()


def test_a_department_reads_its_results_on_a_phone(phone, transactional_db):
    from tests.browser.test_department_portal import log_in

    unit = complaint_factories.department(name="市住房和城乡建设局", short_name="住建局")
    campaign = f.campaign(departments=[unit], public=True)
    q = f.questions(campaign)
    for score, text in [
        (5, "审批提速"),
        (4, "服务热情"),
        (4, "流程清楚"),
        (3, "一般"),
        (2, "请联系我13912345678"),
    ]:
        answer_submit(campaign=campaign, answers={unit.pk: {q["Attitude"].pk: score, q["Comments"].pk: text}})
    Campaign.objects.filter(pk=campaign.pk).update(status=Campaign.Status.CLOSED)
    people.dept_user(unit, username="dept-zj")
    page = phone
    log_in(page, "dept-zj", "/dept/appraisal/")
    page.locator(f'[data-campaign="{campaign.pk}"] a').click()
    page.wait_for_url(f"**/dept/appraisal/{campaign.pk}/")
    section = page.locator(f'[data-department="{unit.pk}"]')
    assert section.locator("[data-answers]").get_attribute("data-answers") == "5"
    assert section.locator(f'[data-question="{q["Attitude"].pk}"] [data-mean]').inner_text() == "3.60"
    texts = section.locator("[data-free-texts]").inner_text()
    assert "审批提速" in texts and "13912345678" not in texts
    no_sideways_scroll(page)
    shot(page, "department-results")

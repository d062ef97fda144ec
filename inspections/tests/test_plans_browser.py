"""A department files its annual inspection plan on a phone (390 px): the list, a refused empty
form with the error next to the field, then the filed plan. Screenshots go to ENVOPT_SHOTS."""

import os
from pathlib import Path

import pytest

from casework.tests import factories
from inspections.models import InspectionPlan
from inspections.services.plans import plans_open_year
from liaison.models import Department

pytestmark = [pytest.mark.browser]

PASSWORD = "pw-12345678"  # casework.tests.factories.user
SHOTS = os.environ.get("ENVOPT_SHOTS", "")
WIDTH = 390


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"e-{name}.png"), full_page=True)


def fits(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= WIDTH, f"the page scrolls sideways on a phone ({width}px wide)"


def test_a_department_files_its_plan_on_a_phone(browser, live_server, transactional_db):
    year = 2027
    market = Department.objects.create(
        name="市市场监督管理局", short_name="市场监管局", email="sc@dept.example"
    )
    other = Department.objects.create(name="市生态环境局", email="hb@dept.example")
    factories.user("dept", department=market, username="dept-plan")
    plans = {plan.department_id: plan for plan in plans_open_year(year)}

    context = browser.new_context(
        base_url=live_server.url, locale="zh-CN", viewport={"width": WIDTH, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto("/accounts/login/?next=/dept/inspections/plans/")
    page.fill("input[name=username]", "dept-plan")
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/dept/inspections/plans/")

    assert page.locator("tr[data-plan]").count() == 1
    assert page.locator(f"tr[data-plan='{plans[other.pk].pk}']").count() == 0
    assert page.locator(f"tr[data-plan='{plans[market.pk].pk}'][data-state=open]").is_visible()
    fits(page)
    shot(page, "plans-list-390")

    page.locator(f"tr[data-plan='{plans[market.pk].pk}'] a").click()
    page.wait_for_url(f"**/dept/inspections/plans/{plans[market.pk].pk}/")
    assert page.locator(f"[data-due-date='{year}-03-31']").is_visible()
    # Sent empty: refused, the error next to the field, in Chinese.
    page.locator("#file-plan button[type=submit]").click()
    page.wait_for_load_state()
    assert page.locator("#field-summary .field-error").is_visible()
    assert page.locator("#field-planned_count .field-error").is_visible()
    fits(page)
    shot(page, "plan-errors-390")

    page.fill(
        "textarea[name=summary]",
        "一季度：食品生产企业许可条件检查（与生态环境局联合）；\n二季度：特种设备专项检查。",
    )
    page.fill("input[name=planned_count]", "24")
    page.locator("#file-plan button[type=submit]").click()
    page.wait_for_url(f"**/dept/inspections/plans/{plans[market.pk].pk}/")
    assert page.locator("[data-state=filed]").is_visible()
    assert page.locator("[data-planned-count]").inner_text() == "24"
    fits(page)
    shot(page, "plan-filed-390")

    plan = InspectionPlan.objects.select_related("deadline").get(pk=plans[market.pk].pk)
    assert plan.filed_at is not None and plan.planned_count == 24
    assert plan.deadline.status == "met"
    page.goto("/dept/inspections/plans/")
    assert page.locator(f"tr[data-plan='{plan.pk}'][data-state=filed]").is_visible()
    context.close()

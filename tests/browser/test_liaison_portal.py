"""A liaison point in Chromium: files a complaint on an enterprise's behalf, is told to hand the
code on, and follows the complaint on its own page, on a desk screen and on a phone."""

import pytest
from django.contrib.auth.models import Group, User

from complaints.models import Complaint, PublicStatus
from complaints.services import complaint_status_publish
from liaison.models import Department, LiaisonPoint

pytestmark = [pytest.mark.browser]

PASSWORD = "pw-12345678"


@pytest.fixture
def liaison(transactional_db):
    Department.objects.create(name="市市场监督管理局", short_name="市场监管局", email="scjg@dept.example")
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")
    user = User.objects.create_user("point-browser", password=PASSWORD)
    user.groups.add(Group.objects.get(name="Liaison point or supervisor"))
    LiaisonPoint.objects.create(
        enterprise_name="华兴机械制造有限公司", contact_name="王建国", appointed_on="2026-01-01", user=user
    )
    return user


def log_in(page, user):
    page.goto("/accounts/login/?next=/liaison/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/liaison/")


def file_for_an_enterprise(page) -> str:
    page.locator("a.button[href='/liaison/new/']").click()
    page.wait_for_url("**/liaison/new/")
    assert "代企业反映问题" in page.locator("h1").inner_text()
    page.fill("input[name=enterprise_name]", "瑞丰商贸有限公司")
    page.fill("input[name=contact_name]", "李四")
    page.fill("input[name=phone]", "13812345678")
    page.fill("#department-search", "税务")
    page.select_option("select[name=category]", "inspections")
    page.fill(
        "textarea[name=description]",
        "一个月内税务、市场监管先后来了四批人检查，内容基本重复，每次都要求停产配合。",
    )
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_url("**/complaints/submitted/")
    assert page.locator("[data-on-behalf]").is_visible()  # "hand this code to the enterprise"
    return page.locator("[data-tracking-code]").inner_text().strip()


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_liaison_files_for_an_enterprise_and_follows_it(page, liaison):
    log_in(page, liaison)
    code = file_for_an_enterprise(page)
    assert len(code.replace(" ", "").replace("-", "")) >= 16
    complaint = Complaint.objects.get(filed_by=liaison)
    complaint_status_publish(complaint=complaint, status=PublicStatus.ACCEPTED, text="已受理，正在核查。")

    page.goto("/liaison/")
    row = page.locator("table.portal-table tbody tr").first
    assert "瑞丰商贸有限公司" in row.inner_text() and "市税务局" in row.inner_text()
    row.locator("a").click()
    page.wait_for_url(f"**/liaison/complaints/{complaint.pk}/")
    assert complaint.reference in page.locator("h1").inner_text()
    assert "代瑞丰商贸有限公司反映" in page.locator(".lead").inner_text()
    timeline = page.locator("[data-timeline]").inner_text()
    assert "已受理" in timeline and "已受理，正在核查。" in timeline
    assert "四批人检查" in page.content()
    assert no_sideways_scrolling(page)


def test_the_portal_fits_a_phone(page, liaison):
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, liaison)
    file_for_an_enterprise(page)
    page.goto("/liaison/")
    assert no_sideways_scrolling(page)
    # Each row is a card whose cells say what they are.
    assert page.locator("table.portal-table thead").bounding_box()["height"] <= 1
    page.locator("table.portal-table a").first.click()
    page.wait_for_url("**/liaison/complaints/*/")
    assert no_sideways_scrolling(page)

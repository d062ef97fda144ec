"""The public list of trainings and award activities in Chromium: an enterprise finds the training
it was charged for, complains from its entry (the form prefilled with the category, the organising
department and the item's name), and the complaint arrives linked to the filing; the same from
"not in this list" on a phone."""

import pytest

from complaints.models import Category, Complaint
from inspections.activities.tests import factories as af
from inspections.models import ActivityComplaint, ActivityFiling
from liaison.models import Department

pytestmark = [pytest.mark.browser]


@pytest.fixture
def listed(transactional_db, settings):
    settings.INTAKE_POW_DIFFICULTY = 10  # real JavaScript work, kept short
    department = Department.objects.create(
        name="市市场监督管理局", short_name="市场监管局", email="scjg@dept.example"
    )
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")
    filing = af.approved(
        department, title="计量器具使用规范培训", status=ActivityFiling.Status.APPROVED_NO_FEE
    )
    af.cancelled("全市优秀民营企业评选", department=department)
    return {"department": department, "filing": filing}


def _submit(page):
    page.locator("input[name=identity_mode][value=anonymous]").check()
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_url("**/complaints/submitted/", timeout=30000)


def test_an_enterprise_complains_from_an_entry_of_the_public_list(page, listed):
    page.goto("/activities/")
    entry = page.locator(f"[data-filing='{listed['filing'].pk}']")
    assert "计量器具使用规范培训" in entry.inner_text()
    assert entry.locator("[data-fee=none]").is_visible()  # approved without fee
    assert "全市优秀民营企业评选" in page.locator("[data-cancelled]").inner_text()
    entry.locator("[data-complain]").click()
    page.wait_for_url(f"**/activities/complain/filing/{listed['filing'].pk}/")
    assert "计量器具使用规范培训" in page.locator("[data-activity-subject]").inner_text()
    assert page.locator("select[name=category]").input_value() == Category.TRAINING
    assert page.locator("select[name=department] option:checked").inner_text() == "市市场监督管理局"
    description = page.locator("textarea[name=description]")
    assert "计量器具使用规范培训" in description.input_value()
    description.press("End")
    description.type("批准免费举办，但现场每人收取资料费八十元，不交不给结业证书。")
    _submit(page)
    complaint = Complaint.objects.get()
    assert complaint.category == Category.TRAINING and complaint.department == listed["department"]
    assert ActivityComplaint.objects.get().filing == listed["filing"]


def test_not_in_this_list_on_a_phone(page, listed):
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/activities/")
    page.locator("[data-complain-other] a").click()
    page.wait_for_url("**/activities/complain/")
    page.fill("#department-search", "税务")
    page.locator("textarea[name=description]").press("End")
    page.locator("textarea[name=description]").type("税务学会通知企业必须参加发票实务培训，每人收费四百元。")
    # Nothing on the page is wider than the phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _submit(page)
    link = ActivityComplaint.objects.get()
    assert link.not_listed and link.complaint.department.short_name == "税务局"

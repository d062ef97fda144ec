"""A complaint about an association in Chromium: the association is asked for only once the
category about associations is chosen, and the complaint goes to its supervising department."""

import pytest

from complaints.models import Complaint
from liaison.models import Association, Department

pytestmark = [pytest.mark.browser]


@pytest.fixture
def body(transactional_db, settings):
    settings.INTAKE_POW_DIFFICULTY = 10  # real JavaScript work, kept short
    housing = Department.objects.create(
        name="市住房和城乡建设局", short_name="住建局", email="zjj@dept.example"
    )
    Department.objects.create(name="市税务局", short_name="税务局", email="sw@dept.example")
    return Association.objects.create(
        kind=Association.Kind.TRADE_ASSOCIATION, name="市物业管理协会", supervising_department=housing
    )


def test_an_anonymous_complaint_about_an_association_reaches_its_supervisor(page, body):
    page.goto("/complaints/new/")
    association = page.locator("#field-association")
    assert association.is_hidden()
    page.select_option("select[name=category]", "associations")
    assert association.is_visible()
    page.select_option("select[name=association]", str(body.pk))
    # Another category hides the question and forgets the choice; back again, it is asked anew.
    page.select_option("select[name=category]", "charges")
    assert association.is_hidden()
    page.select_option("select[name=category]", "associations")
    assert page.locator("select[name=association]").input_value() == ""
    page.select_option("select[name=association]", str(body.pk))
    page.locator("input[name=identity_mode][value=anonymous]").check()
    page.check("input[name=department_unknown]")
    page.fill(
        "textarea[name=description]", "物业管理协会强制要求企业缴纳会费并订阅刊物,不缴纳就在评优中不予考虑。"
    )
    page.check("input[name=consent]")
    page.locator("form.complaint-form button[type=submit]").click()
    page.wait_for_url("**/complaints/submitted/", timeout=30000)
    complaint = Complaint.objects.get()
    assert complaint.association == body and complaint.department == body.supervising_department

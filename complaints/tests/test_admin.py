"""Staff record every channel in the admin and read complaints there."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.models import Channel, Complaint, PublicStatus
from complaints.services import (
    complaint_rate,
    complaint_status_publish,
    complaint_submit,
    complaint_supplement_add,
)
from complaints.tests import factories

pytestmark = pytest.mark.django_db


def staff(role: str, username: str | None = None) -> User:
    user = User.objects.create_user(username or role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize(
    "channel", [c for c in Channel.values if c not in {"web", "liaison_point", "supervisor"}]
)
def test_staff_record_a_complaint_from_every_channel(client, channel):
    client.force_login(staff("Intake officer"))
    department = factories.department()
    data = factories.form_post(
        department=department.pk, channel=channel, source="来信编号 2026-118", received_at="2026-11-02T09:30"
    )
    data.pop("consent")
    response = client.post("/admin/complaints/complaint/add/", data, follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    page = response.content.decode()
    code = re.search(r"data-tracking-code>([A-Z2-9-]+)<", page).group(1)
    complaint = Complaint.objects.get()
    assert complaint.channel == channel and complaint.source == "来信编号 2026-118"
    assert complaint.filed_by.username == "Intake-officer"
    from complaints.selectors import complaint_by_tracking_code

    assert complaint_by_tracking_code(code) == complaint


def test_liaison_and_supervisor_channels_name_their_source(client):
    from liaison.models import LiaisonPoint

    client.force_login(staff("Intake officer"))
    department = factories.department()
    data = factories.form_post(
        department=department.pk, channel="liaison_point", received_at="2026-11-02T09:30"
    )
    page = client.post("/admin/complaints/complaint/add/", data).content.decode()
    assert "选择该投诉来自哪个联系点" in page
    point = LiaisonPoint.objects.create(
        enterprise_name="测试联系点", contact_name="王", appointed_on="2026-01-01"
    )
    data["liaison_point"] = point.pk
    assert client.post("/admin/complaints/complaint/add/", data).status_code == 302
    assert Complaint.objects.get().liaison_point == point


def test_identity_is_masked_without_the_permission(client):
    complaint = factories.submit().complaint
    url = f"/admin/complaints/complaint/{complaint.pk}/change/"
    client.force_login(staff("Case handler"))
    page = client.get(url).content.decode()
    assert "张三" not in page and "13912345678" not in page and "华兴机械制造有限公司" not in page
    assert "＊＊" in page
    client.force_login(intake := staff("Intake officer"))
    page = client.get(url).content.decode()
    assert "张三" in page and "13912345678" in page
    # Each unmasked look is on the record; the masked look was not.
    assert list(complaint.identity_views.values_list("viewer", flat=True)) == [intake.pk]


def test_refreshing_the_recorded_page_files_nothing_twice(client):
    client.force_login(staff("Intake officer"))
    data = factories.form_post(
        department=factories.department().pk, channel="hotline", received_at="2026-11-02T09:30"
    )
    response = client.post("/admin/complaints/complaint/add/", data)
    assert response.status_code == 302
    first = client.get(response["Location"])
    assert b"data-tracking-code" in first.content
    # The page redirects to the complaint once the code has been shown.
    assert client.get(response["Location"]).status_code == 302
    assert Complaint.objects.count() == 1


def test_a_filed_complaint_cannot_be_edited_or_deleted_in_the_admin(client):
    complaint = factories.submit().complaint
    client.force_login(User.objects.create_superuser("root", password="pw-12345678"))
    client.post(f"/admin/complaints/complaint/{complaint.pk}/change/", {"description": "改写"})
    complaint.refresh_from_db()
    assert complaint.description.startswith("三个月内")
    assert client.get(f"/admin/complaints/complaint/{complaint.pk}/delete/").status_code == 403


def test_staff_find_a_complaint_by_its_reference(client):
    complaints = [factories.submit().complaint for _ in range(3)]
    client.force_login(staff("Intake officer"))
    page = client.get("/admin/complaints/complaint/", {"q": complaints[1].reference}).content.decode()
    assert complaints[1].reference in page
    assert complaints[0].reference not in page and complaints[2].reference not in page


def test_possibly_related_complaints_are_shown_while_triaging(client):
    unit = factories.department()
    text = "市场监管局执法人员三个月内到我公司重复检查五次,每次都要求停产配合,严重影响生产经营。"
    first = factories.submit(department=unit, description=text).complaint
    second = factories.submit(department=unit, description=text + "请尽快处理。").complaint
    client.force_login(staff("Intake officer"))
    page = client.get(f"/admin/complaints/complaint/{second.pk}/change/").content.decode()
    assert first.reference in page


def test_the_changelist_costs_the_same_queries_for_10_and_30_rows(client):
    client.force_login(staff("Intake officer"))
    unit = factories.department()

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/admin/complaints/complaint/").status_code == 200
        return len(ctx.captured_queries)

    for _ in range(10):
        factories.submit(department=unit)
    ten = queries()
    for _ in range(20):
        factories.submit(department=factories.department())
    assert queries() == ten


def test_the_description_is_redacted_for_staff_who_may_not_know_who_complained(client):
    complaint = factories.submit(
        description="我是张三,电话13912345678,华兴机械制造有限公司被重复检查了五次。"
    ).complaint
    url = f"/admin/complaints/complaint/{complaint.pk}/change/"
    client.force_login(staff("Case handler"))
    page = client.get(url).content.decode()
    assert "被重复检查了五次" in page
    assert "张三" not in page and "13912345678" not in page and "华兴机械制造有限公司" not in page
    client.force_login(staff("Intake officer"))
    assert "我是张三" in client.get(url).content.decode()


# --- One masking rule on every part of the complaint page ---------------------------------------

SECRET_NAME, SECRET_PHONE, SECRET_ENTERPRISE = "欧阳守密", "13700001111", "独此一家精工有限公司"


def secret_complaint(*, department, description: str, anonymous: bool = False) -> Complaint:
    identity = factories.identity(
        contact_name=SECRET_NAME, phone=SECRET_PHONE, enterprise_name=SECRET_ENTERPRISE
    )
    return complaint_submit(
        data=factories.complaint_data(
            department=department,
            description=description,
            occurred_place=f"{SECRET_ENTERPRISE}门口",
            desired_outcome=f"请告知{SECRET_NAME}。",
        ),
        identity=None if anonymous else identity,
    ).complaint


def assert_no_secret(page: str) -> None:
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_ENTERPRISE):
        assert secret not in page, secret


def test_similar_complaints_are_masked_for_their_own_complainant(client):
    unit = factories.department()
    text = "市场监管局执法人员三个月内到我公司重复检查五次,每次都要求停产配合,严重影响生产经营。"
    other = secret_complaint(department=unit, description=f"{text}我是{SECRET_NAME},电话{SECRET_PHONE}。")
    anonymous_other = secret_complaint(
        department=unit, description=f"{text}有事打{SECRET_PHONE}。", anonymous=True
    )
    mine = factories.submit(department=unit, description=text + "请尽快处理。").complaint
    url = f"/admin/complaints/complaint/{mine.pk}/change/"
    client.force_login(staff("Case handler"))
    page = client.get(url).content.decode()
    assert other.reference in page and anonymous_other.reference in page
    assert_no_secret(page)
    client.force_login(staff("Intake officer"))
    page = client.get(url).content.decode()
    assert SECRET_NAME in page and SECRET_PHONE in page


def test_supplements_ratings_and_public_updates_are_masked_without_the_permission(client):
    complaint = secret_complaint(department=factories.department(), description="重复检查。")
    complaint_supplement_add(complaint=complaint, text=f"补充:{SECRET_NAME}的新手机也是{SECRET_PHONE}。")
    complaint_status_publish(
        complaint=complaint, status=PublicStatus.CONCLUDED, text=f"{SECRET_NAME}您好,已办结。"
    )
    complaint_rate(complaint=complaint, level="unsatisfied", comment=f"{SECRET_ENTERPRISE}不满意。")
    url = f"/admin/complaints/complaint/{complaint.pk}/change/"
    client.force_login(staff("Case handler"))
    page = client.get(url).content.decode()
    assert "的新手机也是" in page and "您好,已办结" in page and "不满意" in page
    assert_no_secret(page)
    client.force_login(staff("Intake officer"))
    page = client.get(url).content.decode()
    assert f"补充:{SECRET_NAME}的新手机也是{SECRET_PHONE}。" in page
    assert f"{SECRET_ENTERPRISE}不满意。" in page


def test_an_anonymous_complaints_numbers_are_masked_without_the_permission(client):
    complaint = secret_complaint(
        department=factories.department(), description=f"匿名:知情人电话{SECRET_PHONE}。", anonymous=True
    )
    url = f"/admin/complaints/complaint/{complaint.pk}/change/"
    client.force_login(staff("Case handler"))
    page = client.get(url).content.decode()
    assert "知情人电话" in page and SECRET_PHONE not in page
    client.force_login(staff("Intake officer"))
    assert SECRET_PHONE in client.get(url).content.decode()


def test_where_it_happened_and_the_outcome_wanted_are_masked_without_the_permission(client):
    complaint = secret_complaint(department=factories.department(), description="重复检查。")
    client.force_login(staff("Case handler"))
    page = client.get(f"/admin/complaints/complaint/{complaint.pk}/change/").content.decode()
    assert "门口" in page
    assert_no_secret(page)

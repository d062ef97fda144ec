"""Associations and intermediaries in the directory, with fee schedules that only staff see: the
admin's list (filters, search, constant queries), the fee items with their PDF, served only to
staff who may read the association."""

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from complaints.tests import factories as complaint_factories
from liaison.associations import association_list
from liaison.models import Association, FeeSchedule
from liaison.tests.factories_associations import association

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def staff(role: str) -> User:
    user = User.objects.create_user(role.replace(" ", "-"), password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def add_form(supervisor, **overrides) -> dict:
    data = {
        "kind": "association",
        "name": "市餐饮行业协会",
        "short_name": "餐协",
        "credit_code": "",
        "is_active": "on",
        "supervising_department": supervisor.pk,
        "registration_department": "",
        "contact_name": "",
        "phone": "",
        "email": "",
        "address": "",
        "fees-TOTAL_FORMS": "1",
        "fees-INITIAL_FORMS": "0",
        "fees-MIN_NUM_FORMS": "0",
        "fees-MAX_NUM_FORMS": "1000",
        "fees-0-item": "会员会费",
        "fees-0-amount_min": "500",
        "fees-0-amount_max": "2000",
        "fees-0-legal_basis": "《社会团体登记管理条例》及协会章程",
        "fees-0-filed_on": "2026-03-01",
    }
    data.update(overrides)
    return data


def test_an_office_head_files_an_association_with_its_fee_schedule_and_document(client):
    supervisor = complaint_factories.department(name="市商务局")
    client.force_login(staff("Office head"))
    data = add_form(supervisor)
    data["fees-0-document"] = SimpleUploadedFile("收费标准.pdf", PDF, content_type="application/pdf")
    response = client.post("/admin/liaison/association/add/", data)
    assert response.status_code == 302, response.content.decode()[-3000:]
    body = Association.objects.get()
    fee = FeeSchedule.objects.get(association=body)
    assert body.supervising_department == supervisor and fee.amount_display == "500.00–2000.00"
    assert fee.document_name == "收费标准.pdf" and "收费标准" not in fee.document.name
    page = client.get(f"/admin/liaison/association/{body.pk}/change/").content.decode()
    link = f"/admin/liaison/association/fee/{fee.pk}/document/"
    assert link in page
    download = client.get(link)
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # A leader reads the directory, and may read it; a department's login may not.
    client.force_login(staff("Leader"))
    assert client.get(link).status_code == 200
    department_user = User.objects.create_user("dept", password="pw-12345678")
    department_user.groups.add(Group.objects.get(name="Department user"))
    client.force_login(department_user)
    assert client.get(link).status_code in (302, 403)


def test_a_document_that_is_not_a_pdf_and_a_reversed_range_are_refused_next_to_the_field(client):
    supervisor = complaint_factories.department()
    client.force_login(staff("Office head"))
    client.cookies["django_language"] = "en"  # the errors are read in English
    data = add_form(supervisor, **{"fees-0-amount_min": "3000"})
    data["fees-0-document"] = SimpleUploadedFile(
        "x.pdf", b"<html>not a pdf</html>", content_type="application/pdf"
    )
    response = client.post("/admin/liaison/association/add/", data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "The document must be a PDF file." in page
    assert "The upper amount cannot be below the lower one." in page
    assert "市餐饮行业协会" in page and "会员会费" in page  # what was typed is kept
    assert not Association.objects.exists()


def test_fee_schedules_are_not_shown_to_who_may_not_read_the_directory(client):
    body = association()
    FeeSchedule.objects.create(association=body, item="评估费", amount_min=100, legal_basis="物价局文件")
    user = User.objects.create_user("nobody", password="pw-12345678", is_staff=True)
    client.force_login(user)
    assert client.get(f"/admin/liaison/association/{body.pk}/change/").status_code == 403
    assert client.get("/admin/liaison/feeschedule/").status_code == 404  # only inline, never a list


def test_the_association_list_filters_searches_and_costs_the_same_queries(client):
    supervisor, other = complaint_factories.department(), complaint_factories.department()
    client.force_login(staff("Office head"))

    def queries(count):
        Association.objects.all().delete()
        for n in range(count):
            body = association(
                supervising_department=supervisor if n % 2 else other,
                kind="intermediary" if n % 3 == 0 else "association",
                registration_department=other,
            )
            FeeSchedule.objects.create(association=body, item="会费", amount_min=10, legal_basis="章程")
        with CaptureQueriesContext(connection) as captured:
            page = client.get("/admin/liaison/association/").content.decode()
        assert len(re.findall(r'class="field-name"', page)) == count
        return len(captured)

    assert queries(3) == queries(12)
    page = client.get(
        f"/admin/liaison/association/?supervising_department__id__exact={supervisor.pk}&kind=association"
    ).content.decode()
    expected = Association.objects.filter(supervising_department=supervisor, kind="association").count()
    assert len(re.findall(r'class="field-name"', page)) == expected
    one = Association.objects.first()
    page = client.get("/admin/liaison/association/", {"q": one.short_name}).content.decode()
    assert one.name in page


def test_the_selector_lists_with_their_fee_counts_in_one_query(django_assert_num_queries):
    body = association(short_name="律协")
    FeeSchedule.objects.create(association=body, item="咨询费", amount_min=0, legal_basis="司法局")
    association()
    with django_assert_num_queries(1):
        rows = list(association_list(filters={"q": "律协"}))
    assert [(row.pk, row.fee_count, row.supervising_department.name) for row in rows] == [
        (body.pk, 1, body.supervising_department.name)
    ]


def test_the_leading_group_is_kept_in_the_directory_admin(client):
    client.force_login(staff("Office head"))
    client.cookies["django_language"] = "en"  # the errors are read in English
    response = client.post(
        "/admin/liaison/leadinggroupmember/add/",
        {
            "role": "head",
            "name": "赵书记",
            "email": "zhao@ccdi.example",
            "position": "纪委副书记",
            "order": "1",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    page = client.get("/admin/liaison/leadinggroupmember/").content.decode()
    assert "赵书记" in page and "zhao@ccdi.example" in page
    page = client.post(
        "/admin/liaison/leadinggroupmember/add/", {"role": "member", "name": "", "order": "0"}
    ).content.decode()
    assert (
        "Choose a staff account or give the member&#x27;s name." in page or "Choose a staff account" in page
    )

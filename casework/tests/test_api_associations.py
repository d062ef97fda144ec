"""/api/v1/associations/: staff who read the directory read associations and intermediaries,
their supervisors, complaint counts and fee schedules; nobody else does; never who complained."""

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from complaints.models import Category
from complaints.services import complaint_submit
from complaints.tests import factories as complaint_factories
from liaison.models import FeeSchedule
from liaison.tests.factories_associations import association

pytestmark = pytest.mark.django_db

LIST = "/api/v1/associations/"


def client_for(user) -> APIClient:
    api = APIClient()
    _instance, key = AuthToken.objects.create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


def staff(role: str, username: str) -> User:
    user = User.objects.create_user(username, password="pw-12345678", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def complain_about(body):
    data = complaint_factories.complaint_data(
        department_text="x",
        category=Category.ASSOCIATIONS,
        description="中介机构强制收取评估费用,金额远超备案标准。",
    )
    data = type(data)(**{**data.__dict__, "association": body, "department_text": ""})
    return complaint_submit(data=data, identity=complaint_factories.identity()).complaint


def test_staff_read_associations_with_their_supervisor_counts_and_fees():
    body = association(name="市评估师协会", kind="intermediary")
    FeeSchedule.objects.create(
        association=body, item="资产评估费", amount_min=1000, amount_max=5000, legal_basis="发改委文件"
    )
    FeeSchedule.objects.create(association=body, item="咨询费", amount_min=200, legal_basis="章程")
    complain_about(body)
    complain_about(body)
    association(name="市律师协会")
    api = client_for(staff("Case handler", "handler"))
    response = api.get(LIST, {"kind": "intermediary"})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["name"] == "市评估师协会" and row["fee_count"] == 2 and row["complaint_count"] == 2
    assert row["supervising_department"] == {
        "id": body.supervising_department_id,
        "name": body.supervising_department.name,
    }
    detail = api.get(f"{LIST}{body.pk}/").json()
    assert [fee["item"] for fee in detail["fees"]] == ["咨询费", "资产评估费"]
    assert "张三" not in str(detail) and "13912345678" not in str(detail)


def test_the_list_costs_the_same_queries_for_2_and_12_associations():
    api = client_for(staff("Case handler", "handler"))

    def count(n):
        for _ in range(n):
            FeeSchedule.objects.create(
                association=association(), item="会费", amount_min=1, legal_basis="章程"
            )
        with CaptureQueriesContext(connection) as captured:
            assert api.get(LIST, {"page_size": 100}).status_code == 200
        return len(captured)

    assert count(2) == count(10)


def test_a_bad_filter_is_a_400_naming_it():
    api = client_for(staff("Case handler", "handler"))
    response = api.get(LIST, {"supervising_department": "abc"})
    assert response.status_code == 400 and "supervising_department" in str(response.json())


def test_departments_and_strangers_read_nothing():
    body = association()
    department_user = User.objects.create_user("dept", password="pw-12345678")
    department_user.groups.add(Group.objects.get(name="Department user"))
    assert client_for(department_user).get(LIST).status_code == 403
    assert client_for(department_user).get(f"{LIST}{body.pk}/").status_code == 403
    assert APIClient().get(LIST).status_code == 401

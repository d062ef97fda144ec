"""/api/v1/enterprises/: the registry, read only, for departments' own systems and commission
staff; a credit code is one indexed lookup; no rating and nobody who rated is ever in an answer."""

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from inspections.models import Inspection, InspectionRating
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db

LIST = "/api/v1/enterprises/"


def _client(user=None, *, token=True) -> APIClient:
    api = APIClient()
    if user is not None:
        _instance, key = AuthToken.objects.create(user=user)
        api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return api


@pytest.fixture
def world():
    department, _unit, _items = f.department_with_list()
    enterprises = [
        f.enterprise(name="甲乙科技有限公司", risk_class="A", district="东区"),
        f.enterprise(name="甲乙贸易有限公司"),
        f.enterprise(name="丙丁制造有限公司", no_disturbance=True),
    ]
    inspection = Inspection.objects.create(
        department=department, enterprise=enterprises[0], planned_on="2026-08-01", status="concluded"
    )
    InspectionRating.objects.create(inspection=inspection, score=1, comment="评价保密内容QWE")
    plain = User.objects.create_user("dept-plain", password="pw-12345678")
    plain.groups.add(*f.inspector(department).groups.all())
    department.members.add(plain)
    return {"department": department, "enterprises": enterprises, "department_user": plain}


def test_the_url_is_the_one_the_issue_names():
    assert reverse("inspections_api:enterprise-list") == LIST


def test_a_department_looks_enterprises_up_and_does_not_page_through_the_registry(world):
    api = _client(world["department_user"])
    for params in ({}, {"credit_code": "", "name": ""}, {"page": 2}):
        response = api.get(LIST, params)
        assert response.status_code == 400, params
        assert "credit_code" in response.json()
        assert "有限公司" not in response.content.decode()
    assert api.get(LIST, {"name": "甲乙"}).json()["count"] == 2


def test_staff_list_the_registry_paginated_by_name(world):
    response = _client(f.staff("Case handler")).get(LIST, {"page_size": 2})
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["count"] == 3
    assert [row["name"] for row in data["results"]] == ["丙丁制造有限公司", "甲乙科技有限公司"]
    assert data["next"]
    assert set(data["results"][0]) == {
        "id",
        "credit_code",
        "name",
        "address",
        "district",
        "industry",
        "risk_class",
        "no_disturbance",
        "is_active",
    }


def test_search_by_credit_code_is_one_indexed_lookup(world):
    wanted = world["enterprises"][1]
    api = _client(world["department_user"])
    with CaptureQueriesContext(connection) as captured:
        response = api.get(LIST, {"credit_code": wanted.credit_code.lower()})
    assert [row["id"] for row in response.json()["results"]] == [wanted.pk]
    selects = [q["sql"] for q in captured.captured_queries if '"liaison_enterprise"' in q["sql"]]
    assert len(selects) == 2  # the count and the page
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        sql, params = (
            world["enterprises"][0]
            .__class__.objects.filter(credit_code=wanted.credit_code)
            .query.sql_with_params()
        )
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "Index" in plan
    assert api.get(LIST, {"credit_code": "91110000000000000X"}).json()["results"] == []


def test_search_by_the_beginning_of_the_name(world):
    api = _client(world["department_user"])
    names = [row["name"] for row in api.get(LIST, {"name": "甲乙"}).json()["results"]]
    assert names == ["甲乙科技有限公司", "甲乙贸易有限公司"]
    assert api.get(LIST, {"name": "科技"}).json()["results"] == []


def test_a_too_long_parameter_is_a_400_that_names_it(world):
    response = _client(world["department_user"]).get(LIST, {"credit_code": "9" * 40})
    assert response.status_code == 400
    assert "credit_code" in response.content.decode()


def test_the_detail_has_no_rating_nor_who_rated(world):
    rated = world["enterprises"][0]
    response = _client(world["department_user"]).get(f"{LIST}{rated.pk}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert rated.credit_code in body
    for secret in ("评价保密内容QWE", "rating", "score"):
        assert secret not in body
    assert _client(world["department_user"]).get(f"{LIST}999999/").status_code == 404


def test_staff_who_read_the_registry_may_read_and_others_may_not(world):
    assert _client(f.staff("Case handler")).get(LIST).status_code == 200
    nobody = User.objects.create_user("nobody", password="pw-12345678")
    assert _client(nobody).get(LIST).status_code == 403
    assert _client().get(LIST).status_code == 401
    bad = APIClient(HTTP_AUTHORIZATION="Token not-a-real-key").get(LIST)
    assert bad.status_code in (401, 403)


def test_nobody_writes_through_the_api(world):
    api = _client(f.staff("Case handler"))
    enterprise = world["enterprises"][0]
    assert api.post(LIST, {"credit_code": "x", "name": "y"}, format="json").status_code == 405
    assert api.patch(f"{LIST}{enterprise.pk}/", {"name": "改名"}, format="json").status_code == 405
    assert api.delete(f"{LIST}{enterprise.pk}/").status_code == 405
    enterprise.refresh_from_db()
    assert enterprise.name == "甲乙科技有限公司"


def test_the_schema_documents_the_endpoint(world):
    schema = _client(f.staff("Case handler")).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/enterprises/"]["get"]
    assert {"credit_code", "name", "page", "page_size"} <= {p["name"] for p in operation["parameters"]}
    assert "/api/v1/enterprises/{id}/" in schema["paths"]
    assert "post" not in schema["paths"]["/api/v1/enterprises/"]

"""/api/v1/inspections/: a department's system files through the same service as the form, with
the same answers; it lists and reads its own inspections only."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from inspections.models import Inspection
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db

LIST = "/api/v1/inspections/"


@pytest.fixture
def world():
    department, unit, items = f.department_with_list(items=("A01", "A02"))
    inspector = f.inspector(department)
    api = APIClient()
    api.force_authenticate(inspector)
    return {
        "department": department,
        "unit": unit,
        "items": items,
        "inspector": inspector,
        "enterprise": f.enterprise(),
        "api": api,
    }


def body(world, **overrides):
    data = {
        "department": world["department"].pk,
        "unit": world["unit"].pk,
        "enterprise": world["enterprise"].credit_code,
        "items": ["A01"],
        "kind": "routine",
        "planned_on": f.days_ahead(5).isoformat(),
        "officers": f.OFFICERS,
    }
    data.update(overrides)
    return data


def test_the_url_is_the_one_the_issue_names():
    assert reverse("inspections_api:inspection-list") == LIST


def test_a_filing_is_created_with_its_flags(world):
    world["enterprise"].no_disturbance = True
    world["enterprise"].save()
    response = world["api"].post(LIST, body(world), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "pending"
    assert [flag["kind"] for flag in data["flags"]] == ["no_disturbance"]
    assert data["flags"][0]["explanation"]
    assert Inspection.objects.get().items.get().code == "A01"


def test_an_item_outside_the_list_gets_the_same_answer_as_the_form(world):
    response = world["api"].post(
        LIST, body(world, items=["A01", "Z99"], officers=f.OFFICERS[:1]), format="json"
    )
    assert response.status_code == 400
    errors = response.json()
    assert any("清单之外无检查" in message and "Z99" in message for message in errors["items"])
    assert "officers" in errors
    assert not Inspection.objects.exists()


def test_a_date_in_the_past_is_refused_on_its_field(world):
    response = world["api"].post(LIST, body(world, planned_on=f.days_ahead(-1).isoformat()), format="json")
    assert response.status_code == 400 and "planned_on" in response.json()


def test_another_departments_unit_or_department_is_refused(world):
    other, other_unit, _items = f.department_with_list()
    assert world["api"].post(LIST, body(world, unit=other_unit.pk), format="json").json().keys() >= {"unit"}
    response = world["api"].post(LIST, body(world, department=other.pk, unit=other_unit.pk), format="json")
    assert response.status_code == 400 and "department" in response.json()


def test_a_department_lists_and_reads_only_its_own(world):
    mine = inspection_file(
        **f.file_kwargs(
            world["department"], world["unit"], world["items"][:1], world["enterprise"], world["inspector"]
        )
    )
    other, unit, items = f.department_with_list(items=("B01",))
    theirs = inspection_file(**f.file_kwargs(other, unit, items, f.enterprise(), f.inspector(other)))
    listed = [row["id"] for row in world["api"].get(LIST).json()["results"]]
    assert listed == [mine.pk]
    assert world["api"].get(f"{LIST}{theirs.pk}/").status_code == 404
    assert (
        world["api"].get(f"{LIST}{mine.pk}/").json()["enterprise"]["credit_code"]
        == world["enterprise"].credit_code
    )


def test_a_department_user_who_is_not_an_inspector_cannot_file(world):
    plain = f.staff("Department user")
    plain.is_staff = False
    plain.save()
    world["department"].members.add(plain)
    api = APIClient()
    api.force_authenticate(plain)
    assert api.get(LIST).status_code == 200
    assert api.post(LIST, body(world), format="json").status_code == 403


def test_the_schema_documents_the_endpoint(world):
    staff = f.staff("Case handler")
    api = APIClient()
    api.force_authenticate(staff)
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "/api/v1/inspections/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/inspections/"]

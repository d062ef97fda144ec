"""The department's filing pages: the list shows only its own inspections, the form files through
the service (a refusal re-renders with the error on its field), the result shows the flags."""

import pytest
from django.urls import reverse

from inspections.models import Inspection
from inspections.services.filing import inspection_file
from inspections.tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    department, unit, items = f.department_with_list(items=("A01", "A02"))
    return {
        "department": department,
        "unit": unit,
        "items": items,
        "inspector": f.inspector(department),
        "enterprise": f.enterprise(name="星河精密制造有限公司"),
    }


def post_data(world, **overrides):
    data = {
        "department": world["department"].pk,
        "unit": world["unit"].pk,
        "enterprise": world["enterprise"].credit_code,
        "items": [world["items"][0].pk],
        "kind": "routine",
        "planned_on": f.days_ahead(3).isoformat(),
        "legal_basis": "",
        "officer_rows": "4",
        "officer_name_0": "王执法",
        "officer_certificate_0": "JZ-1",
        "officer_name_1": "李执法",
        "officer_certificate_1": "JZ-2",
    }
    data.update(overrides)
    return data


def test_an_inspector_files_and_sees_the_result(client, world):
    client.force_login(world["inspector"])
    response = client.post(reverse("inspection_filing:new"), post_data(world))
    inspection = Inspection.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "inspection_filing:detail", args=[inspection.pk]
    )
    assert inspection.officers == [
        {"name": "王执法", "certificate": "JZ-1"},
        {"name": "李执法", "certificate": "JZ-2"},
    ]
    page = client.get(response["Location"]).content.decode()
    assert "星河精密制造有限公司" in page and "data-no-flags" in page


def test_a_refused_filing_shows_the_error_on_its_field(client, world):
    _other, _unit, foreign = f.department_with_list(items=("Z99",))
    client.force_login(world["inspector"])
    response = client.post(
        reverse("inspection_filing:new"), post_data(world, items=[foreign[0].pk], officer_certificate_1="")
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="id_items_error"' in page and "Z99" in page
    assert 'id="id_officers_error"' in page
    assert 'value="王执法"' in page  # what was typed stays
    assert not Inspection.objects.exists()


def test_an_unknown_credit_code_is_said_plainly(client, world):
    client.force_login(world["inspector"])
    response = client.post(
        reverse("inspection_filing:new"), post_data(world, enterprise="91110000802100433B")
    )
    assert response.status_code == 200
    assert 'id="id_enterprise_error"' in response.content.decode()


def test_the_enterprise_search_offers_a_few_results(client, world):
    for n in range(8):
        f.enterprise(name=f"星河贸易{n}有限公司")
    client.force_login(world["inspector"])
    page = client.get(reverse("inspection_filing:new"), {"q": "星河"}).content.decode()
    assert page.count("data-choose=") == 5
    page = client.get(
        reverse("inspection_filing:new"), {"q": world["enterprise"].credit_code}
    ).content.decode()
    assert page.count("data-choose=") == 1
    chosen = client.get(reverse("inspection_filing:new"), {"enterprise": world["enterprise"].credit_code})
    assert f'value="{world["enterprise"].credit_code}"' in chosen.content.decode()


def test_a_department_sees_only_its_own_inspections(client, world, django_assert_max_num_queries):
    mine = inspection_file(
        **f.file_kwargs(
            world["department"], world["unit"], world["items"][:1], world["enterprise"], world["inspector"]
        )
    )
    other, unit, items = f.department_with_list(items=("B01",))
    theirs = inspection_file(**f.file_kwargs(other, unit, items, f.enterprise(), f.inspector(other)))
    client.force_login(world["inspector"])
    response = client.get(reverse("inspection_filing:list"))
    page = response.content.decode()
    assert f'data-inspection="{mine.pk}"' in page and f'data-inspection="{theirs.pk}"' not in page
    assert client.get(reverse("inspection_filing:detail", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("inspection_filing:detail", args=[mine.pk])).status_code == 200


def test_the_list_takes_a_constant_number_of_queries(client, world, django_assert_max_num_queries):
    client.force_login(world["inspector"])
    client.get(reverse("inspection_filing:list"))
    for _n in range(12):
        inspection_file(
            **f.file_kwargs(
                world["department"], world["unit"], world["items"][:1], f.enterprise(), world["inspector"]
            )
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("inspection_filing:list"))
    assert response.content.decode().count("data-inspection=") == 12


def test_a_department_user_without_the_inspector_role_cannot_file(client, world):
    plain = f.staff("Department user")
    plain.is_staff = False
    plain.save()
    world["department"].members.add(plain)
    client.force_login(plain)
    assert client.get(reverse("inspection_filing:list")).status_code == 200
    assert client.get(reverse("inspection_filing:new")).status_code == 403
    assert client.post(reverse("inspection_filing:new"), post_data(world)).status_code == 403

"""The departments' inspecting units and inspection item lists: the admin (filters, search) and
the xlsx import of items (department by name, all or nothing, every error with its row)."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.tests import factories
from inspections.lists_import import ITEMS_KIND, inspection_items_import, items_template
from inspections.models import InspectingUnit, InspectionItem
from liaison.models import Department, DirectoryImport

pytestmark = pytest.mark.django_db

HEADERS = ["部门 department", "事项编码 code", "事项名称 name", "检查依据 legal basis", "适用行业 industries"]


def xlsx(rows, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def departments():
    return (
        Department.objects.create(name="市市场监督管理局", short_name="市场监管局"),
        Department.objects.create(name="市生态环境局"),
    )


def test_a_good_list_creates_and_updates_items_by_department_and_code(departments):
    market, environment = departments
    InspectionItem.objects.create(department=market, code="SC-01", name="旧名称", legal_basis="旧依据")
    # The same code in another department is another item.
    result = inspection_items_import(
        content=xlsx(
            [
                [
                    "市场监管局",
                    "SC-01",
                    "食品生产许可检查",
                    "《食品安全法》第一百一十条",
                    "食品制造业，餐饮业",
                ],
                ["市市场监督管理局", "SC-02", "特种设备检查", "《特种设备安全法》", ""],
                ["市生态环境局", "SC-01", "排污许可检查", "《环境保护法》", "制造业、化工"],
            ]
        ),
        actor=None,
        file_name="items.xlsx",
    )
    assert result.ok, result.errors
    assert (result.created, result.updated) == (2, 1)
    first = InspectionItem.objects.get(department=market, code="SC-01")
    assert first.name == "食品生产许可检查" and first.industries == ["食品制造业", "餐饮业"]
    assert InspectionItem.objects.get(department=market, code="SC-02").industries == []
    assert InspectionItem.objects.get(department=environment, code="SC-01").industries == ["制造业", "化工"]
    record = DirectoryImport.objects.get()
    assert (record.kind, record.created, record.updated, record.file_name) == (ITEMS_KIND, 2, 1, "items.xlsx")


def test_any_bad_row_saves_nothing_and_lists_every_error(departments):
    result = inspection_items_import(
        content=xlsx(
            [
                ["市场监管局", "SC-01", "食品生产许可检查", "《食品安全法》", ""],
                ["不存在的局", "X-1", "事项", "依据", ""],
                ["市场监管局", "SC-01", "重复编码", "依据", ""],
                ["市生态环境局", "", "没有编码", "依据", ""],
                ["市生态环境局", "HB-01", "没有依据", "", ""],
                ["市生态环境局", "H" * 41, "编码太长", "依据", ""],
            ]
        ),
        actor=None,
    )
    assert not result.ok
    assert InspectionItem.objects.count() == 0 and DirectoryImport.objects.count() == 0
    where = {(error.row, error.column) for error in result.errors}
    assert where == {
        (3, "部门 department"),
        (4, "事项编码 code"),
        (5, "事项编码 code"),
        (6, "检查依据 legal basis"),
        (7, "事项编码 code"),
    }
    assert " 2 " in next(e.message for e in result.errors if e.row == 4)  # the first row with it


def test_a_missing_column_refuses_the_file(departments):
    result = inspection_items_import(content=xlsx([["市场监管局", "A"]], headers=HEADERS[:2]), actor=None)
    assert not result.ok and {error.column for error in result.errors} >= {
        "事项名称 name",
        "检查依据 legal basis",
    }


def test_the_import_costs_the_same_queries_for_more_rows(departments):
    def run(prefix, count):
        rows = [["市场监管局", f"{prefix}-{i}", f"事项{i}", "依据", "制造业"] for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            assert inspection_items_import(content=xlsx(rows), actor=None).ok
        return len(queries)

    assert run("A", 3) == run("B", 300)


def test_the_template_has_the_columns():
    sheet = openpyxl.load_workbook(io.BytesIO(items_template())).worksheets[0]
    assert [cell.value for cell in sheet[1]][:5] == HEADERS


# --- The admin ------------------------------------------------------------------------------


@pytest.fixture
def staff_client(client):
    admin = factories.user("handler")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_items_list_filters_by_department_and_searches_code_and_name(staff_client, departments):
    market, environment = departments
    InspectionItem.objects.create(department=market, code="SC-01", name="食品生产许可检查", legal_basis="法")
    InspectionItem.objects.create(department=environment, code="HB-07", name="排污许可检查", legal_basis="法")
    base = "/admin/inspections/inspectionitem/"
    page = staff_client.get(base, {"department__id__exact": environment.pk}).content.decode()
    assert "排污许可检查" in page and "食品生产许可检查" not in page
    page = staff_client.get(base, {"q": "HB-07"}).content.decode()
    assert "排污许可检查" in page and "食品生产许可检查" not in page
    page = staff_client.get(base, {"q": "食品"}).content.decode()
    assert "食品生产许可检查" in page and "排污许可检查" not in page


def test_the_admin_upload_imports_items_or_shows_the_row_errors(staff_client, departments):
    url = "/admin/inspections/inspectionitem/import/"
    bad = SimpleUploadedFile("i.xlsx", xlsx([["市场监管局", "SC-01", "事项", "", ""]]))
    page = staff_client.post(url, {"file": bad}).content.decode()
    assert 'id="import-errors"' in page and InspectionItem.objects.count() == 0
    good = SimpleUploadedFile("i.xlsx", xlsx([["市场监管局", "SC-01", "事项", "依据", ""]]))
    assert staff_client.post(url, {"file": good}).status_code == 302
    assert InspectionItem.objects.get().code == "SC-01"
    assert staff_client.get(url + "template/").status_code == 200


def test_the_units_list_filters_by_department(staff_client, departments):
    market, environment = departments
    InspectingUnit.objects.create(department=market, name="执法稽查大队")
    InspectingUnit.objects.create(department=environment, name="环境监察支队")
    page = staff_client.get(
        "/admin/inspections/inspectingunit/", {"department__id__exact": market.pk}
    ).content.decode()
    assert "执法稽查大队" in page and "环境监察支队" not in page


def test_an_item_edited_in_the_admin_keeps_its_industries_as_a_list(staff_client, departments):
    market, _ = departments
    response = staff_client.post(
        "/admin/inspections/inspectionitem/add/",
        {
            "department": market.pk,
            "code": "SC-09",
            "name": "计量检查",
            "legal_basis": "《计量法》",
            "industries_text": "制造业, 零售业，制造业",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert InspectionItem.objects.get(code="SC-09").industries == ["制造业", "零售业"]


def test_the_office_head_imports_items_and_a_handler_only_reads(client, departments):
    head = factories.user("head")
    client.force_login(head)
    good = SimpleUploadedFile("i.xlsx", xlsx([["市场监管局", "SC-01", "事项", "依据", ""]]))
    assert client.post("/admin/inspections/inspectionitem/import/", {"file": good}).status_code == 302
    assert client.get("/admin/liaison/enterprise/import/").status_code == 200
    handler = factories.user("handler")
    client.force_login(handler)
    assert client.get("/admin/inspections/inspectionitem/").status_code == 200
    assert client.get("/admin/inspections/inspectionitem/import/").status_code == 403
    assert client.get("/admin/liaison/enterprise/import/").status_code == 403
    assert client.get("/admin/inspections/inspectionplan/").status_code == 200

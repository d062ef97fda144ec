"""The catalogue from Excel: items with their steps and fees, all or nothing, every error with its
row and column; the admin lists, filters and searches the catalogue."""

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from approvals.models import ApprovalFee, ApprovalItem, ApprovalStep
from approvals.services.catalogue import catalogue_import, catalogue_template
from approvals.tests import factories as f
from complaints.tests import factories as complaint_factories
from inspections.tests.factories import staff

pytestmark = pytest.mark.django_db

HEADERS = [
    "事项编码",
    "部门",
    "事项名称",
    "事项类型",
    "法定时限",
    "承诺时限",
    "进驻大厅",
    "环节序号",
    "环节名称",
    "环节时限",
    "收费编码",
    "收费名称",
    "收费依据",
    "收费标准",
]


def xlsx(lines, headers=HEADERS) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(headers)
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def market():
    return complaint_factories.department(name="市场监督管理局", short_name="市场监管")


GOOD = [
    [
        "SC-001",
        "市场监管",
        "食品经营许可",
        "许可",
        20,
        10,
        "是",
        1,
        "受理",
        1,
        "GB-1",
        "工本费",
        "《收费办法》",
        10,
    ],
    ["SC-001", "", "", "", None, None, "", 2, "审查", 6, "", "", "", None],
    ["SC-001", "", "", "", None, None, "", 3, "决定", 3, "", "", "", None],
    ["SC-002", "市场监督管理局", "营业执照变更登记", "service", 5, 3, "否", None, "", None, "", "", "", None],
]


def test_a_catalogue_creates_items_with_their_steps_and_fees(market):
    result = catalogue_import(content=xlsx(GOOD), actor=None)
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    item = ApprovalItem.objects.get(code="SC-001")
    assert (item.department, item.kind, item.statutory_days, item.promised_days, item.in_hall) == (
        market,
        ApprovalItem.Kind.LICENCE,
        20,
        10,
        True,
    )
    assert list(item.steps.values_list("position", "name", "limit_days")) == [
        (1, "受理", 1),
        (2, "审查", 6),
        (3, "决定", 3),
    ]
    assert item.fees.get().amount == Decimal("10.00")
    assert ApprovalItem.objects.get(code="SC-002").in_hall is False


def test_a_second_import_updates_steps_and_fees_by_position_and_code(market):
    catalogue_import(content=xlsx(GOOD), actor=None)
    step_ids = dict(ApprovalStep.objects.values_list("position", "pk"))
    again = catalogue_import(content=xlsx(GOOD), actor=None)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    changed = [
        ["SC-001", "", "", "", None, None, "", 1, "受理", 2, "GB-2", "证书费", "《收费办法》", 5],
        ["SC-001", "", "", "", None, None, "", 2, "审查并决定", 8, "", "", "", None],
    ]
    result = catalogue_import(content=xlsx(changed), actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    item = ApprovalItem.objects.get(code="SC-001")
    assert list(item.steps.values_list("position", "name", "limit_days")) == [
        (1, "受理", 2),
        (2, "审查并决定", 8),
    ]
    assert item.steps.get(position=1).pk == step_ids[1]  # the same step, its limit changed
    assert list(item.fees.values_list("code", flat=True)) == ["GB-2"]
    assert item.promised_days == 10  # empty cells leave the item as it was


def test_any_bad_row_saves_nothing_and_lists_every_error(market):
    bad = [
        *GOOD,
        ["SC-003", "无此部门", "事项三", "许可", 10, 12, "是", 1, "受理", None, "", "", "", None],
        ["SC-004", "市场监管", "事项四", "许可", 10, 5, "也许", None, "", None, "F", "费", "", "-1"],
    ]
    result = catalogue_import(content=xlsx(bad), actor=None)
    assert not result.ok
    found = {(error.row, error.column.split()[0]) for error in result.errors}
    assert {(6, "部门"), (6, "环节序号"), (7, "进驻大厅"), (7, "收费标准")} <= found
    assert not ApprovalItem.objects.exists() and not ApprovalStep.objects.exists()


def test_a_promise_longer_than_the_law_is_refused(market):
    line = ["SC-009", "市场监管", "事项九", "许可", 5, 8, "是", None, "", None, "", "", "", None]
    result = catalogue_import(content=xlsx([line]), actor=None)
    assert [(e.row, e.column.split()[0]) for e in result.errors] == [(2, "承诺时限")]
    assert not ApprovalItem.objects.exists()


def test_a_check_only_run_saves_nothing(market):
    result = catalogue_import(content=xlsx(GOOD), actor=None, dry_run=True)
    assert result.ok and result.created == 2
    assert not ApprovalItem.objects.exists()


def test_the_template_has_the_columns():
    sheet = openpyxl.load_workbook(io.BytesIO(catalogue_template())).worksheets[0]
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "事项编码 item code" and "收费标准 fee amount" in headers


@pytest.fixture
def staff_client(client):
    client.force_login(staff("Office head"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_the_admin_imports_the_catalogue_or_shows_the_row_errors(staff_client, market):
    url = "/admin/approvals/approvalitem/import/"
    bad = SimpleUploadedFile("c.xlsx", xlsx([["SC-1", "市场监管", "", "许可", 5, 3, "是"]], HEADERS[:7]))
    page = staff_client.post(url, {"file": bad}).content.decode()
    assert 'id="import-errors"' in page and not ApprovalItem.objects.exists()
    good = SimpleUploadedFile("c.xlsx", xlsx(GOOD))
    assert staff_client.post(url, {"file": good}).status_code == 302
    assert ApprovalItem.objects.count() == 2
    assert staff_client.get(url + "template/").status_code == 200


def test_the_catalogue_list_filters_and_searches(staff_client, market):
    other = complaint_factories.department()
    f.item(department=market, code="SC-100", steps=(2, 3), fees=(("F1", "100.00"),))
    f.item(department=other, code="HB-200", steps=(2, 3), fees=(("F1", "100.00"),))
    base = "/admin/approvals/approvalitem/"
    page = staff_client.get(base, {"department__id__exact": other.pk}).content.decode()
    assert "HB-200" in page and "SC-100" not in page
    page = staff_client.get(base, {"q": "SC-100"}).content.decode()
    assert "SC-100" in page and "HB-200" not in page
    item = ApprovalItem.objects.get(code="SC-100")
    change = staff_client.get(f"{base}{item.pk}/change/").content.decode()
    assert "环节1" in change and "收费F1" in change


def test_a_handler_reads_the_catalogue_but_does_not_import(client, market):
    client.force_login(staff("Case handler"))
    assert client.get("/admin/approvals/approvalitem/").status_code == 200
    assert client.get("/admin/approvals/approvalitem/import/").status_code == 403
    assert ApprovalFee.objects.count() == 0

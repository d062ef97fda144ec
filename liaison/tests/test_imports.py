"""Imports of departments and liaison points from Excel: all or nothing, every error reported."""

import datetime
import io
import zipfile

import openpyxl
import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from liaison.imports import MAX_ROWS, RowError, directory_import
from liaison.models import Department, LiaisonPoint
from liaison.tests.factories import DEPARTMENT_HEADERS, POINT_HEADERS, workbook

pytestmark = pytest.mark.django_db

EMAIL, NAME = "电子邮箱 e-mail", "名称 name"


def department_row(name, **values):
    row = {
        "short_name": "",
        "system": "",
        "is_key": "",
        "email": "",
        "phone": "",
        "head_name": "",
        "head_email": "",
        "leader": "",
        "leader_email": "",
    }
    row.update(values)
    return [name, *row.values()]


def good_departments() -> bytes:
    return workbook(
        DEPARTMENT_HEADERS,
        [
            department_row(
                "市交通运输局", short_name="交通局", system="交通运输", is_key="是", email="jt@dept.example"
            ),
            department_row(
                "市税务局", short_name="税务局", system="TAX", is_key="ｙｅｓ", head_name="李局长"
            ),
            department_row("市公安局", system="Public security", is_key=0, phone=88886666, leader="赵刚"),
        ],
    )


def upload(content: bytes, name: str = "directory.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


# --- Good workbooks -------------------------------------------------------------------------


def test_a_good_workbook_creates_and_updates_departments(superuser):
    Department.objects.create(name="市税务局", system="other", email="old@dept.example")

    result = directory_import(kind="departments", content=good_departments(), actor=superuser)

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    assert result.summary() == "2 created, 1 updated, 0 unchanged."
    transport = Department.objects.get(name="市交通运输局")
    assert (transport.system, transport.is_key, transport.email) == ("transport", True, "jt@dept.example")
    tax = Department.objects.get(name="市税务局")
    # Every imported column is the truth, empty cells too; columns not imported are kept.
    assert (tax.system, tax.is_key, tax.head_name, tax.email, tax.is_active) == (
        "tax",
        True,
        "李局长",
        "",
        True,
    )
    police = Department.objects.get(name="市公安局")
    assert (police.system, police.is_key, police.phone, police.supervising_leader) == (
        "police",
        False,
        "88886666",
        "赵刚",
    )
    again = directory_import(kind="departments", content=good_departments(), actor=superuser)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_empty_choice_or_yes_no_cell_keeps_the_current_value(superuser):
    Department.objects.create(name="市生态环境局", system="environment", is_key=True)
    content = workbook(
        [NAME, "系统 system", "重点部门 key department"], [["市生态环境局", None, ""], ["市新局", "", ""]]
    )
    result = directory_import(kind="departments", content=content, actor=superuser)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 1)
    assert Department.objects.filter(name="市生态环境局", system="environment", is_key=True).exists()
    assert Department.objects.filter(name="市新局", system="other", is_key=False).exists()


def test_headers_may_be_chinese_or_english_in_any_order(superuser):
    content = workbook(["e-mail", "名称"], [["a@dept.example", "市甲局"]])
    result = directory_import(kind="departments", content=content, actor=superuser)
    assert result.ok and Department.objects.get(name="市甲局").email == "a@dept.example"


def test_the_import_costs_the_same_queries_for_3_and_30_rows(superuser):
    def run(names):
        Department.objects.create(name=names[0])  # one update among the creations
        rows = [department_row(name, email=f"d{i}@dept.example") for i, name in enumerate(names)]
        with CaptureQueriesContext(connection) as queries:
            result = directory_import(
                kind="departments", content=workbook(DEPARTMENT_HEADERS, rows), actor=superuser
            )
        assert result.ok and result.updated == 1 and result.created == len(names) - 1
        return len(queries)

    assert run([f"甲{i}局" for i in range(3)]) == run([f"乙{i}局" for i in range(30)])


def test_the_admin_upload_form_imports_a_good_workbook(admin_client):
    Department.objects.create(name="市税务局")
    response = admin_client.post("/admin/liaison/department/import/", {"file": upload(good_departments())})
    assert response.status_code == 302 and response.url == "/admin/liaison/department/"
    page = admin_client.get(response.url).content.decode()
    assert "2 created, 1 updated, 0 unchanged." in page
    assert Department.objects.count() == 3


def test_check_only_in_the_admin_saves_nothing_and_says_what_would_happen(admin_client):
    response = admin_client.post(
        "/admin/liaison/department/import/", {"file": upload(good_departments()), "check_only": "on"}
    )
    assert response.status_code == 200
    assert "Check only, nothing was saved: 3 created, 0 updated, 0 unchanged." in response.content.decode()
    assert not Department.objects.exists()


def test_liaison_points_take_excel_dates_iso_dates_and_labels(superuser):
    LiaisonPoint.objects.create(
        enterprise_name="华兴机械制造有限公司", contact_name="旧联系人", appointed_on="2025-01-01"
    )
    content = workbook(
        POINT_HEADERS,
        [
            [
                "华兴机械制造有限公司",
                "制造业",
                "经济开发区1号路",
                "王建国",
                13900000001,
                "",
                datetime.datetime(2026, 3, 1),
                "2028-02-28",
                "在任",
            ],
            [
                "鑫源商贸有限公司",
                "批发零售",
                "",
                "李秀英",
                "",
                "li@qy.example",
                "2026-03-02",
                None,
                "Suspended",
            ],
            ["恒通机械制造有限公司", "", "", "张志强", "", "", "2026/3/3", "", "ended"],
        ],
    )
    result = directory_import(kind="liaison_points", content=content, actor=superuser)
    assert result.errors == [] and (result.created, result.updated) == (2, 1)
    huaxing = LiaisonPoint.objects.get(enterprise_name="华兴机械制造有限公司")
    assert (
        huaxing.contact_name,
        huaxing.phone,
        huaxing.appointed_on,
        huaxing.term_ends_on,
        huaxing.status,
    ) == (
        "王建国",
        "13900000001",
        datetime.date(2026, 3, 1),
        datetime.date(2028, 2, 28),
        "active",
    )
    assert LiaisonPoint.objects.get(enterprise_name="鑫源商贸有限公司").status == "suspended"
    hengtong = LiaisonPoint.objects.get(enterprise_name="恒通机械制造有限公司")
    assert (hengtong.appointed_on, hengtong.term_ends_on, hengtong.status) == (
        datetime.date(2026, 3, 3),
        None,
        "ended",
    )


# --- Bad workbooks: everything reported, nothing saved --------------------------------------


def test_a_workbook_with_bad_rows_reports_exactly_those_and_saves_nothing(superuser):
    Department.objects.create(name="市税务局", email="tax@dept.example")
    content = workbook(
        DEPARTMENT_HEADERS,
        [
            department_row("市交通运输局", email="jt@dept.example"),  # row 2, valid
            department_row("市税务局", email="new@dept.example"),  # row 3, a valid update
            department_row("市公安局", email="not-an-email"),  # row 4
            department_row("市人社局", system="hr"),  # row 5, valid
            department_row(None, short_name="无名局"),  # row 6
            department_row("市交通运输局", short_name="重复"),  # row 7
        ],
    )
    result = directory_import(kind="departments", content=content, actor=superuser)

    assert result.errors == [
        RowError(row=4, column=EMAIL, value="not-an-email", message="Enter a valid email address."),
        RowError(row=6, column=NAME, value="", message="This cell cannot be empty."),
        RowError(
            row=7,
            column=NAME,
            value="市交通运输局",
            message="Already on row 2: each one may appear only once.",
        ),
    ]
    assert (result.created, result.updated) == (0, 0)
    assert result.summary() == "Nothing was imported: 3 errors."
    assert list(Department.objects.values_list("name", "email")) == [("市税务局", "tax@dept.example")]


def test_the_admin_shows_the_full_error_table_and_saves_nothing(admin_client):
    content = workbook(
        DEPARTMENT_HEADERS,
        [
            department_row("市交通运输局"),
            department_row("市税务局", is_key="maybe", system="交通部", head_email="head@"),
        ],
    )
    response = admin_client.post("/admin/liaison/department/import/", {"file": upload(content)})
    assert response.status_code == 200
    errors = response.context["row_errors"]
    assert [(e.row, e.column, e.value) for e in errors] == [
        (3, "系统 system", "交通部"),
        (3, "重点部门 key department", "maybe"),
        (3, "负责人邮箱 head e-mail", "head@"),
    ]
    assert errors[0].message.startswith("Unknown value: use one of market (")
    assert errors[1].message == "Enter 是 or 否 (yes or no, 1 or 0)."
    page = response.content.decode()
    assert 'id="import-errors"' in page and "Nothing was imported: 3 errors." in page
    assert not Department.objects.exists()


def test_liaison_point_rows_are_checked_for_dates_terms_and_required_cells(superuser):
    content = workbook(
        POINT_HEADERS,
        [
            ["甲公司", "", "", "王", "", "", "明年", "", ""],
            ["乙公司", "", "", "", "", "", "2026-02-30", "", "retired"],
            ["丙公司", "", "", "李", "", "", "2026-03-01", "2026-02-01", ""],
        ],
    )
    result = directory_import(kind="liaison_points", content=content, actor=superuser)
    date_error = "Enter a date as YYYY-MM-DD, or use an Excel date cell."
    assert [(e.row, e.column, e.value, e.message) for e in result.errors] == [
        (2, "聘任日期 appointed on", "明年", date_error),
        (3, "联系人 contact person", "", "This cell cannot be empty."),
        (3, "聘任日期 appointed on", "2026-02-30", date_error),
        (3, "状态 status", "retired", result.errors[3].message),
        (4, "任期届满 term ends on", "2026-02-01", "The term cannot end before the appointment date."),
    ]
    assert not LiaisonPoint.objects.exists()


def test_a_name_shared_by_two_liaison_points_cannot_be_updated(superuser):
    for _ in range(2):
        LiaisonPoint.objects.create(enterprise_name="同名公司", contact_name="王", appointed_on="2026-01-01")
    content = workbook(POINT_HEADERS, [["同名公司", "", "", "李", "", "", "2026-03-01", "", ""]])
    result = directory_import(kind="liaison_points", content=content, actor=superuser)
    assert [(e.row, e.message) for e in result.errors] == [
        (2, "2 entries have this name; edit them in the admin instead.")
    ]


def test_unknown_and_missing_columns_are_reported_on_row_1(superuser):
    content = workbook(["简称 short name", "emial", "简称"], [["甲", "a@b.example", "乙"]])
    result = directory_import(kind="departments", content=content, actor=superuser)
    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (1, "emial", "Unknown column: use the headers of the template."),
        (1, "简称 short name", "This column appears twice."),
        (1, NAME, "This column is missing."),
    ]


# --- Files that are refused -----------------------------------------------------------------


def test_a_non_xlsx_file_renamed_xlsx_is_refused(superuser, admin_client):
    csv = "名称 name,电子邮箱 e-mail\n市税务局,tax@dept.example\n".encode()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zip_file:
        zip_file.writestr("hello.txt", "not a workbook")
    message = "This file is not an Excel workbook (.xlsx). Save it as .xlsx and try again."
    for content in (csv, archive.getvalue(), b""):
        result = directory_import(kind="departments", content=content, actor=superuser)
        assert result.errors == [RowError(row=None, column="", value="", message=message)]

    response = admin_client.post(
        "/admin/liaison/department/import/", {"file": upload(csv, "departments.xlsx")}
    )
    assert response.status_code == 200 and message in response.content.decode()
    assert not Department.objects.exists()


def test_a_file_over_5_mb_is_refused(superuser, admin_client):
    big = b"PK" + b"\0" * (5 * 1024 * 1024)
    result = directory_import(kind="departments", content=big, actor=superuser)
    assert [e.message for e in result.errors] == ["The file is larger than 5 MB."]
    response = admin_client.post("/admin/liaison/department/import/", {"file": upload(big)})
    assert "The file is larger than 5 MB." in response.content.decode()


def test_more_than_5000_rows_are_refused(superuser):
    content = workbook([NAME], [[f"局{i}"] for i in range(MAX_ROWS + 1)])
    result = directory_import(kind="departments", content=content, actor=superuser)
    assert [e.message for e in result.errors] == ["The file has more than 5000 rows; split it."]
    assert not Department.objects.exists()


def test_a_workbook_with_only_the_header_is_refused(superuser):
    result = directory_import(kind="departments", content=workbook(DEPARTMENT_HEADERS, []), actor=superuser)
    assert [e.message for e in result.errors] == ["The first worksheet has no rows below the header."]


# --- The upload page and the template -------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "headers"),
    [("/admin/liaison/department/", DEPARTMENT_HEADERS), ("/admin/liaison/liaisonpoint/", POINT_HEADERS)],
)
def test_the_template_downloads_and_reads_back_with_the_expected_headers(admin_client, url, headers):
    changelist = admin_client.get(url).content.decode()
    assert f'href="{url}import/"' in changelist and "Import from Excel" in changelist
    page = admin_client.get(f"{url}import/").content.decode()
    assert f'href="{url}import/template/"' in page
    assert all(header in page for header in headers)

    response = admin_client.get(f"{url}import/template/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"].startswith("attachment;")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    sheet = book.worksheets[0]
    assert [cell.value for cell in sheet[1]] == headers
    assert sheet.max_row == 1  # blank
    notes = book.worksheets[1]
    assert [
        row[0] for row in notes.iter_rows(min_row=2, max_row=len(headers) + 1, values_only=True)
    ] == headers


def test_a_filled_in_template_imports(superuser, admin_client):
    response = admin_client.get("/admin/liaison/liaisonpoint/import/template/")
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    book.worksheets[0].append(
        ["华兴机械制造有限公司", "制造业", "", "王建国", "", "", datetime.date(2026, 3, 1)]
    )
    buffer = io.BytesIO()
    book.save(buffer)
    result = directory_import(kind="liaison_points", content=buffer.getvalue(), actor=superuser)
    assert result.errors == [] and result.created == 1


def test_only_staff_who_may_add_and_change_can_import(client):
    viewer = User.objects.create_user("viewer", password="pw-12345678", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_department"))
    client.force_login(viewer)
    assert "Import from Excel" not in client.get("/admin/liaison/department/").content.decode()
    assert client.get("/admin/liaison/department/import/").status_code == 403
    assert (
        client.post("/admin/liaison/department/import/", {"file": upload(good_departments())}).status_code
        == 403
    )
    assert client.get("/admin/liaison/department/import/template/").status_code == 200
    assert not Department.objects.exists()

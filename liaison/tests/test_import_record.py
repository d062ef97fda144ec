"""Every saved directory import is on the record (who, what, when, how many), written by the
import in the transaction that saves the rows; a check or a refused file leaves none."""

import getpass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from liaison.imports import directory_import
from liaison.models import Department, DirectoryImport
from liaison.tests.factories import DEPARTMENT_HEADERS, POINT_HEADERS, workbook

pytestmark = pytest.mark.django_db


def departments(*names: str) -> bytes:
    return workbook(DEPARTMENT_HEADERS, [[name] for name in names])


def test_a_saved_import_records_who_what_and_how_many(superuser):
    Department.objects.create(name="市税务局", email="old@dept.example")
    content = workbook(
        DEPARTMENT_HEADERS,
        [["市税务局", "", "", "", "new@dept.example"], ["市交通运输局"], ["市公安局"]],
    )
    result = directory_import(kind="departments", content=content, actor=superuser, file_name="部门.xlsx")
    assert result.ok
    record = DirectoryImport.objects.get()
    assert (record.kind, record.source, record.file_name) == ("departments", "workplace", "部门.xlsx")
    assert record.imported_by == superuser and record.imported_at is not None
    assert (record.rows, record.created, record.updated, record.unchanged) == (3, 2, 1, 0)


def test_a_check_only_or_a_refused_file_leaves_no_record(superuser):
    assert directory_import(
        kind="departments", content=departments("市甲局"), actor=superuser, dry_run=True
    ).ok
    bad = workbook(DEPARTMENT_HEADERS, [["市乙局", "", "", "", "not-an-address"]])
    assert not directory_import(kind="departments", content=bad, actor=superuser).ok
    assert not directory_import(kind="departments", content=b"not a workbook", actor=superuser).ok
    assert not DirectoryImport.objects.exists() and not Department.objects.exists()


def test_the_admin_upload_is_recorded_with_its_file_name(admin_client, superuser):
    upload = SimpleUploadedFile("单位名录.xlsx", departments("市甲局", "市乙局"))
    response = admin_client.post("/admin/liaison/department/import/", {"file": upload})
    assert response.status_code == 302
    record = DirectoryImport.objects.get()
    assert (record.file_name, record.source, record.imported_by) == ("单位名录.xlsx", "workplace", superuser)
    assert record.created == 2
    page = admin_client.get("/admin/liaison/directoryimport/").content.decode()
    assert "单位名录.xlsx" in page


def test_the_command_is_recorded_with_the_system_account(tmp_path):
    path = tmp_path / "points.xlsx"
    path.write_bytes(
        workbook(POINT_HEADERS, [["华兴机械制造有限公司", "", "", "王建国", "", "", "2026-03-01"]])
    )
    call_command("import_directory", "liaison_points", str(path))
    record = DirectoryImport.objects.get()
    assert (record.kind, record.source, record.file_name) == ("liaison_points", "command", "points.xlsx")
    assert record.imported_by is None and record.system_user == getpass.getuser()
    assert (record.rows, record.created, record.updated) == (1, 1, 0)


def test_a_command_that_fails_leaves_no_record(tmp_path):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(workbook(DEPARTMENT_HEADERS, [[None, "无名"]]))
    with pytest.raises(CommandError):
        call_command("import_directory", "departments", str(path))
    assert not DirectoryImport.objects.exists()


def test_the_record_is_read_only_in_the_workplace(admin_client, superuser):
    directory_import(kind="departments", content=departments("市甲局"), actor=superuser)
    record = DirectoryImport.objects.get()
    assert admin_client.get("/admin/liaison/directoryimport/add/").status_code == 403
    page = admin_client.get(f"/admin/liaison/directoryimport/{record.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    assert admin_client.post(f"/admin/liaison/directoryimport/{record.pk}/delete/").status_code == 403
    assert DirectoryImport.objects.filter(pk=record.pk).exists()

"""`manage.py import_directory`: the same service from the command line."""

import pytest
from django.core.management import CommandError, call_command

from liaison.models import Department, LiaisonPoint
from liaison.tests.factories import DEPARTMENT_HEADERS, POINT_HEADERS, workbook

pytestmark = pytest.mark.django_db


def write(tmp_path, content: bytes):
    path = tmp_path / "directory.xlsx"
    path.write_bytes(content)
    return str(path)


def test_dry_run_saves_nothing_and_prints_the_summary(tmp_path, capsys):
    path = write(tmp_path, workbook(DEPARTMENT_HEADERS, [["市税务局"], ["市交通运输局"]]))
    call_command("import_directory", "departments", path, "--dry-run")
    assert "Check only, nothing was saved: 2 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert not Department.objects.exists()


def test_the_command_imports_liaison_points(tmp_path, capsys):
    path = write(
        tmp_path, workbook(POINT_HEADERS, [["华兴机械制造有限公司", "", "", "王建国", "", "", "2026-03-01"]])
    )
    call_command("import_directory", "liaison_points", path)
    assert "1 created, 0 updated, 0 unchanged." in capsys.readouterr().out
    assert LiaisonPoint.objects.get().contact_name == "王建国"


def test_the_command_prints_every_error_and_fails(tmp_path, capsys):
    path = write(tmp_path, workbook(DEPARTMENT_HEADERS, [["市税务局", "", "", "", "bad"], [None, "无名"]]))
    with pytest.raises(CommandError, match="Nothing was imported: 2 errors."):
        call_command("import_directory", "departments", path)
    err = capsys.readouterr().err
    assert "row 2, 电子邮箱 e-mail “bad”: Enter a valid email address." in err
    assert "row 3, 名称 name: This cell cannot be empty." in err
    assert not Department.objects.exists()


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_directory", "departments", str(tmp_path / "nope.xlsx"))

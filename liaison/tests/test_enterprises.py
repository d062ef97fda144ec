"""The enterprise registry: its Excel import (all or nothing, by credit code, 20,000 rows in a
constant-ish number of queries) and its admin list (search by code = one indexed lookup)."""

import io
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.validators import credit_code_check_character, organization_code_check_character
from liaison.imports import ENTERPRISES, directory_import, directory_template
from liaison.models import DirectoryImport, Enterprise

pytestmark = pytest.mark.django_db

HEADERS = [
    "统一社会信用代码 credit code",
    "企业名称 name",
    "地址 address",
    "区县 district",
    "行业 industry",
    "风险等级 risk class",
    "无事不扰 no disturbance",
]
CODE = "统一社会信用代码 credit code"


def credit_code(n: int) -> str:
    body = f"{n:08d}"
    first17 = "91" + "440300" + body + organization_code_check_character(body)
    return first17 + credit_code_check_character(first17)


def xlsx(headers, rows) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def row(n, **values):
    data = {
        "code": credit_code(n),
        "name": f"企业{n}有限公司",
        "address": f"路{n}号",
        "district": "南山区" if n % 2 else "福田区",
        "industry": "制造业",
        "risk": "B",
        "quiet": "否",
    }
    data.update(values)
    return list(data.values())


def run(rows, headers=HEADERS, **kwargs):
    return directory_import(kind=ENTERPRISES, content=xlsx(headers, rows), actor=None, **kwargs)


def test_a_good_file_creates_and_updates_by_credit_code():
    Enterprise.objects.create(credit_code=credit_code(1), name="旧名称", risk_class="D", no_disturbance=True)
    # Full-width and spaced codes, labels in either language, codes in lower case.
    spaced = " ".join(credit_code(2)[i : i + 6] for i in range(0, 18, 6)).lower()
    result = run(
        [
            row(1, name="新名称", risk="", quiet=""),  # empty choice: unchanged
            row(2, code=spaced, risk="C: elevated risk", quiet="是"),
            row(3, risk="ｄ", quiet=1),
        ]
    )
    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)
    first = Enterprise.objects.get(credit_code=credit_code(1))
    assert (first.name, first.risk_class, first.no_disturbance) == ("新名称", "D", True)
    second = Enterprise.objects.get(credit_code=credit_code(2))
    assert (second.risk_class, second.no_disturbance) == ("C", True)
    assert Enterprise.objects.get(credit_code=credit_code(3)).risk_class == "D"
    record = DirectoryImport.objects.get()
    assert (record.kind, record.rows, record.created, record.updated) == ("enterprises", 3, 2, 1)


def test_any_bad_row_saves_nothing_and_every_error_is_listed():
    bad_check = credit_code(5)[:-1] + ("0" if credit_code(5)[-1] != "0" else "1")
    result = run(
        [
            row(4),
            row(5, code=bad_check),
            row(6, risk="E"),
            row(7, quiet="maybe"),
            row(4, name="again"),  # the same code twice
            row(8, name=""),
        ]
    )
    assert not result.ok
    assert Enterprise.objects.count() == 0 and DirectoryImport.objects.count() == 0
    where = {(error.row, error.column) for error in result.errors}
    assert (3, CODE) in where  # check character
    assert (4, "风险等级 risk class") in where
    assert (5, "无事不扰 no disturbance") in where
    assert (6, CODE) in where  # duplicate
    assert (7, "企业名称 name") in where
    assert not any(error.row == 2 for error in result.errors)
    duplicate = next(e for e in result.errors if e.row == 6)
    assert "row 2" in duplicate.message


def test_an_error_in_a_late_chunk_rolls_back_the_chunks_already_written(monkeypatch):
    monkeypatch.setattr("liaison.imports.CHUNK_ROWS", 10)
    rows = [row(n) for n in range(100, 130)]
    rows.append(row(200, risk="Z"))
    result = run(rows)
    assert not result.ok and [e.row for e in result.errors] == [32]
    assert Enterprise.objects.count() == 0


def test_a_dry_run_counts_and_saves_nothing():
    result = run([row(n) for n in range(10)], dry_run=True)
    assert result.ok and result.created == 10 and result.dry_run
    assert Enterprise.objects.count() == 0 and DirectoryImport.objects.count() == 0


def test_a_missing_required_column_refuses_the_file():
    result = run([["企业"]], headers=["企业名称 name"])
    assert not result.ok and result.errors[0].row == 1 and result.errors[0].column == CODE


def test_twenty_thousand_rows_in_bulk_with_a_constant_number_of_queries():
    Enterprise.objects.bulk_create(
        [Enterprise(credit_code=credit_code(n), name=f"旧{n}") for n in range(0, 20_000, 4)]
    )

    def queries_for(count):
        content = xlsx(HEADERS, [row(n) for n in range(count)])
        Enterprise.objects.all().delete()
        Enterprise.objects.bulk_create(
            [Enterprise(credit_code=credit_code(n), name=f"旧{n}") for n in range(0, count, 4)]
        )
        started = time.monotonic()
        with CaptureQueriesContext(connection) as queries:
            result = directory_import(kind=ENTERPRISES, content=content, actor=None)
        elapsed = time.monotonic() - started
        assert result.ok, result.errors[:3]
        assert result.created == count - len(range(0, count, 4)) and result.updated == len(range(0, count, 4))
        return len(queries), elapsed

    small, _ = queries_for(50)
    large, elapsed = queries_for(20_000)
    # Ten chunks of 2,000: a fixed handful of statements each (lookup, inserts, updates).
    assert large <= small * 10 + 10
    assert large < 200
    assert elapsed < 60, elapsed
    assert Enterprise.objects.count() == 20_000


def test_the_template_names_the_columns():
    sheet = openpyxl.load_workbook(io.BytesIO(directory_template(ENTERPRISES))).worksheets[0]
    assert [cell.value for cell in sheet[1]][:2] == [CODE, "企业名称 name"]


def test_the_import_command_imports_enterprises(tmp_path):
    from django.core.management import call_command

    path = tmp_path / "registry.xlsx"
    path.write_bytes(xlsx(HEADERS, [row(1), row(2)]))
    call_command("import_directory", "enterprises", str(path))
    assert Enterprise.objects.count() == 2
    assert DirectoryImport.objects.get().source == DirectoryImport.Source.COMMAND


# --- The admin --------------------------------------------------------------------------------


def test_the_admin_upload_imports_and_reports_row_errors(admin_client):
    good = SimpleUploadedFile("r.xlsx", xlsx(HEADERS, [row(1), row(2)]))
    response = admin_client.post("/admin/liaison/enterprise/import/", {"file": good})
    assert response.status_code == 302
    assert Enterprise.objects.count() == 2
    bad = SimpleUploadedFile("r.xlsx", xlsx(HEADERS, [row(3), row(4, risk="X")]))
    page = admin_client.post("/admin/liaison/enterprise/import/", {"file": bad}).content.decode()
    assert 'id="import-errors"' in page and "<td>3</td>" in page
    assert Enterprise.objects.count() == 2


def test_a_credit_code_search_is_one_indexed_lookup(admin_client):
    Enterprise.objects.bulk_create(
        [Enterprise(credit_code=credit_code(n), name=f"企业{n}") for n in range(1, 60)]
    )
    target = credit_code(42)
    spaced = f"{target[:9]} {target[9:]}".lower()
    with CaptureQueriesContext(connection) as queries:
        page = admin_client.get("/admin/liaison/enterprise/", {"q": spaced}).content.decode()
    assert "企业42<" in page and "企业41<" not in page
    # The filters' district and industry values (cached) aside, every read of the registry is
    # the equality on the unique credit code.
    lookups = [
        q["sql"] for q in queries if 'FROM "liaison_enterprise"' in q["sql"] and "DISTINCT" not in q["sql"]
    ]
    assert lookups and all(f"\"credit_code\" = '{target}'" in sql for sql in lookups)
    assert not any("UPPER" in sql or "LIKE" in sql for sql in lookups)
    # A name searches the names.
    page = admin_client.get("/admin/liaison/enterprise/", {"q": "企业5"}).content.decode()
    assert "企业5<" in page and "企业55<" in page and "企业42<" not in page


def test_the_list_filters_and_its_queries_do_not_grow(admin_client):
    Enterprise.objects.bulk_create(
        [
            Enterprise(
                credit_code=credit_code(n),
                name=f"企业{n}",
                district="南山区" if n % 2 else "福田区",
                risk_class="D" if n % 3 == 0 else "A",
                no_disturbance=n % 5 == 0,
            )
            for n in range(1, 30)
        ]
    )
    page = admin_client.get(
        "/admin/liaison/enterprise/", {"district": "南山区", "risk_class__exact": "D"}
    ).content.decode()
    assert "企业3<" in page and "企业9<" in page and "企业6<" not in page and "企业1<" not in page

    def count():
        with CaptureQueriesContext(connection) as queries:
            assert admin_client.get("/admin/liaison/enterprise/").status_code == 200
        return len(queries)

    first = count()
    Enterprise.objects.bulk_create(
        [Enterprise(credit_code=credit_code(n), name=f"企业{n}") for n in range(100, 160)]
    )
    assert count() <= first

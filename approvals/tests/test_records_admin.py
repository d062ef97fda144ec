"""The records admin: the filters the assessment's drill-downs use count what they say, the page
sends the same statements however many records it shows, and staff import records from a
workbook or CSV file through the same service as the API (all or nothing, errors by line)."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from approvals.models import ApprovalRecord
from approvals.services.ingest import records_ingest
from approvals.tests import factories as f
from complaints.tests import factories as complaint_factories
from inspections.tests.factories import staff

pytestmark = pytest.mark.django_db

LIST = "/admin/approvals/approvalrecord/"


@pytest.fixture
def staff_client(client):
    client.force_login(staff("Office head"))
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def decided(item, external_id, *, accepted="2026-09-30T09:30:00+08:00", on="2026-10-09", **extra):
    return f.row(
        item,
        external_id,
        accepted_at=accepted,
        decision=extra.pop("decision", "approved"),
        decided_at=f"{on}T16:00:00+08:00",
        decided_where="hall",
        **extra,
    )


@pytest.fixture
def records():
    mine, other = complaint_factories.department(), complaint_factories.department()
    item = f.item(
        department=mine, promised_days=5, steps=(2, 3), fees=(("F1", "100.00"),)
    )  # accepted 30 Sep 2026: due 13 Oct
    other_item = f.item(department=other, promised_days=5, steps=(2, 3), fees=(("F1", "100.00"),))
    today = timezone.localdate()
    long_ago = (today - dt.timedelta(days=60)).isoformat() + "T09:00:00+08:00"
    rows = [
        decided(item, "ON-1", on="2026-10-09"),
        decided(item, "ON-2", on="2026-10-13"),  # the promised day itself: on time
        decided(item, "LATE-1", on="2026-10-14"),
        decided(item, "REF-1", on="2026-10-20", decision="refused", refusal_reason="材料不全"),
        f.row(item, "OVERDUE-1", accepted_at=long_ago, steps=[]),
        f.row(item, "PENDING-1", accepted_at=timezone.now().isoformat(), steps=[]),
        decided(other_item, "OTHER-1", on="2026-10-09"),
    ]
    records_ingest(rows, actor=None)
    return {"item": item, "other_item": other_item, "mine": mine, "other": other}


def listed(client, **params) -> set[str]:
    response = client.get(LIST, params)
    assert response.status_code == 200, response.content[:500]
    return {record.external_id for record in response.context["cl"].result_list}


def test_timeliness_counts_what_it_says(staff_client, records):
    mine = {"department__id__exact": records["mine"].pk}
    assert listed(staff_client, timeliness="on_time", **mine) == {"ON-1", "ON-2"}
    assert listed(staff_client, timeliness="late", **mine) == {"LATE-1", "REF-1"}
    assert listed(staff_client, timeliness="overdue", **mine) == {"OVERDUE-1"}
    assert listed(staff_client, timeliness="pending", **mine) == {"OVERDUE-1", "PENDING-1"}


def test_the_drill_down_filters_of_the_contract(staff_client, records):
    assert listed(staff_client, item__id__exact=records["other_item"].pk) == {"OTHER-1"}
    assert listed(staff_client, decision__exact="refused") == {"REF-1"}
    assert listed(
        staff_client, decision__in="approved,refused", department__id__exact=records["mine"].pk
    ) == {
        "ON-1",
        "ON-2",
        "LATE-1",
        "REF-1",
    }
    october = {"decided_on__gte": "2026-10-10", "decided_on__lt": "2026-10-15"}
    assert listed(staff_client, **october) == {"ON-2", "LATE-1"}
    # Accepted on 30 September, Shanghai time: in a period starting 30 September, not 1 October.
    assert "ON-1" in listed(staff_client, accepted_at__gte="2026-09-30", accepted_at__lt="2026-10-01")
    assert "ON-1" not in listed(staff_client, accepted_at__gte="2026-10-01", accepted_at__lt="2026-10-02")


def test_a_malformed_date_is_not_a_server_error(staff_client, records):
    response = staff_client.get(LIST, {"accepted_at__gte": "last tuesday"})
    assert response.status_code in (200, 302)


def test_search_by_application_number(staff_client, records):
    assert listed(staff_client, q="LATE-1") == {"LATE-1"}


def test_the_list_sends_the_same_statements_for_few_or_many_records(staff_client, records):
    def statements():
        with CaptureQueriesContext(connection) as queries:
            assert staff_client.get(LIST).status_code == 200
        return len(queries)

    statements()
    few = statements()
    records_ingest([decided(records["item"], f"MORE-{n}") for n in range(30)], actor=None)
    assert statements() == few


def test_a_record_page_shows_its_steps_and_fees(staff_client, records):
    record = ApprovalRecord.objects.get(external_id="ON-1")
    page = staff_client.get(reverse("admin:approvals_approvalrecord_change", args=[record.pk]))
    assert page.status_code == 200 and "窗口甲" in page.content.decode()


# --- Import by staff ------------------------------------------------------------------------------

HEADERS = [
    "办件编号",
    "事项编码",
    "申请人",
    "受理时间",
    "受理方式",
    "办理结果",
    "办结时间",
    "办结方式",
    "环节序号",
    "环节名称",
    "环节开始时间",
    "环节结束时间",
    "收费编码",
    "收费金额",
]


def xlsx(lines) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADERS)
    for line in lines:
        sheet.append(line)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_file(lines) -> bytes:
    text = "\n".join(",".join(str(cell) for cell in line) for line in [HEADERS, *lines])
    return text.encode("utf-8-sig")


def test_a_workbook_imports_records_with_their_steps_and_fees(staff_client, records):
    code = records["item"].code
    lines = [
        ["X-1", code, "某公司", dt.datetime(2026, 9, 30, 9, 30), "hall", "approved",
         dt.datetime(2026, 10, 9, 16, 0), "hall", 1, "受理", dt.datetime(2026, 9, 30, 9, 30),
         dt.datetime(2026, 9, 30, 10, 0), "F1", 100],
        ["X-1", "", "", None, "", "", None, "", 2, "决定", dt.datetime(2026, 10, 8, 9, 0),
         dt.datetime(2026, 10, 9, 16, 0), "", None],
    ]  # fmt: skip
    response = staff_client.post(LIST + "import/", {"file": SimpleUploadedFile("r.xlsx", xlsx(lines))})
    assert response.status_code == 302
    record = ApprovalRecord.objects.get(external_id="X-1")
    assert record.due_on == dt.date(2026, 10, 13) and record.decided_on == dt.date(2026, 10, 9)
    assert record.step_events.count() == 2 and record.fee_charges.get().fee_id is not None
    # The same file again: nothing changes.
    again = staff_client.post(LIST + "import/", {"file": SimpleUploadedFile("r.xlsx", xlsx(lines))})
    assert again.status_code == 302
    assert ApprovalRecord.objects.get(external_id="X-1").updated_at == record.updated_at


def test_a_csv_with_a_bad_line_saves_nothing_and_names_the_line(staff_client, records):
    code = records["item"].code
    lines = [
        ["C-1", code, "甲", "2026-09-30 09:30", "hall", "", "", "", "", "", "", "", "", ""],
        [
            "C-2",
            code,
            "乙",
            "2026/9/30 9:30",
            "hall",
            "approved",
            "2026-09-29 10:00",
            "hall",
            "",
            "",
            "",
            "",
            "",
            "",
        ],
        ["C-3", "NOPE", "丙", "2026-09-30 09:30", "street", "", "", "", "", "", "", "", "", ""],
    ]
    response = staff_client.post(LIST + "import/", {"file": SimpleUploadedFile("r.csv", csv_file(lines))})
    assert response.status_code == 200
    errors = [(e.row, e.column.split()[0]) for e in response.context["row_errors"]]
    assert (3, "办结时间") in errors  # decided before accepted
    assert (4, "事项编码") in errors  # not in the catalogue
    assert (4, "受理方式") in errors  # not a place
    assert not ApprovalRecord.objects.filter(external_id__startswith="C-").exists()


def test_only_those_who_may_push_records_import_them(client, records):
    client.force_login(staff("Case handler"))
    assert client.get(LIST).status_code == 200
    assert client.get(LIST + "import/").status_code == 403

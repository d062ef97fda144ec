"""records_ingest: every row checked, a bad batch refused whole with its row errors, a resend
changing nothing, working days on the PRC calendar."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from approvals.models import ApprovalFeeCharge, ApprovalRecord, ApprovalStepEvent
from approvals.services.ingest import IngestRejected, records_ingest
from approvals.tests import factories as f
from inspections.tests.factories import enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def item():
    return f.item(promised_days=5, steps=(1, 3), fees=(("F1", "100.00"),))


def problems_of(rows) -> list[tuple]:
    with pytest.raises(IngestRejected) as refused:
        records_ingest(rows, actor=None)
    return [(p.row, p.field) for p in refused.value.problems]


def test_accepted_on_30_september_with_5_working_days_is_due_on_13_october(item):
    # 1–7 October 2026 are holidays (weekend days included), Saturday 10 October is a make-up
    # working day: 8, 9, 10, 12, 13 October.
    result = records_ingest([f.row(item, "A-1")], actor=None)
    assert (result.created, result.updated, result.unchanged) == (1, 0, 0)
    record = ApprovalRecord.objects.get(external_id="A-1")
    assert record.due_on == dt.date(2026, 10, 13)
    assert record.department_id == item.department_id


def test_a_decision_late_in_the_shanghai_evening_counts_on_its_shanghai_day(item):
    row = f.row(
        item,
        "A-2",
        decision="approved",
        decided_at="2026-10-13T15:30:00Z",  # 23:30 in Shanghai, still 13 October
        decided_where="hall",
    )
    records_ingest([row], actor=None)
    record = ApprovalRecord.objects.get(external_id="A-2")
    assert record.decided_on == dt.date(2026, 10, 13)
    assert record.working_days_taken == 5
    assert record.decided_on <= record.due_on


def test_a_naive_time_is_shanghai_time(item):
    records_ingest([f.row(item, "A-3", accepted_at="2026-09-30T23:30:00", steps=[])], actor=None)
    record = ApprovalRecord.objects.get(external_id="A-3")
    assert record.accepted_at == dt.datetime(2026, 9, 30, 15, 30, tzinfo=dt.UTC)


def test_steps_and_fees_are_stored_with_their_working_days_and_catalogue_links(item):
    row = f.row(
        item,
        "A-4",
        steps=[
            {
                "position": 1,
                "name": "受理",
                "started_at": "2026-09-30T09:30:00+08:00",
                "finished_at": "2026-09-30T10:00:00+08:00",
                "officer": "甲",
            },
            {
                "position": 2,
                "name": "审查",
                "started_at": "2026-09-30T10:00:00+08:00",
                "finished_at": "2026-10-12T10:00:00+08:00",
                "officer": "乙",
            },
            {"position": 9, "name": "额外", "started_at": "2026-10-12T10:00:00+08:00"},
        ],
        fees=[
            {"code": "F1", "name": "工本费", "amount": "120.00"},
            {"code": "X9", "name": "其他", "amount": 50},
        ],
    )
    records_ingest([row], actor=None)
    steps = list(ApprovalStepEvent.objects.filter(record__external_id="A-4").order_by("position"))
    assert [(s.position, s.working_days_taken, s.step_id is not None) for s in steps] == [
        (1, 0, True),
        (2, 4, True),  # 8, 9, 10 (make-up) and 12 October
        (9, None, False),
    ]
    fees = {fee.code: fee for fee in ApprovalFeeCharge.objects.filter(record__external_id="A-4")}
    assert fees["F1"].fee_id is not None and fees["F1"].amount == Decimal("120.00")
    assert fees["X9"].fee_id is None


def test_the_enterprise_is_linked_by_its_credit_code(item):
    known = enterprise()
    records_ingest([f.row(item, "A-5", applicant_credit_code=known.credit_code)], actor=None)
    assert ApprovalRecord.objects.get(external_id="A-5").enterprise_id == known.pk


def test_a_resend_changes_nothing(item):
    rows = [
        f.row(item, "R-1"),
        f.row(
            item,
            "R-2",
            decision="refused",
            decided_at="2026-10-09T10:00:00+08:00",
            decided_where="hall",
            refusal_reason="材料不全",
            fees=[{"code": "F1", "name": "工本费", "amount": "100"}],
        ),
    ]
    assert records_ingest(rows, actor=None).created == 2
    before = {r.external_id: (r.pk, r.updated_at, r.received_at) for r in ApprovalRecord.objects.all()}
    steps_before = sorted(ApprovalStepEvent.objects.values_list("pk", flat=True))
    result = records_ingest(rows, actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    after = {r.external_id: (r.pk, r.updated_at, r.received_at) for r in ApprovalRecord.objects.all()}
    assert after == before
    assert sorted(ApprovalStepEvent.objects.values_list("pk", flat=True)) == steps_before
    assert ApprovalFeeCharge.objects.count() == 1


def test_a_later_state_updates_the_record_and_keeps_its_first_arrival(item):
    records_ingest([f.row(item, "U-1")], actor=None)
    first = ApprovalRecord.objects.get(external_id="U-1")
    later = f.row(
        item,
        "U-1",
        decision="approved",
        decided_at="2026-10-12T16:00:00+08:00",
        decided_where="hall",
        steps=[
            *f.row(item)["steps"],
            {
                "position": 2,
                "name": "决定",
                "started_at": "2026-10-08T09:00:00+08:00",
                "finished_at": "2026-10-12T16:00:00+08:00",
                "officer": "乙",
            },
        ],
    )
    result = records_ingest([later], actor=None)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    record = ApprovalRecord.objects.get(external_id="U-1")
    assert record.pk == first.pk and record.received_at == first.received_at
    assert record.updated_at > first.updated_at
    assert (record.decision, record.decided_on, record.working_days_taken) == (
        "approved",
        dt.date(2026, 10, 12),
        4,
    )
    assert record.step_events.count() == 2


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"applicant_credit_code": "91110000802100433X"}, "applicant_credit_code"),
        ({"item_code": "NO-SUCH-ITEM"}, "item_code"),
        ({"accepted_at": "2026-13-01T09:00:00+08:00"}, "accepted_at"),
        ({"accepted_at": "30/09/2026"}, "accepted_at"),
        ({"accepted_at": None}, "accepted_at"),
        ({"accepted_where": "street"}, "accepted_where"),
        ({"decision": "maybe"}, "decision"),
        (
            {"decision": "approved", "decided_at": "2026-09-29T09:00:00+08:00", "decided_where": "hall"},
            "decided_at",
        ),
        ({"decision": "approved", "decided_where": "hall"}, "decided_at"),
        ({"decision": "pending", "decided_at": "2026-10-09T09:00:00+08:00"}, "decided_at"),
        ({"external_id": ""}, "external_id"),
        ({"item_code": "A\x00B"}, "item_code"),
        (
            {
                "steps": [
                    {
                        "position": 1,
                        "started_at": "2026-10-02T09:00:00+08:00",
                        "finished_at": "2026-10-01T09:00:00+08:00",
                    }
                ]
            },
            "steps[0].finished_at",
        ),
        ({"steps": [{"position": "one", "started_at": "2026-10-02T09:00:00+08:00"}]}, "steps[0].position"),
        ({"fees": [{"code": "F1", "amount": "-5"}]}, "fees[0].amount"),
        ({"fees": [{"code": "F1", "amount": "1.234"}]}, "fees[0].amount"),
    ],
)
def test_a_bad_row_is_refused_on_its_field_and_nothing_is_written(item, overrides, field):
    rows = [f.row(item, "OK-1"), f.row(item, "BAD-1", **overrides)]
    assert (1, field) in problems_of(rows)
    assert not ApprovalRecord.objects.exists()
    assert not ApprovalStepEvent.objects.exists()


def test_every_problem_of_every_row_is_listed(item):
    rows = [
        f.row(item, "E-1", item_code="NOPE"),
        f.row(item, "E-2"),
        f.row(item, "E-3", accepted_where="x", applicant_credit_code="123"),
    ]
    assert problems_of(rows) == [(0, "item_code"), (2, "applicant_credit_code"), (2, "accepted_where")]


def test_an_external_id_twice_in_a_batch_is_refused(item):
    problems = problems_of([f.row(item, "D-1"), f.row(item, "D-2"), f.row(item, "D-1")])
    assert problems == [(2, "external_id")]
    assert not ApprovalRecord.objects.exists()


def test_a_batch_over_the_maximum_is_refused_whole(item, settings):
    settings.APPROVAL_BATCH_MAX = 3
    problems = problems_of([f.row(item) for _ in range(4)])
    assert problems == [(None, "")]
    assert not ApprovalRecord.objects.exists()


def test_a_bad_row_leaves_an_existing_record_as_it_was(item):
    records_ingest([f.row(item, "K-1")], actor=None)
    changed = f.row(item, "K-1", decision="withdrawn")
    problems_of([changed, f.row(item, "K-2", item_code="NOPE")])
    assert ApprovalRecord.objects.get(external_id="K-1").decision == "pending"
    assert ApprovalRecord.objects.count() == 1


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL sends each table's rows as arrays in one statement; SQLite's bulk_create batches "
    "by its limit on parameters",
)
def test_the_statements_of_a_batch_do_not_grow_with_its_size(item):
    def statements(prefix, count):
        rows = [
            f.row(
                item,
                f"{prefix}-{n}",
                applicant_credit_code=f.credit_code(8000 + n),
                fees=[{"code": "F1", "name": "工本费", "amount": "100"}],
            )
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as queries:
            records_ingest(rows, actor=None)
        return len(queries)

    assert statements("S", 5) == statements("T", 60)

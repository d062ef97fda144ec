"""signals_evaluate: every rule at its boundaries, on the PRC calendar, set-based and idempotent."""

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from approvals.models import ApprovalRecord, ApprovalSignal, Where
from approvals.services.signals import CORRECTION_DEADLINE_KIND, signals_evaluate
from approvals.tests import factories as f
from core.calendar import add_working_days
from core.models import Deadline

pytestmark = pytest.mark.django_db

K, D = ApprovalSignal.Kind, dt.date
REFUSED, APPROVED = ApprovalRecord.Decision.REFUSED, ApprovalRecord.Decision.APPROVED


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def item():
    return f.item(f.department())


def kinds(record) -> dict[str, ApprovalSignal]:
    return {(s.kind if not s.key else f"{s.kind}:{s.key}"): s for s in record.signals.all()}


# --- The limit across National Day and a make-up working day -------------------------------------


def test_the_promised_limit_crosses_the_holiday_and_counts_the_make_up_saturday(item):
    record = f.record(item, accepted_at=f.at(2026, 9, 30))
    # 8, 9, 10 (make-up Saturday), 12, 13 October: five working days after 30 September.
    assert record.due_on == D(2026, 10, 13)
    # 10 October is a working day, but the day before the last working day: no prompt yet.
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 10)) == 0
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 11)) == 0  # Sunday
    # Monday 12 October is the working day before the limit: the yellow prompt.
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 12)) == 1
    prompt = record.signals.get()
    assert (prompt.kind, prompt.colour, prompt.deadline) == (K.DUE_SOON, "yellow", None)
    assert "2026-10-13" in prompt.explanation and "5 working days" in prompt.explanation
    # The limit's own day: nothing new; the day after it: red, with a correction deadline.
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 13)) == 0
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 14)) == 1
    overdue = record.signals.get(kind=K.OVERDUE)
    assert overdue.colour == "red"
    assert "2026-10-13" in overdue.explanation and "1 working day late" in overdue.explanation
    deadline = overdue.deadline
    assert deadline.kind == CORRECTION_DEADLINE_KIND and deadline.start_date == D(2026, 10, 14)
    assert deadline.working_days == settings.APPROVAL_CORRECTION_WORKING_DAYS
    assert (
        deadline.due_date
        == add_working_days(D(2026, 10, 14), settings.APPROVAL_CORRECTION_WORKING_DAYS).due_date
    )
    assert deadline.content_type == ContentType.objects.get_for_model(ApprovalSignal)
    assert deadline.object_id == overdue.pk


def test_no_prompt_two_working_days_before_the_limit(item):
    record = f.record(item, accepted_at=f.at(2026, 11, 2))  # Monday; due Monday 9 November
    assert record.due_on == D(2026, 11, 9)
    assert signals_evaluate([record.pk], now=f.at(2026, 11, 5)) == 0  # Thursday
    # Friday 6 November is the working day before Monday the 9th.
    assert signals_evaluate([record.pk], now=f.at(2026, 11, 6)) == 1


def test_a_decision_on_the_limit_is_on_time_and_one_day_later_is_red(item):
    on_time = f.record(
        item, accepted_at=f.at(2026, 9, 30), decision=APPROVED, decided_at=f.at(2026, 10, 13, 17)
    )
    late = f.record(item, accepted_at=f.at(2026, 9, 30), decision=APPROVED, decided_at=f.at(2026, 10, 14, 9))
    assert signals_evaluate([on_time.pk, late.pk], now=f.at(2026, 10, 20)) == 1
    assert not on_time.signals.exists()
    signal = late.signals.get()
    assert signal.kind == K.OVERDUE and "2026-10-14" in signal.explanation


def test_a_prompt_is_cleared_when_the_decision_arrives(item):
    record = f.record(item, accepted_at=f.at(2026, 9, 30))
    signals_evaluate([record.pk], now=f.at(2026, 10, 12))
    ApprovalRecord.objects.filter(pk=record.pk).update(
        decision=APPROVED,
        decided_at=f.at(2026, 10, 12, 16),
        decided_on=D(2026, 10, 12),
        decided_where=Where.HALL,
    )
    assert signals_evaluate([record.pk], now=f.at(2026, 10, 12, 17)) == 0
    assert record.signals.get().status == ApprovalSignal.Status.CLEARED


# --- Steps --------------------------------------------------------------------------------------


def test_a_step_at_exactly_its_limit_raises_nothing_and_one_day_over_is_yellow():
    item = f.item(f.department(), promised_days=10)  # no prompt on the day looked at
    # Step 2 (审查) has 3 working days. Started Monday 2 November.
    exact = f.record(
        item,
        accepted_at=f.at(2026, 11, 2, 9),
        steps=[(2, f.at(2026, 11, 2, 10), f.at(2026, 11, 5, 10))],  # Thursday: 3 working days
    )
    over = f.record(
        item,
        accepted_at=f.at(2026, 11, 2, 9),
        steps=[(2, f.at(2026, 11, 2, 10), f.at(2026, 11, 6, 10))],  # Friday: 4 working days
    )
    assert signals_evaluate([exact.pk, over.pk], now=f.at(2026, 11, 6, 12)) == 1
    assert not exact.signals.exists()
    signal = over.signals.get()
    assert (signal.kind, signal.key, signal.colour, signal.deadline) == (K.STEP_OVER, "2", "yellow", None)
    assert "4 working days" in signal.explanation and "limit is 3" in signal.explanation
    assert "ran out on 2026-11-05" in signal.explanation


def test_a_step_over_its_limit_across_the_holiday(item):
    # Started 30 September: 3 working days end on 10 October (the make-up Saturday).
    record = f.record(
        item,
        accepted_at=f.at(2026, 9, 29),
        steps=[(2, f.at(2026, 9, 30, 10), f.at(2026, 10, 12, 10))],
    )
    signals_evaluate([record.pk], now=f.at(2026, 10, 12, 12))
    signal = record.signals.get(kind=K.STEP_OVER)
    assert "ran out on 2026-10-10" in signal.explanation and "4 working days" in signal.explanation


# --- Fees ---------------------------------------------------------------------------------------


def test_a_fee_equal_to_its_amount_raises_nothing_above_it_is_red(item):
    equal = f.record(item, accepted_at=f.at(2026, 11, 2), fees=[("GB-01", "10.00")])
    above = f.record(item, accepted_at=f.at(2026, 11, 2), fees=[("GB-01", "10.01")])
    assert signals_evaluate([equal.pk, above.pk], now=f.at(2026, 11, 3)) == 1
    assert not equal.signals.exists()
    signal = above.signals.get()
    assert (signal.kind, signal.key, signal.colour) == (K.FEE_ABOVE, "GB-01", "red")
    assert "GB-01" in signal.explanation and "10.01" in signal.explanation and "10.00" in signal.explanation
    assert signal.deadline is not None


def test_a_fee_outside_the_schedule_is_red_with_its_code(item):
    record = f.record(item, accepted_at=f.at(2026, 11, 2), fees=[("ZX-99", "200.00"), ("GB-01", "5.00")])
    assert signals_evaluate([record.pk], now=f.at(2026, 11, 3)) == 1
    signal = record.signals.get()
    assert (signal.kind, signal.key) == (K.FEE_OUTSIDE, "ZX-99")
    assert (
        "ZX-99" in signal.explanation and "200.00" in signal.explanation and item.code in signal.explanation
    )


# --- Refusal and the hall -----------------------------------------------------------------------


def test_a_refusal_without_a_reason_is_red_with_one_none(item):
    bare = f.record(
        item,
        accepted_at=f.at(2026, 11, 2),
        decision=REFUSED,
        decided_at=f.at(2026, 11, 4),
        refusal_reason="  ",
    )
    reasoned = f.record(
        item,
        accepted_at=f.at(2026, 11, 2),
        decision=REFUSED,
        decided_at=f.at(2026, 11, 4),
        refusal_reason="材料不齐全，经一次性告知后未补正。",
    )
    assert signals_evaluate([bare.pk, reasoned.pk], now=f.at(2026, 11, 5)) == 1
    assert set(kinds(bare)) == {K.NO_REASON} and not reasoned.signals.exists()
    assert "2026-11-04" in bare.signals.get().explanation


def test_outside_the_hall_only_for_hall_items_decided_after_a_department_acceptance():
    department = f.department()
    hall_item, other_item = f.item(department), f.item(department, in_hall=False)
    decided = {"decision": APPROVED, "decided_at": f.at(2026, 11, 3), "decided_where": Where.DEPARTMENT}
    outside = f.record(hall_item, accepted_at=f.at(2026, 11, 2), accepted_where=Where.DEPARTMENT, **decided)
    not_hall = f.record(other_item, accepted_at=f.at(2026, 11, 2), accepted_where=Where.DEPARTMENT, **decided)
    pending = f.record(hall_item, accepted_at=f.at(2026, 11, 2), accepted_where=Where.DEPARTMENT)
    assert signals_evaluate([outside.pk, not_hall.pk, pending.pk], now=f.at(2026, 11, 3, 12)) == 1
    assert set(kinds(outside)) == {K.OUTSIDE_HALL}
    assert hall_item.code in outside.signals.get().explanation


def test_two_ends_accepted_in_the_hall_or_online_and_decided_in_the_department(item):
    decided = {"decision": APPROVED, "decided_at": f.at(2026, 11, 3)}
    hall_dept = f.record(item, accepted_at=f.at(2026, 11, 2), decided_where=Where.DEPARTMENT, **decided)
    online_dept = f.record(
        item,
        accepted_at=f.at(2026, 11, 2),
        accepted_where=Where.ONLINE,
        decided_where=Where.DEPARTMENT,
        **decided,
    )
    hall_hall = f.record(item, accepted_at=f.at(2026, 11, 2), decided_where=Where.HALL, **decided)
    assert signals_evaluate([hall_dept.pk, online_dept.pk, hall_hall.pk], now=f.at(2026, 11, 3, 12)) == 2
    assert set(kinds(hall_dept)) == {K.TWO_ENDS} and set(kinds(online_dept)) == {K.TWO_ENDS}
    assert not hall_hall.signals.exists()


# --- Idempotency and the statement count ------------------------------------------------------------


def _mixed(item, n: int) -> list[int]:
    """n records, every rule holding on some: prompts, overdue, steps, fees, refusals, the hall."""
    ids = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            ids.append(f.record(item, accepted_at=f.at(2026, 9, 30)).pk)  # overdue on 10-20
        elif kind == 1:
            ids.append(
                f.record(item, accepted_at=f.at(2026, 10, 13)).pk
            )  # due 10-20 -> nothing; 10-19 -> prompt
        elif kind == 2:
            steps = [(2, f.at(2026, 10, 8, 10), f.at(2026, 10, 19, 10))]
            ids.append(f.record(item, accepted_at=f.at(2026, 10, 8), steps=steps).pk)
        elif kind == 3:
            ids.append(
                f.record(item, accepted_at=f.at(2026, 10, 15), fees=[("GB-01", "12"), ("XX-1", "3")]).pk
            )
        elif kind == 4:
            ids.append(
                f.record(
                    item, accepted_at=f.at(2026, 10, 12), decision=REFUSED, decided_at=f.at(2026, 10, 16)
                ).pk
            )
        else:
            ids.append(
                f.record(
                    item,
                    accepted_at=f.at(2026, 10, 12),
                    accepted_where=Where.DEPARTMENT,
                    decision=APPROVED,
                    decided_at=f.at(2026, 10, 14),
                    decided_where=Where.DEPARTMENT,
                ).pk
            )
    return ids


def test_evaluating_twice_raises_nothing_new(item):
    ids = _mixed(item, 12)
    first = signals_evaluate(ids, now=f.at(2026, 10, 19))
    assert first > 0
    signals, deadlines = ApprovalSignal.objects.count(), Deadline.objects.count()
    assert signals_evaluate(ids, now=f.at(2026, 10, 19)) == 0
    assert (ApprovalSignal.objects.count(), Deadline.objects.count()) == (signals, deadlines)
    # Every red signal has its deadline, no yellow one has.
    assert not ApprovalSignal.objects.filter(colour="red", deadline__isnull=True).exists()
    assert not ApprovalSignal.objects.filter(colour="yellow", deadline__isnull=False).exists()


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="SQLite's 999 parameters split the bulk inserts into chunks; PostgreSQL inserts in one statement",
)
def test_the_statement_count_is_the_same_for_10_and_200_records(item):
    ContentType.objects.get_for_model(ApprovalSignal)  # cached for the process, as in production
    small, large = _mixed(item, 10), _mixed(item, 200)
    with CaptureQueriesContext(connection) as few:
        raised_small = signals_evaluate(small, now=f.at(2026, 10, 19))
    with CaptureQueriesContext(connection) as many:
        raised_large = signals_evaluate(large, now=f.at(2026, 10, 19))
    assert raised_large > raised_small * 15
    assert len(many) == len(few), [q["sql"][:80] for q in many.captured_queries]
    assert len(few) <= 14, [q["sql"][:80] for q in few.captured_queries]


def test_every_kind_is_raised_by_the_mixed_batch(item):
    signals_evaluate(_mixed(item, 6), now=f.at(2026, 10, 19))
    raised = set(ApprovalSignal.objects.values_list("kind", flat=True))
    assert raised == {
        K.OVERDUE,
        K.DUE_SOON,
        K.STEP_OVER,
        K.FEE_ABOVE,
        K.FEE_OUTSIDE,
        K.NO_REASON,
        K.OUTSIDE_HALL,
    }
    assert Decimal("12") > Decimal("10.00")

"""The demo's approvals (envopt.setup.demo_approvals): a catalogue across the demo departments and
two quarters of records pushed through the ingestion, crafted so that every signal kind has its
case in the data, checked on the records themselves and on the signals the ingestion raised."""

import datetime as dt
import time

import pytest
from django.db.models import F

from approvals.models import (
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStepEvent,
)
from core.calendar import add_working_days
from core.periods import Period
from envopt.setup.demo import DEPARTMENTS
from envopt.setup.demo_approvals import RECORDS, demo_approvals_install
from liaison.models import Department

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 7, 2, 0, tzinfo=dt.UTC)  # Monday 7 December 2026, 10:00 in Shanghai
TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def seeded():
    for name, short, system, is_key, _box in DEPARTMENTS:
        Department.objects.create(name=name, short_name=short, system=system, is_key=is_key)
    started = time.monotonic()
    counts = demo_approvals_install(now=NOW)
    seconds = time.monotonic() - started
    print(f"demo approvals seeded in {seconds:.1f} s")
    return {"counts": counts, "seconds": seconds}


def test_a_catalogue_of_a_few_dozen_items_with_steps_and_fees(seeded):
    assert 30 <= ApprovalItem.objects.count() <= 60
    assert ApprovalItem.objects.values("department").distinct().count() >= 9
    assert not ApprovalItem.objects.filter(steps__isnull=True).exists()
    assert ApprovalItem.objects.filter(fees__isnull=False).distinct().count() >= 8


def test_a_few_thousand_records_over_two_quarters(seeded):
    records = ApprovalRecord.objects.all()
    assert RECORDS <= records.count() < RECORDS + 200
    first = Period.current(now=NOW).previous().first_day
    assert not records.filter(accepted_at__date__lt=first - dt.timedelta(days=60)).exists()
    assert records.filter(accepted_at__date__lt=Period.current(now=NOW).first_day).count() > 1000
    assert not records.filter(decided_at__gt=NOW).exists()
    assert seeded["seconds"] < 30


def test_every_signal_kind_has_its_case_in_the_records(seeded):
    records = ApprovalRecord.objects.all()
    decided = records.filter(decision__in=["approved", "refused"])
    assert decided.filter(decided_on__gt=F("due_on")).exists()  # OVERDUE (decided late)
    assert records.filter(decision="pending", due_on__lt=TODAY).exists()  # OVERDUE (pending)
    next_working_day = add_working_days(TODAY, 1).due_date
    assert records.filter(decision="pending", due_on=next_working_day).exists()  # DUE_SOON
    # STEP_OVER
    assert ApprovalStepEvent.objects.filter(working_days_taken__gt=F("step__limit_days")).exists()
    assert records.filter(decision="refused", refusal_reason="").exists()  # NO_REASON
    assert records.filter(decision="refused").exclude(refusal_reason="").exists()  # in order
    assert ApprovalFeeCharge.objects.filter(fee__isnull=True).exists()  # FEE_OUTSIDE
    assert ApprovalFeeCharge.objects.filter(amount__gt=F("fee__amount")).exists()  # FEE_ABOVE
    in_hall = decided.filter(item__in_hall=True)
    assert in_hall.filter(accepted_where="department").exists()  # OUTSIDE_HALL
    # TWO_ENDS
    assert in_hall.exclude(accepted_where="department").filter(decided_where="department").exists()
    # Most records are in order.
    on_time = decided.filter(decided_on__lte=F("due_on")).count()
    assert on_time > 0.8 * decided.count()


def test_the_ingestion_raised_every_kind_of_signal(seeded):
    # (The red signal turned into a case needs the demo's handler: seed_demo's own test sees it.)
    assert set(ApprovalSignal.objects.values_list("kind", flat=True)) == set(ApprovalSignal.Kind.values)


def test_a_second_run_pushes_nothing_again(seeded):
    count = ApprovalRecord.objects.count()
    demo_approvals_install(now=NOW)
    assert ApprovalRecord.objects.count() == count

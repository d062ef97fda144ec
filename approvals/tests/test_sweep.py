"""signals_sweep: the daily prompts and overdue signals of pending approvals, set-based; the
correction deadline of a red signal climbing the escalation ladder; the task on a real worker."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from approvals.models import ApprovalRecord, ApprovalSignal, Where
from approvals.services.corrections import signal_answer
from approvals.services.sweep import signals_sweep
from approvals.tasks import signals_sweep_task
from approvals.tests import factories as f
from casework.tests import factories as casework_factories
from core.calendar import add_working_days
from core.ladder import escalation_sweep
from core.models import Deadline, OutboundEmail
from tests.fixtures import wait_for

K, D = ApprovalSignal.Kind, dt.date


@pytest.fixture
def department():
    return f.department(
        email="contact@approvals.example",
        head_name="局长",
        head_email="head@approvals.example",
        supervising_leader="分管领导",
        supervising_leader_email="leader@approvals.example",
    )


@pytest.mark.django_db
def test_the_sweep_prompts_on_the_working_day_before_and_flags_after_the_limit(department):
    item = f.item(department)
    pending = f.record(item, accepted_at=f.at(2026, 9, 30))  # due 13 October
    decided = f.record(
        item,
        accepted_at=f.at(2026, 9, 30),
        decision="approved",
        decided_at=f.at(2026, 10, 9),
        decided_where=Where.HALL,
    )
    assert signals_sweep(now=f.at(2026, 10, 10, 7)) == 0  # the make-up Saturday: two working days left
    assert signals_sweep(now=f.at(2026, 10, 12, 7)) == 1
    assert pending.signals.get().kind == K.DUE_SOON
    assert signals_sweep(now=f.at(2026, 10, 12, 8)) == 0  # twice a day: nothing new
    assert signals_sweep(now=f.at(2026, 10, 13, 7)) == 0
    assert signals_sweep(now=f.at(2026, 10, 14, 7)) == 1
    assert set(pending.signals.values_list("kind", flat=True)) == {K.DUE_SOON, K.OVERDUE}
    assert not decided.signals.exists()


@pytest.mark.django_db
def test_the_sweep_clears_the_prompt_of_a_record_decided_since(department):
    record = f.record(f.item(department), accepted_at=f.at(2026, 9, 30))
    signals_sweep(now=f.at(2026, 10, 12, 7))
    ApprovalRecord.objects.filter(pk=record.pk).update(
        decision="approved",
        decided_at=f.at(2026, 10, 12, 15),
        decided_on=D(2026, 10, 12),
        decided_where=Where.HALL,
    )
    assert signals_sweep(now=f.at(2026, 10, 13, 7)) == 0
    assert record.signals.get().status == ApprovalSignal.Status.CLEARED


@pytest.mark.django_db
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite's 999 parameters split the bulk inserts into chunks"
)
def test_the_sweep_runs_the_same_statements_for_10_and_200_pending_records(department):
    ContentType.objects.get_for_model(ApprovalSignal)
    item = f.item(department)

    def batch(n: int, accepted: dt.datetime):
        for i in range(n):
            f.record(
                item, accepted_at=accepted if i % 2 else accepted + dt.timedelta(days=4)
            )  # overdue, or due tomorrow

    batch(10, f.at(2026, 11, 2))
    with CaptureQueriesContext(connection) as few:
        small = signals_sweep(now=f.at(2026, 11, 12, 7))
    batch(200, f.at(2026, 11, 9))
    with CaptureQueriesContext(connection) as many:
        large = signals_sweep(now=f.at(2026, 11, 19, 7))
    assert small == 10 and large == 200 + 5  # and the 5 prompted of the first batch, overdue now
    assert len(few) == len(many), [q["sql"][:80] for q in many.captured_queries]


@pytest.mark.django_db
def test_each_red_signal_gets_its_own_correction_deadline_and_a_signal_raised_meanwhile_none(
    department, monkeypatch
):
    """The deadlines are written before their signals (ids drawn from the signals' sequence): a
    signal another run raised between this run's rules and its insert is skipped, and the
    deadline drawn for it is deleted again, so no deadline points at a signal that is not there."""
    from approvals.services import signals as module

    item = f.item(department)
    records = [f.record(item, accepted_at=f.at(2026, 11, 2)) for _ in range(3)]  # due 9 November
    now = f.at(2026, 11, 12, 7)
    rules = module._record_rules
    raced = records[0]

    def rules_then_another_run(*args, **kwargs):
        found = rules(*args, **kwargs)
        ApprovalSignal.objects.create(
            record=raced, department=department, kind=K.OVERDUE, colour="red", raised_at=now, explanation="x"
        )
        return found

    content_type = ContentType.objects.get_for_model(ApprovalSignal)
    before = Deadline.objects.count()
    monkeypatch.setattr(module, "_record_rules", rules_then_another_run)
    assert signals_sweep(now=now) == 2
    signals = ApprovalSignal.objects.filter(kind=K.OVERDUE).exclude(record=raced)
    assert signals.count() == 2
    deadlines = Deadline.objects.filter(content_type=content_type)
    assert deadlines.count() == Deadline.objects.count() - before == 2
    for signal in signals.select_related("deadline"):
        assert signal.deadline.object_id == signal.pk
        assert signal.deadline.due_date == D(2026, 11, 17)  # 3 working days after the 12th
    assert raced.signals.get().deadline_id is None


@pytest.mark.django_db
def test_a_red_signal_not_answered_climbs_the_ladder(department):
    record = f.record(f.item(department), accepted_at=f.at(2026, 11, 2))
    signals_sweep(now=f.at(2026, 11, 10, 7))  # due 9 November: overdue on the 10th
    signal = record.signals.get(kind=K.OVERDUE)
    due = signal.deadline.due_date
    assert due == add_working_days(D(2026, 11, 10), 3).due_date

    def sweep(day: dt.date):
        escalation_sweep(now=timezone.make_aware(dt.datetime.combine(day, dt.time(9))))
        signal.deadline.refresh_from_db()
        return signal.deadline.ladder_step

    assert sweep(due) == 1  # the reminder to the department's contact
    assert sweep(add_working_days(due, 1).due_date) == 2  # the warning to its head
    assert sweep(add_working_days(due, 10).due_date) == 3  # escalated to its supervising leader
    recipients = [
        address for row in OutboundEmail.objects.filter(kind__startswith="ladder") for address in row.to
    ]
    assert {"contact@approvals.example", "head@approvals.example", "leader@approvals.example"} <= set(
        recipients
    )
    digest = OutboundEmail.objects.filter(kind__startswith="ladder").first()
    assert record.external_id in f"{digest.subject} {digest.body_text} {digest.context}"


@pytest.mark.django_db
def test_an_answered_signal_does_not_climb(department):
    record = f.record(f.item(department), accepted_at=f.at(2026, 11, 2))
    signals_sweep(now=f.at(2026, 11, 10, 7))
    signal = record.signals.get(kind=K.OVERDUE)
    dept_user = casework_factories.user("dept", department=department)
    signal_answer(signal=signal, correction="已于当日作出决定，并对承办人批评教育。", actor=dept_user)
    signal.deadline.refresh_from_db()
    assert signal.deadline.status == Deadline.Status.MET
    escalation_sweep(
        now=timezone.make_aware(
            dt.datetime.combine(add_working_days(D(2026, 11, 10), 12).due_date, dt.time(9))
        )
    )
    signal.deadline.refresh_from_db()
    assert signal.deadline.ladder_step == 0
    assert not OutboundEmail.objects.filter(kind__startswith="ladder").exists()


@pytest.mark.services
def test_a_real_worker_runs_the_sweep_task(worker_factory):
    department = f.department()
    record = f.record(f.item(department), accepted_at=timezone.now() - dt.timedelta(days=60))
    worker_factory()
    signals_sweep_task.delay()
    wait_for(
        lambda: ApprovalSignal.objects.filter(record=record, kind=K.OVERDUE).exists(),
        timeout=60,
        what="the worker to run the approval signal sweep",
    )
    assert ApprovalSignal.objects.get(record=record, kind=K.OVERDUE).deadline is not None

"""The escalation ladder as a shared mechanism, with a stand-in kind whose subjects are auth groups."""

import datetime as dt
import io
import threading
import time
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from core.deadlines import deadline_create, deadline_meet
from core.ladder import (
    Notice,
    Recipient,
    Step,
    escalation_sweep,
    ladder_registry,
    ladder_thresholds,
)
from core.models import Deadline, OutboundEmail
from core.outbox import outbox_render

D = dt.date
KIND = "ladder_test"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=SHANGHAI)


class GroupLadder:
    """A handler for the stand-in kind: the group's name is the unit, a missing address is ``to=()``."""

    def __init__(self, *, addresses: dict[str, str] | None = None, on_record=None):
        self.addresses = addresses or {}
        self.recorded: list[tuple[int, list[int]]] = []
        self.on_record = on_record

    def notices(self, items):
        groups = Group.objects.in_bulk({item.object_id for item in items})
        notices = []
        for item in items:
            group = groups[item.object_id]
            address = self.addresses.get(group.name, f"{group.name}@unit.example")
            notices.append(
                Notice(
                    deadline_id=item.deadline_id,
                    recipient=Recipient(to=(address,) if address else (), name=group.name, language="en"),
                    reference=f"G{item.object_id}-{item.round}",
                    what="test item",
                    unit=group.name,
                    link=f"https://envopt.example/items/{item.object_id}/",
                )
            )
        return notices

    def record(self, items, *, notices, now):
        # Called once a sweep for every item of the kind: kept per step, highest first.
        for step in sorted({item.step for item in items}, reverse=True):
            self.recorded.append((step, sorted(item.deadline_id for item in items if item.step == step)))
        if self.on_record is not None:
            self.on_record()


@pytest.fixture
def handler():
    handler = GroupLadder()
    ladder_registry.register(KIND, handler)
    yield handler
    ladder_registry.unregister(KIND)


def _deadline(name: str, start: dt.date, days: int = 3, **kwargs) -> Deadline:
    group, _created = Group.objects.get_or_create(name=name)
    return deadline_create(subject=group, kind=KIND, start_date=start, working_days=days, **kwargs)


def _deadlines(unit: str, count: int, start: dt.date, days: int = 3) -> list[Deadline]:
    return [_deadline(f"{unit}-{i}", start, days) for i in range(count)]


def _ladder_emails():
    return OutboundEmail.objects.filter(kind__startswith="ladder_").order_by("id")


# --- Thresholds --------------------------------------------------------------------------


@pytest.mark.django_db
def test_thresholds_count_working_days_across_national_day():
    # 29 September 2026: two working days ahead are 30 September and 8 October (1–7 are holidays).
    assert ladder_thresholds(now=at(D(2026, 9, 29))).remind_by == D(2026, 10, 8)
    # 12 October: three working days back are 12, 10 (a make-up Saturday) and 9 October.
    assert ladder_thresholds(now=at(D(2026, 10, 12))).escalate_by == D(2026, 10, 8)
    # 9 October: 9 and 8 October, then the holidays, then 30 September.
    assert ladder_thresholds(now=at(D(2026, 10, 9))).escalate_by == D(2026, 9, 29)


@pytest.mark.django_db
def test_today_is_the_commission_date_not_the_utc_date():
    # 17:30 UTC on 8 October is 01:30 on 9 October in Shanghai.
    now = dt.datetime(2026, 10, 8, 17, 30, tzinfo=dt.UTC)
    assert ladder_thresholds(now=now).today == D(2026, 10, 9)


# --- Steps --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_step_happens_once_on_the_right_working_day_across_national_day(handler):
    deadline = _deadline("unit-a", D(2026, 9, 28), days=3)
    assert deadline.due_date == D(2026, 10, 8)
    happened: dict[dt.date, list[int]] = {}
    day = D(2026, 9, 27)
    while day <= D(2026, 10, 16):
        for _run in range(2):  # the second sweep of a day finds nothing new
            result = escalation_sweep(now=at(day))
            for item in result.items:
                happened.setdefault(day, []).append(item.step)
        day += dt.timedelta(days=1)
    # Reminder when 8 October is two working days away (nine calendar days); warning once the
    # due day has ended; escalation on the third working day overdue, counting Saturday 10 October.
    assert happened == {D(2026, 9, 29): [1], D(2026, 10, 9): [2], D(2026, 10, 12): [3]}
    deadline.refresh_from_db()
    assert deadline.ladder_step == Step.ESCALATE
    assert [email.kind for email in _ladder_emails()] == [
        "ladder_reminder",
        "ladder_warning",
        "ladder_escalation",
    ]
    assert handler.recorded == [(1, [deadline.pk]), (2, [deadline.pk]), (3, [deadline.pk])]


@pytest.mark.django_db
def test_the_warning_waits_until_the_due_day_has_ended(handler):
    _deadline("unit-a", D(2026, 9, 28), days=3)  # due 8 October
    assert escalation_sweep(now=at(D(2026, 10, 8), 23)).steps["warning"] == 0
    assert escalation_sweep(now=at(D(2026, 10, 9), 0)).steps["warning"] == 1


@pytest.mark.django_db
def test_an_item_first_seen_long_overdue_gets_only_the_escalation(handler):
    deadline = _deadline("unit-a", D(2026, 9, 28), days=3)  # due 8 October
    result = escalation_sweep(now=at(D(2026, 10, 16)))
    assert result.steps == {"reminder": 0, "warning": 0, "escalation": 1}
    (item,) = result.items
    assert (item.step, item.from_step, item.overdue_working_days) == (3, 0, 7)  # 9, 10 (Saturday), 12–16
    deadline.refresh_from_db()
    assert deadline.ladder_step == Step.ESCALATE
    assert [email.kind for email in _ladder_emails()] == ["ladder_escalation"]
    assert escalation_sweep(now=at(D(2026, 10, 19))).items == []


@pytest.mark.django_db
def test_only_open_deadlines_of_registered_kinds_climb(handler):
    met = _deadline("unit-met", D(2026, 9, 28))
    deadline_meet(deadline=met)
    other = deadline_create(
        subject=Group.objects.create(name="other"),
        kind="unregistered",
        start_date=D(2026, 9, 28),
        working_days=3,
    )
    escalation_sweep(now=at(D(2026, 10, 16)))
    assert Deadline.objects.get(pk=met.pk).ladder_step == 0
    assert Deadline.objects.get(pk=other.pk).ladder_step == 0
    assert not _ladder_emails().exists()


@pytest.mark.django_db
def test_a_new_deadline_starts_a_new_ladder(handler):
    group = Group.objects.create(name="unit-a")
    first = deadline_create(subject=group, kind=KIND, start_date=D(2026, 9, 28), working_days=3)
    escalation_sweep(now=at(D(2026, 10, 9)))
    deadline_meet(deadline=first)
    second = deadline_create(subject=group, kind=KIND, start_date=D(2026, 10, 9), working_days=5, round=2)
    assert second.ladder_step == 0
    result = escalation_sweep(now=at(D(2026, 10, 14)))  # second is due 16 October
    assert [(item.deadline_id, item.step, item.round) for item in result.items] == [(second.pk, 1, 2)]
    assert Deadline.objects.get(pk=first.pk).ladder_step == Step.WARN


# --- Digests ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_one_sweep_sends_one_digest_per_recipient_and_step(handler, django_capture_on_commit_callbacks):
    handler.addresses = {f"unit-a-{i}": "a@unit.example" for i in range(40)}
    _deadlines("unit-a", 40, D(2026, 9, 28))
    _deadlines("unit-b", 2, D(2026, 9, 28))
    handler.addresses.update({"unit-b-0": "b@unit.example", "unit-b-1": "b@unit.example"})
    with django_capture_on_commit_callbacks() as callbacks:
        result = escalation_sweep(now=at(D(2026, 10, 9)))
    assert result.steps["warning"] == 42
    assert result.emails == 2
    assert len(callbacks) == 1  # the sweep's digests are handed to the workers together, after commit
    a, b = (_ladder_emails().get(to=[address]) for address in ("a@unit.example", "b@unit.example"))
    assert a.kind == "ladder_warning" and a.subject.startswith("Overdue warning (预警): 40 overdue items")
    assert a.body_text == "" and a.template == "email/ladder_digest"  # written when sent
    outbox_render(a)
    assert all(f"G{group.pk}-1" in a.body_text for group in Group.objects.filter(name__startswith="unit-a"))
    assert a.body_text.count("https://envopt.example/items/") == 40
    assert "1 working day overdue" in a.body_text and "<table" in a.body_html
    assert a.key.startswith("ladder:2:a@unit.example:")
    assert b.subject.startswith("Overdue warning (预警): 2 overdue items")


@pytest.mark.django_db
def test_a_recipient_without_an_address_is_recorded_as_a_failed_email(handler):
    handler.addresses = {"unit-x": ""}
    _deadline("unit-x", D(2026, 9, 28))
    result = escalation_sweep(now=at(D(2026, 10, 9)))
    email = _ladder_emails().get()
    assert (email.to, email.status) == ([], OutboundEmail.Status.FAILED)
    assert result.emails == 1 and result.digests[0].to == ()


# --- Dry run, statements, concurrency --------------------------------------------------------


@pytest.mark.django_db
def test_a_dry_run_writes_nothing_and_shows_what_a_sweep_would_do(handler):
    escalated = _deadline("unit-a", D(2026, 9, 22), days=3)  # due 28 September, after the Mid-autumn Festival
    warned = _deadline("unit-b", D(2026, 9, 28), days=3)  # due 8 October
    reminded = _deadline("unit-c", D(2026, 10, 8), days=2)  # due 10 October, a make-up Saturday
    before = list(Deadline.objects.order_by("pk").values_list("pk", "ladder_step"))
    preview = escalation_sweep(now=at(D(2026, 10, 9)), dry_run=True)
    assert list(Deadline.objects.order_by("pk").values_list("pk", "ladder_step")) == before
    assert not OutboundEmail.objects.exists()
    assert handler.recorded == []
    assert preview.emails == 3 and not any(digest.queued for digest in preview.digests)
    real = escalation_sweep(now=at(D(2026, 10, 9)))
    assert [(i.deadline_id, i.step) for i in preview.items] == [(i.deadline_id, i.step) for i in real.items]
    assert {i.deadline_id: i.step for i in real.items} == {escalated.pk: 3, warned.pk: 2, reminded.pk: 1}


@pytest.mark.django_db
def test_the_number_of_statements_does_not_grow_with_the_number_of_items(handler):
    def statements(per_step: int) -> int:
        with transaction.atomic():
            for unit in ("unit-a", "unit-b"):
                _deadlines(f"{unit}-old", per_step, D(2026, 9, 22))  # escalation
                _deadlines(f"{unit}-late", per_step, D(2026, 9, 28))  # warning
                _deadlines(f"{unit}-soon", per_step, D(2026, 10, 8), days=2)  # reminder
            names = Group.objects.filter(name__startswith="unit-").values_list("name", flat=True)
            handler.addresses = {name: f"{name.split('-')[1]}@unit.example" for name in names}
            with CaptureQueriesContext(connection) as queries:
                result = escalation_sweep(now=at(D(2026, 10, 9)))
            assert result.steps == dict.fromkeys(("reminder", "warning", "escalation"), 2 * per_step)
            assert result.emails == 6
            transaction.set_rollback(True)
        return len(queries.captured_queries)

    assert statements(5) == statements(50)


@pytest.mark.django_db
def test_the_management_command_prints_each_step_and_item(handler):
    deadline = _deadline("unit-a", D(2026, 9, 28))
    out = io.StringIO()
    call_command("escalate_overdue", "--dry-run", "--now", "2026-10-12", stdout=out)
    text = out.getvalue()
    assert f"G{deadline.object_id}-1" in text and "unit-a@unit.example" in text
    assert Deadline.objects.get(pk=deadline.pk).ladder_step == 0
    out = io.StringIO()
    call_command("escalate_overdue", stdout=out)
    assert Deadline.objects.get(pk=deadline.pk).ladder_step == Step.ESCALATE


@pytest.mark.django_db
def test_a_kind_has_one_handler(handler):
    ladder_registry.register(KIND, handler)  # the same handler again is fine
    with pytest.raises(ValueError):
        ladder_registry.register(KIND, GroupLadder())


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_never_escalate_an_item_twice():
    if connection.vendor != "postgresql":
        pytest.skip(
            "Needs PostgreSQL: SQLite takes a database-wide write lock (BEGIN IMMEDIATE), so two sweeps "
            "cannot overlap there; the row locks this test exercises exist only on PostgreSQL."
        )
    deadlines = _deadlines("unit-a", 20, D(2026, 9, 28)) + _deadlines("unit-b", 20, D(2026, 9, 28))
    first_has_moved_rows = threading.Event()

    def hold_the_rows_uncommitted():
        first_has_moved_rows.set()
        time.sleep(1.0)  # the second sweep runs its UPDATE now, against rows locked by the first

    handler = GroupLadder(on_record=hold_the_rows_uncommitted)
    handler.addresses = {d.subject.name: d.subject.name[:6] + "@unit.example" for d in deadlines}
    ladder_registry.register(KIND, handler)
    results, elapsed, errors = {}, {}, []

    def sweep(name: str, wait: threading.Event | None) -> None:
        try:
            if wait is not None:
                assert wait.wait(10)
            started = time.monotonic()
            results[name] = escalation_sweep(now=at(D(2026, 10, 16)))
            elapsed[name] = time.monotonic() - started
        except Exception as error:  # reported by the main thread
            errors.append(error)
        finally:
            connections.close_all()

    try:
        first = threading.Thread(target=sweep, args=("first", None))
        second = threading.Thread(target=sweep, args=("second", first_has_moved_rows))
        first.start()
        second.start()
        first.join(30)
        second.join(30)
    finally:
        ladder_registry.unregister(KIND)
    assert not errors
    assert results["first"].steps["escalation"] == 40
    assert results["second"].items == []
    # The second sweep really overlapped: its UPDATE waited for the first sweep's row locks.
    assert elapsed["second"] > 0.5
    assert handler.recorded == [(3, sorted(d.pk for d in deadlines))]
    assert set(Deadline.objects.values_list("ladder_step", flat=True)) == {Step.ESCALATE}
    assert sorted(email.to for email in _ladder_emails()) == [
        ["unit-a@unit.example"],
        ["unit-b@unit.example"],
    ]
